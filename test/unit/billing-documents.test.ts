/** The invoice PDF (pdfkit), the content hash of final documents and the accountant's CSV. */
import { expect } from "chai";
import { parseCsv } from "../../services/shared/csv.js";
import { contentHash, creditNoteContent, invoiceContent } from "../../services/billing/invoice-documents.js";
import { creditNoteCsvRow, invoiceCsvRow, toCsv } from "../../services/billing/invoice-csv.js";
import { renderPdf, type PdfDocumentData } from "../../services/billing/invoice-pdf.js";
import { pdfText } from "../support/billing.js";

const PARIS = "Europe/Paris";
const seller = { name: "Learning Platform SAS", address: ["1 rue de l'Exemple", "75001 Paris"], country: "FR", siret: "123 456 789 00012", vatNumber: "FR40303265045", legal: "SAS au capital de 10 000 €", bank: "IBAN FR76 3000 6000 0112 3456 7890 189" };
const invoice: PdfDocumentData = {
	kind: "invoice",
	number: "FA-2026-000042",
	issueDate: new Date("2026-12-01T01:00:00Z"),
	dueDate: new Date("2026-12-31T01:00:00Z"),
	period: "2026-11",
	seller,
	buyer: { name: "Athénée Royal", address: ["Rue Neuve 1", "1000 Bruxelles"], country: "BE", vatNumber: "BE0123456789", purchaseOrder: "BC-77" },
	lines: [
		{ description: "Abonnement Essential — novembre 2026", quantity: 1, unitAmountCents: 29900, amountCents: 29900 },
		{ description: "Sièges au-delà des 300 inclus (340 utilisés en fin de période)", quantity: 40, unitAmountCents: 100, amountCents: 4000 },
	],
	subtotalCents: 33900,
	vat: { scheme: "reverse_charge", rateBps: 0, amountCents: 0, mention: "Autoliquidation : TVA due par le preneur (art. 283-2 du CGI, art. 196 de la directive 2006/112/CE)" },
	totalCents: 33900,
	autoDebit: false,
};

describe("billing documents", () => {
	it("renders an invoice PDF with the mentions a French B2B invoice needs", async () => {
		const pdf = await renderPdf(invoice, PARIS);
		expect(pdf.subarray(0, 5).toString()).to.equal("%PDF-");
		const text = pdfText(pdf);
		for (const needle of [
			"FACTURE", "N° FA-2026-000042", "Date d'émission : 01/12/2026", "Période : novembre 2026", "Échéance : 31/12/2026",
			"Learning Platform SAS", "SIRET 123 456 789 00012", "N° TVA intracommunautaire FR40303265045", "SAS au capital de 10 000 €",
			"Athénée Royal", "Belgique", "N° TVA BE0123456789", "Référence : BC-77", "Abonnement Essential", "299,00 €", "339,00 €", "Autoliquidation",
			"IBAN FR76", "trois fois le taux d'intérêt légal", "indemnité forfaitaire pour frais de recouvrement de 40 €", "Pas d'escompte",
		]) {
			expect(text, needle).to.contain(needle);
		}
	});

	it("renders the same bytes for the same document (what is stored is what is re-rendered)", async () => {
		const [a, b] = await Promise.all([renderPdf(invoice, PARIS), renderPdf(invoice, PARIS)]);
		expect(a.equals(b)).to.equal(true);
	});

	it("renders a credit note naming the invoice it corrects", async () => {
		const text = pdfText(await renderPdf({ ...invoice, kind: "credit_note", number: "AV-2026-000003", invoiceNumber: "FA-2026-000042", reason: "Erreur de plan", dueDate: null }, PARIS));
		for (const needle of ["AVOIR", "AV-2026-000003", "Facture corrigée : FA-2026-000042", "Motif : Erreur de plan", "Total TTC crédité"]) expect(text, needle).to.contain(needle);
		expect(text).to.not.contain("Échéance");
	});

	it("hashes the frozen content of a document, whatever the key order or id types", () => {
		const doc = { number: "FA-2026-000001", schoolId: "65a000000000000000000001", issueDate: new Date("2026-12-01T01:00:00Z"), lines: [{ a: 1, b: 2 }], totalCents: 100, status: "paid" };
		const same = { totalCents: 100, lines: [{ b: 2, a: 1 }], issueDate: "2026-12-01T01:00:00.000Z", schoolId: { toHexString: () => "65a000000000000000000001" }, number: "FA-2026-000001", status: "pending" };
		expect(contentHash(invoiceContent(doc))).to.equal(contentHash(invoiceContent(same)));
		expect(contentHash(invoiceContent({ ...doc, totalCents: 101 }))).to.not.equal(contentHash(invoiceContent(doc)));
		expect(contentHash(creditNoteContent({ ...doc, reason: "x" }))).to.not.equal(contentHash(creditNoteContent({ ...doc, reason: "y" })));
	});

	it("exports invoices and credit notes as CSV an accountant (and a spreadsheet) can read safely", () => {
		const inv = { number: "FA-2026-000042", issueDate: new Date("2026-11-30T23:30:00Z"), dueDate: null, period: "2026-11", schoolId: "s1", buyer: { name: '=HYPERLINK("x"), "quoted"', country: "FR", vatNumber: null }, vat: { scheme: "domestic", rateBps: 2000, amountCents: 5980 }, currency: "eur", subtotalCents: 29900, totalCents: 35880, amountPaidCents: 0, amountCreditedCents: 0, amountDueCents: 35880, status: "pending" };
		const note = { number: "AV-2026-000001", issueDate: new Date("2026-12-02T10:00:00Z"), schoolId: "s1", invoiceNumber: "FA-2026-000042", buyer: { name: "Lycée", country: "FR" }, vat: { scheme: "domestic", rateBps: 2000, amountCents: 2000 }, currency: "eur", subtotalCents: 10000, totalCents: 12000, status: "issued" };
		const csv = toCsv([invoiceCsvRow(inv, PARIS), creditNoteCsvRow(note, PARIS)]);
		const { header, rows } = parseCsv(csv);
		expect(header).to.include.members(["type", "number", "issue_date", "total", "total_cents", "vat_scheme", "corrects"]);
		expect(rows[0].values).to.include({ type: "invoice", issue_date: "2026-12-01", total: "358.80", total_cents: "35880", vat_rate: "20.00", currency: "EUR" });
		expect(rows[0].values.customer).to.equal(`'=HYPERLINK("x"), "quoted"`);
		expect(rows[1].values).to.include({ type: "credit_note", total: "-120.00", total_cents: "-12000", corrects: "FA-2026-000042" });
	});
});
