/**
 * How much a credit note credits. Either the whole of what is left to credit on the invoice (its own
 * lines when nothing was credited yet), or lines a platform admin gives, excluding VAT, taxed at the
 * invoice's rate. A credit never exceeds what the invoice still carries.
 */
import { sumCents } from "./money.js";
import type { InvoiceLine } from "./invoice-amounts.js";
import { vatAmount } from "./vat.js";

export interface CreditableInvoice {
	lines: InvoiceLine[];
	subtotalCents: number;
	vat: { scheme: string; rateBps: number; amountCents: number; mention?: string; country?: string | null };
	totalCents: number;
	amountPaidCents: number;
	amountCreditedCents: number;
	amountDueCents: number;
}

export interface PriorCredit {
	subtotalCents: number;
	vatCents: number;
	totalCents: number;
}

export interface CreditAmounts {
	lines: InvoiceLine[];
	subtotalCents: number;
	vatCents: number;
	totalCents: number;
	/** The part already paid: the school is owed it back. */
	refundDueCents: number;
	/** Whether, once applied, nothing stays due and nothing was paid: the invoice is void. */
	voidsInvoice: boolean;
}

export class CreditTooHigh extends Error {
	constructor(public readonly remainingCents: number, public readonly askedCents: number) {
		super(`The credit (${askedCents} cents including VAT) exceeds what the invoice still carries (${remainingCents} cents)`);
	}
}

export function computeCredit(invoice: CreditableInvoice, prior: PriorCredit[], ask: { full: true } | { lines: { description: string; amountCents: number }[] }): CreditAmounts {
	const credited = { subtotal: sumCents(prior.map(p => p.subtotalCents)), vat: sumCents(prior.map(p => p.vatCents)), total: sumCents(prior.map(p => p.totalCents)) };
	const remaining = invoice.totalCents - credited.total;
	let lines: InvoiceLine[];
	let subtotalCents: number;
	let vatCents: number;
	if ("full" in ask) {
		if (prior.length === 0) {
			lines = invoice.lines.map(l => ({ ...l }));
		} else {
			const rest = invoice.subtotalCents - credited.subtotal;
			lines = [{ kind: "plan", code: "balance", description: "Solde de la facture", quantity: 1, unitAmountCents: rest, amountCents: rest }];
		}
		subtotalCents = invoice.subtotalCents - credited.subtotal;
		// The invoice's own VAT minus what earlier notes credited: the sum of credits equals the invoice to the cent.
		vatCents = invoice.vat.amountCents - credited.vat;
	} else {
		lines = ask.lines.map(l => ({ kind: "plan", code: "credit", description: l.description, quantity: 1, unitAmountCents: l.amountCents, amountCents: l.amountCents }));
		subtotalCents = sumCents(lines.map(l => l.amountCents));
		vatCents = vatAmount(subtotalCents, invoice.vat.rateBps);
	}
	const totalCents = subtotalCents + vatCents;
	if (totalCents <= 0 || totalCents > remaining) throw new CreditTooHigh(remaining, totalCents);
	const refundDueCents = Math.max(0, totalCents - invoice.amountDueCents);
	const voidsInvoice = invoice.amountPaidCents === 0 && totalCents >= invoice.amountDueCents;
	return { lines, subtotalCents, vatCents, totalCents, refundDueCents, voidsInvoice };
}
