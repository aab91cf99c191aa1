/**
 * The PDF of a final invoice or credit note (pdfkit), in French with the mentions French law asks of a
 * B2B invoice: both parties' identities and VAT numbers, number and dates, lines excluding VAT, VAT by
 * rate or the reason there is none, totals, due date, late-payment penalties and the 40 € recovery
 * indemnity. Rendering is deterministic (fixed document dates), and it prints nothing that changes after
 * the document is final (no status): the stored copy stays true.
 */
import PDFDocument from "pdfkit";
import { formatEuros, formatRate } from "./money.js";
import { localDay } from "./period.js";
import { periodLabel } from "./invoice-amounts.js";

export interface PdfParty {
	name: string;
	address: string[];
	country: string;
	vatNumber?: string | null;
	siret?: string | null;
	legal?: string | null;
	email?: string | null;
	purchaseOrder?: string | null;
	bank?: string | null;
}

export interface PdfLine {
	description: string;
	quantity: number;
	unitAmountCents: number;
	amountCents: number;
}

export interface PdfDocumentData {
	kind: "invoice" | "credit_note";
	number: string;
	issueDate: Date;
	dueDate?: Date | null;
	period?: string;
	/** The invoice a credit note corrects. */
	invoiceNumber?: string;
	reason?: string;
	seller: PdfParty;
	buyer: PdfParty;
	lines: PdfLine[];
	subtotalCents: number;
	vat: { scheme: string; rateBps: number; amountCents: number; mention?: string };
	totalCents: number;
	autoDebit?: boolean;
	paymentMethod?: string | null;
}

const GREY = "#555555";

function day(date: Date, timeZone: string): string {
	const [y, m, d] = localDay(date, timeZone).split("-");
	return `${d}/${m}/${y}`;
}

const countries = new Intl.DisplayNames(["fr"], { type: "region" });

/** "BE" → "Belgique"; a code Intl does not know stays as it is. */
function countryName(code: string): string {
	try {
		return countries.of(code) ?? code;
	} catch {
		return code;
	}
}

/** Text the standard PDF fonts (WinAnsi) can print: narrow and no-break spaces become plain ones. */
function printable(text: string): string {
	return text.replace(/[\u202f\u00a0\u2009]/g, " ").replace(/[\u2018\u2019]/g, "'");
}

