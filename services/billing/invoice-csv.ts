/**
 * The accountant's export: one row per invoice and per credit note, amounts in euros with a dot (what
 * accounting software imports) beside the integer cents, dates as YYYY-MM-DD in the billing time zone.
 * Written with csv-stringify (RFC 4180 quoting), never by hand.
 */
import { stringify } from "csv-stringify/sync";
import { localDay } from "./period.js";

export const CSV_COLUMNS = [
	"type", "number", "issue_date", "due_date", "period", "school_id", "customer", "country", "vat_number", "vat_scheme",
	"vat_rate", "currency", "subtotal", "vat", "total", "subtotal_cents", "vat_cents", "total_cents", "paid_cents",
	"credited_cents", "due_cents", "status", "paid_at", "corrects",
] as const;

const euros = (cents: number) => (cents / 100).toFixed(2);

/** A school's own text opened by a spreadsheet must not run as a formula (CSV injection). */
function text(value: unknown): string {
	const s = value == null ? "" : String(value);
	return /^[=+\-@\t\r]/.test(s) ? `'${s}` : s;
}

export function invoiceCsvRow(inv: any, timeZone: string): Record<string, string | number> {
	return {
		type: "invoice",
		number: inv.number,
		issue_date: inv.issueDate ? localDay(new Date(inv.issueDate), timeZone) : "",
		due_date: inv.dueDate ? localDay(new Date(inv.dueDate), timeZone) : "",
		period: inv.period,
		school_id: String(inv.schoolId),
		customer: text(inv.buyer?.name),
		country: inv.buyer?.country ?? "",
		vat_number: text(inv.buyer?.vatNumber),
		vat_scheme: inv.vat?.scheme ?? "",
		vat_rate: ((inv.vat?.rateBps ?? 0) / 100).toFixed(2),
		currency: (inv.currency ?? "eur").toUpperCase(),
		subtotal: euros(inv.subtotalCents),
		vat: euros(inv.vat?.amountCents ?? 0),
		total: euros(inv.totalCents),
		subtotal_cents: inv.subtotalCents,
		vat_cents: inv.vat?.amountCents ?? 0,
		total_cents: inv.totalCents,
		paid_cents: inv.amountPaidCents ?? 0,
		credited_cents: inv.amountCreditedCents ?? 0,
		due_cents: inv.amountDueCents ?? 0,
		status: inv.status,
		paid_at: inv.paidAt ? localDay(new Date(inv.paidAt), timeZone) : "",
		corrects: "",
	};
}

/** A credit note as a row of negative amounts, naming the invoice it corrects. */
export function creditNoteCsvRow(note: any, timeZone: string): Record<string, string | number> {
	return {
		type: "credit_note",
		number: note.number,
		issue_date: note.issueDate ? localDay(new Date(note.issueDate), timeZone) : "",
		due_date: "",
		period: "",
		school_id: String(note.schoolId),
		customer: text(note.buyer?.name),
		country: note.buyer?.country ?? "",
		vat_number: text(note.buyer?.vatNumber),
		vat_scheme: note.vat?.scheme ?? "",
		vat_rate: ((note.vat?.rateBps ?? 0) / 100).toFixed(2),
		currency: (note.currency ?? "eur").toUpperCase(),
		subtotal: euros(-note.subtotalCents),
		vat: euros(-(note.vat?.amountCents ?? 0)),
		total: euros(-note.totalCents),
		subtotal_cents: -note.subtotalCents,
		vat_cents: -(note.vat?.amountCents ?? 0),
		total_cents: -note.totalCents,
		paid_cents: 0,
		credited_cents: 0,
		due_cents: 0,
		status: note.status,
		paid_at: "",
		corrects: note.invoiceNumber,
	};
}

export function toCsv(rows: Record<string, string | number>[]): string {
	return stringify(rows, { header: true, columns: [...CSV_COLUMNS], record_delimiter: "\r\n" });
}
