/**
 * An invoice (owned by invoices). A draft is computed by the monthly run; it becomes final when it gets
 * its number (services/billing/numbering.ts), after which its content (parties, lines, amounts, VAT,
 * dates) is never written again: corrections are credit notes. What moves afterwards is only the
 * payment state: status, amounts paid and credited, dunning, delivery marks.
 */
import { defineModel, defineSchema, ObjectId, part } from "./define.js";

export const INVOICE_STATUSES = ["draft", "pending", "paid", "payment_failed", "void", "uncollectible"] as const;
export type InvoiceStatus = (typeof INVOICE_STATUSES)[number];

/** Fields frozen once an invoice is final; the service refuses any update of them outside a draft. */
export const FROZEN_INVOICE_FIELDS = [
	"schoolId", "period", "revision", "currency", "seller", "buyer", "lines", "subtotalCents", "vat", "totalCents",
	"issueDate", "dueDate", "periodStart", "periodEnd", "number", "numberYear", "numberSeq", "checks", "contentHash",
	"autoDebit", "paymentMethodLabel",
] as const;

export const PartySchema = part({
	name: { type: String, required: true },
	address: { type: [String], default: [] },
	country: { type: String, required: true },
	vatNumber: { type: String, default: null },
	siret: { type: String, default: null },
	legal: { type: String, default: null },
	email: { type: String, default: null },
	purchaseOrder: { type: String, default: null },
	bank: { type: String, default: null },
});

export const LineSchema = part({
	kind: { type: String, required: true },
	code: { type: String, required: true },
	description: { type: String, required: true },
	quantity: { type: Number, required: true },
	unitAmountCents: { type: Number, required: true },
	amountCents: { type: Number, required: true },
	days: { type: Number },
	periodDays: { type: Number },
});

export const VatSchema = part({
	scheme: { type: String, required: true },
	rateBps: { type: Number, required: true },
	amountCents: { type: Number, required: true },
	mention: { type: String, default: "" },
	country: { type: String, default: null },
});

export const InvoiceSchema = defineSchema(
	{
		schoolId: { type: ObjectId, required: true },
		/** YYYY-MM in the billing time zone. */
		period: { type: String, required: true },
		/** 0 for the monthly run's invoice; a corrective reissue after a credit note takes the next one. */
		revision: { type: Number, required: true, default: 0 },
		status: { type: String, enum: INVOICE_STATUSES, required: true, default: "draft" },
		/**
		 * Only on drafts (the draft's own id), removed in the update that makes it final: "still a draft" is
		 * then one lookup on a unique index, the fast shape for the numbering's bulk write on every server.
		 */
		draftKey: { type: String },
		/** Absent on drafts: the sparse unique index below then ignores them. */
		number: { type: String },
		numberYear: { type: Number },
		numberSeq: { type: Number },
		currency: { type: String, required: true, default: "eur" },
		seller: { type: PartySchema, required: true },
		buyer: { type: PartySchema, required: true },
		lines: { type: [LineSchema], default: [] },
		subtotalCents: { type: Number, required: true },
		vat: { type: VatSchema, required: true },
		totalCents: { type: Number, required: true },
		amountPaidCents: { type: Number, required: true, default: 0 },
		amountCreditedCents: { type: Number, required: true, default: 0 },
		/** total - paid - credited, kept for queries (outstanding, overdue). */
		amountDueCents: { type: Number, required: true },
		periodStart: { type: Date, required: true },
		periodEnd: { type: Date, required: true },
		issueDate: { type: Date, default: null },
		dueDate: { type: Date, default: null },
		/** Whether the school had auto-debit on when the invoice became final. */
		autoDebit: { type: Boolean, default: false },
		/** "Visa se terminant par 4242", printed on auto-debit invoices. */
		paymentMethodLabel: { type: String, default: null },
		checks: { type: Object, default: {} },
		contentHash: { type: String, default: null },
		paidAt: { type: Date, default: null },
		paymentFailedAt: { type: Date, default: null },
		voidedAt: { type: Date, default: null },
		uncollectibleAt: { type: Date, default: null },
		/** A payment the school admin must finish (3-D Secure): the PaymentIntent waiting for them. */
		pendingAction: { type: part({ paymentIntentId: String, type: String, since: Date }), default: null },
		/** Retries and reminders: which step was done, and when the next one is due. */
		dunning: { type: part({ startedAt: Date, step: Number, nextAt: Date, attempts: Number }), default: null },
		creditNoteIds: { type: [ObjectId], default: [] },
		/** Payments already counted in amountPaidCents (a replayed payment counts once). */
		appliedPaymentIds: { type: [String], default: [] },
		/** Failed payments already handled (a replayed failure notifies once). */
		failedPaymentIds: { type: [String], default: [] },
		/** When billing.invoice.created was published for it (the run publishes what a crash left unannounced). */
		announcedAt: { type: Date, default: null },
		createdBy: { type: String, default: "monthly_run" },
	},
	{ minimize: false },
);

// One invoice per school and period (and revision), whatever runs at once: the database decides.
InvoiceSchema.index({ schoolId: 1, period: 1, revision: 1 }, { unique: true });
InvoiceSchema.index({ number: 1 }, { unique: true, sparse: true });
InvoiceSchema.index({ draftKey: 1 }, { unique: true, sparse: true });
InvoiceSchema.index({ numberYear: 1, numberSeq: 1 }, { sparse: true });
InvoiceSchema.index({ status: 1, dueDate: 1 });
InvoiceSchema.index({ "dunning.nextAt": 1 });
InvoiceSchema.index({ schoolId: 1, _id: -1 });
InvoiceSchema.index({ period: 1, announcedAt: 1 });

/**
 * The guard behind "nothing final is ever edited": an update that touches a frozen field must be
 * confined to drafts by its filter (`status: "draft"`, or a `draftKey`, which only drafts carry). The
 * numbering's bulk write (which makes drafts final) filters on `draftKey`; bulk writes skip these hooks,
 * so that filter is its guarantee.
 */
export function frozenGuard(frozen: readonly string[]) {
	return function guard(this: any) {
		const filter = this.getFilter?.() ?? {};
		if (filter.status === "draft" || typeof filter.draftKey === "string") return;
		const update = this.getUpdate?.() ?? {};
		const keys = Object.entries(update).flatMap(([op, value]) => (op.startsWith("$") ? Object.keys((value as object) ?? {}) : [op]));
		const touched = keys.filter(k => frozen.includes(k.split(".")[0]));
		if (touched.length > 0) throw new Error(`A final document is never edited (${touched.join(", ")}): issue a credit note instead`);
	};
}

InvoiceSchema.pre(["findOneAndUpdate", "updateOne", "updateMany"], frozenGuard(FROZEN_INVOICE_FIELDS));

export const Invoice = defineModel("Invoice", InvoiceSchema);
