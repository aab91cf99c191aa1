/**
 * A credit note (avoir, owned by invoices): the only way to correct a final invoice. It names the
 * invoice it corrects, carries its own number in its own gapless series, and is final once numbered.
 * Amounts are positive: what is credited to the school, excluding VAT, VAT, and including VAT.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";
import { frozenGuard, LineSchema, PartySchema, VatSchema } from "./invoice.model.js";

export const CREDIT_NOTE_STATUSES = ["draft", "issued"] as const;

export const CreditNoteSchema = defineSchema(
	{
		schoolId: { type: ObjectId, required: true },
		invoiceId: { type: ObjectId, required: true },
		invoiceNumber: { type: String, required: true },
		/** The platform admin's request id: a retried request finds the credit note it made. */
		requestId: { type: String, required: true },
		status: { type: String, enum: CREDIT_NOTE_STATUSES, required: true, default: "draft" },
		/** Only on a draft (its own id), removed when it is numbered (see invoice.model.ts). */
		draftKey: { type: String },
		number: { type: String },
		numberYear: { type: Number },
		numberSeq: { type: Number },
		reason: { type: String, required: true, maxlength: 500 },
		currency: { type: String, required: true, default: "eur" },
		seller: { type: PartySchema, required: true },
		buyer: { type: PartySchema, required: true },
		lines: { type: [LineSchema], default: [] },
		subtotalCents: { type: Number, required: true },
		vat: { type: VatSchema, required: true },
		totalCents: { type: Number, required: true },
		/** Whether the credit voids the invoice (everything still due credited before any payment). */
		voidsInvoice: { type: Boolean, default: false },
		/** What the school is owed back: the part of the credit the invoice's payments had already covered. */
		refundDueCents: { type: Number, default: 0 },
		issueDate: { type: Date, default: null },
		contentHash: { type: String, default: null },
		/** When the invoice's credited amount took this note into account. */
		appliedAt: { type: Date, default: null },
		createdBy: { type: String, required: true },
	},
	{ minimize: false },
);

CreditNoteSchema.index({ invoiceId: 1, requestId: 1 }, { unique: true });
CreditNoteSchema.index({ number: 1 }, { unique: true, sparse: true });
CreditNoteSchema.index({ draftKey: 1 }, { unique: true, sparse: true });
CreditNoteSchema.index({ numberYear: 1, numberSeq: 1 }, { sparse: true });
CreditNoteSchema.index({ schoolId: 1, _id: -1 });

/** Everything but `appliedAt` is frozen once the note is issued. */
export const FROZEN_CREDIT_NOTE_FIELDS = [
	"schoolId", "invoiceId", "invoiceNumber", "requestId", "number", "numberYear", "numberSeq", "reason", "currency", "seller",
	"buyer", "lines", "subtotalCents", "vat", "totalCents", "voidsInvoice", "refundDueCents", "issueDate", "contentHash", "status",
] as const;
CreditNoteSchema.pre(["findOneAndUpdate", "updateOne", "updateMany"], frozenGuard(FROZEN_CREDIT_NOTE_FIELDS));

export const CreditNote = defineModel("CreditNote", CreditNoteSchema);
