/**
 * What is frozen in a final invoice or credit note, as one canonical string (its SHA-256 is stored as
 * `contentHash`, so anyone can check that the document never changed), and the data its PDF prints.
 */
import { createHash } from "node:crypto";
import type { PdfDocumentData } from "./invoice-pdf.js";

function canonical(value: unknown): unknown {
	if (value instanceof Date) return value.toISOString();
	if (Array.isArray(value)) return value.map(canonical);
	if (value && typeof value === "object") {
		if (typeof (value as any).toHexString === "function") return (value as any).toHexString();
		return Object.fromEntries(
			Object.keys(value)
				.filter(k => (value as any)[k] !== undefined && k !== "_id")
				.sort()
				.map(k => [k, canonical((value as any)[k])]),
		);
	}
	return value;
}

export function invoiceContent(doc: any): Record<string, unknown> {
	return {
		number: doc.number, schoolId: doc.schoolId, period: doc.period, revision: doc.revision, currency: doc.currency,
		issueDate: doc.issueDate, dueDate: doc.dueDate, seller: doc.seller, buyer: doc.buyer, lines: doc.lines,
		subtotalCents: doc.subtotalCents, vat: doc.vat, totalCents: doc.totalCents, autoDebit: doc.autoDebit,
	};
}

export function creditNoteContent(doc: any): Record<string, unknown> {
	return {
		number: doc.number, schoolId: doc.schoolId, invoiceId: doc.invoiceId, invoiceNumber: doc.invoiceNumber, reason: doc.reason,
		currency: doc.currency, issueDate: doc.issueDate, seller: doc.seller, buyer: doc.buyer, lines: doc.lines,
		subtotalCents: doc.subtotalCents, vat: doc.vat, totalCents: doc.totalCents,
	};
}

export function contentHash(content: Record<string, unknown>): string {
	return createHash("sha256").update(JSON.stringify(canonical(content))).digest("hex");
}

const plain = (doc: any) => (typeof doc?.toObject === "function" ? doc.toObject() : doc);

export function invoicePdfData(raw: any): PdfDocumentData {
	const doc = plain(raw);
	return {
		kind: "invoice",
		number: doc.number,
		issueDate: new Date(doc.issueDate),
		dueDate: doc.dueDate ? new Date(doc.dueDate) : null,
		period: doc.period,
		seller: doc.seller,
		buyer: doc.buyer,
		lines: doc.lines,
		subtotalCents: doc.subtotalCents,
		vat: doc.vat,
		totalCents: doc.totalCents,
		autoDebit: doc.autoDebit,
		paymentMethod: doc.paymentMethodLabel ?? null,
	};
}

export function creditNotePdfData(raw: any): PdfDocumentData {
	const doc = plain(raw);
	return {
		kind: "credit_note",
		number: doc.number,
		issueDate: new Date(doc.issueDate),
		invoiceNumber: doc.invoiceNumber,
		reason: doc.reason,
		seller: doc.seller,
		buyer: doc.buyer,
		lines: doc.lines,
		subtotalCents: doc.subtotalCents,
		vat: doc.vat,
		totalCents: doc.totalCents,
	};
}