export function renderPdf(data: PdfDocumentData, timeZone: string): Promise<Buffer> {
	return new Promise((resolve, reject) => {
		const title = `${data.kind === "invoice" ? "Facture" : "Avoir"} ${data.number}`;
		const doc = new PDFDocument({
			size: "A4",
			margin: 50,
			// Fixed dates make the same document render to the same bytes.
			info: { Title: title, Author: data.seller.name, Producer: "learning-platform", Creator: "learning-platform", CreationDate: data.issueDate, ModDate: data.issueDate },
		});
		const chunks: Buffer[] = [];
		doc.on("data", (c: Buffer) => chunks.push(c));
		doc.on("end", () => resolve(Buffer.concat(chunks)));
		doc.on("error", reject);
		const t = (s: string) => printable(s);

		// Seller, top left; document title, top right.
		doc.font("Helvetica-Bold").fontSize(12).text(t(data.seller.name), 50, 50, { width: 260 });
		doc.font("Helvetica").fontSize(9).fillColor(GREY);
		for (const line of data.seller.address) doc.text(t(line), { width: 260 });
		if (data.seller.country !== "FR") doc.text(t(countryName(data.seller.country)), { width: 260 });
		if (data.seller.siret) doc.text(t(`SIRET ${data.seller.siret}`), { width: 260 });
		if (data.seller.vatNumber) doc.text(t(`N° TVA intracommunautaire ${data.seller.vatNumber}`), { width: 260 });
		if (data.seller.legal) doc.text(t(data.seller.legal), { width: 260 });
		if (data.seller.email) doc.text(t(data.seller.email), { width: 260 });

		doc.fillColor("black").font("Helvetica-Bold").fontSize(18).text(data.kind === "invoice" ? "FACTURE" : "AVOIR", 330, 50, { width: 215, align: "right" });
		doc.font("Helvetica").fontSize(10).text(t(`N° ${data.number}`), { width: 215, align: "right" });
		doc.text(t(`Date d'émission : ${day(data.issueDate, timeZone)}`), { width: 215, align: "right" });
		if (data.period) doc.text(t(`Période : ${periodLabel(data.period)}`), { width: 215, align: "right" });
		if (data.invoiceNumber) doc.text(t(`Facture corrigée : ${data.invoiceNumber}`), { width: 215, align: "right" });
		if (data.kind === "invoice" && data.dueDate) {
			const due = data.autoDebit ? `Échéance : ${day(data.dueDate, timeZone)} (prélèvement automatique)` : `Échéance : ${day(data.dueDate, timeZone)}`;
			doc.text(t(due), { width: 215, align: "right" });
		}

		// Buyer.
		doc.moveDown(2);
		const buyerTop = Math.max(doc.y, 170);
		doc.font("Helvetica-Bold").fontSize(10).text(data.kind === "invoice" ? "Facturé à" : "Client", 330, buyerTop, { width: 215 });
		doc.font("Helvetica").fontSize(10).text(t(data.buyer.name), { width: 215 });
		for (const line of data.buyer.address) doc.text(t(line), { width: 215 });
		doc.text(t(countryName(data.buyer.country)), { width: 215 });
		if (data.buyer.vatNumber) doc.text(t(`N° TVA ${data.buyer.vatNumber}`), { width: 215 });
		if (data.buyer.purchaseOrder) doc.text(t(`Référence : ${data.buyer.purchaseOrder}`), { width: 215 });
		if (data.reason) {
			doc.moveDown(1);
			doc.font("Helvetica-Oblique").text(t(`Motif : ${data.reason}`), 50, doc.y, { width: 495 });
		}

		// Lines.
		let y = Math.max(doc.y + 30, 280);
		const cols = { desc: 50, qty: 330, unit: 380, amount: 465 };
		doc.font("Helvetica-Bold").fontSize(9);
		doc.text("Désignation", cols.desc, y, { width: 270 });
		doc.text("Qté", cols.qty, y, { width: 40, align: "right" });
		doc.text("PU HT", cols.unit, y, { width: 75, align: "right" });
		doc.text("Montant HT", cols.amount, y, { width: 80, align: "right" });
		y += 14;
		doc.moveTo(50, y).lineTo(545, y).strokeColor("#999999").stroke();
		y += 6;
		doc.font("Helvetica").fontSize(9);
		for (const line of data.lines) {
			const height = doc.heightOfString(t(line.description), { width: 270 });
			if (y + height > 720) {
				doc.addPage();
				y = 50;
			}
			doc.text(t(line.description), cols.desc, y, { width: 270 });
			doc.text(String(line.quantity), cols.qty, y, { width: 40, align: "right" });
			doc.text(t(formatEuros(line.unitAmountCents)), cols.unit, y, { width: 75, align: "right" });
			doc.text(t(formatEuros(line.amountCents)), cols.amount, y, { width: 80, align: "right" });
			y += Math.max(height, 12) + 6;
		}
		doc.moveTo(50, y).lineTo(545, y).strokeColor("#999999").stroke();
		y += 10;

		// Totals.
		const total = (label: string, cents: number, bold = false) => {
			doc.font(bold ? "Helvetica-Bold" : "Helvetica").fontSize(10);
			doc.text(t(label), 300, y, { width: 160, align: "right" });
			doc.text(t(formatEuros(cents)), cols.amount, y, { width: 80, align: "right" });
			y += 16;
		};
		total("Total HT", data.subtotalCents);
		total(data.vat.rateBps > 0 ? `TVA ${formatRate(data.vat.rateBps)}` : "TVA", data.vat.amountCents);
		total(data.kind === "invoice" ? "Total TTC" : "Total TTC crédité", data.totalCents, true);
		if (data.vat.mention) {
			y += 4;
			doc.font("Helvetica").fontSize(9).text(t(data.vat.mention), 50, y, { width: 495 });
			y = doc.y + 6;
		}

		// Payment and legal mentions.
		doc.font("Helvetica").fontSize(8).fillColor(GREY);
		const notes: string[] = [];
		if (data.kind === "invoice") {
			if (data.autoDebit) notes.push(`Règlement par prélèvement automatique${data.paymentMethod ? ` (${data.paymentMethod})` : ""}.`);
			else if (data.seller.bank) notes.push(`Règlement par virement : ${data.seller.bank}. Merci d'indiquer le numéro de facture.`);
			notes.push(
				"En cas de retard de paiement, des pénalités au taux de trois fois le taux d'intérêt légal sont exigibles (art. L.441-10 du Code de commerce), ainsi qu'une indemnité forfaitaire pour frais de recouvrement de 40 € (art. D.441-5). Pas d'escompte pour paiement anticipé.",
			);
		} else {
			notes.push(`Avoir émis en correction de la facture ${data.invoiceNumber ?? ""}; il en réduit le montant dû.`);
		}
		doc.text(t(notes.join("\n")), 50, Math.max(y + 10, 680), { width: 495 });
		doc.end();
	});
}
