/**
 * One attempt to collect an invoice (owned by payments): a Stripe PaymentIntent (auto-debit off
 * session, or one the school admin confirms) or a bank transfer a platform admin recorded.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const PAYMENT_STATUSES = ["processing", "requires_action", "succeeded", "failed", "canceled"] as const;
export type PaymentStatus = (typeof PAYMENT_STATUSES)[number];

export const PaymentSchema = defineSchema({
	schoolId: { type: ObjectId, required: true },
	invoiceId: { type: ObjectId, required: true },
	provider: { type: String, enum: ["stripe", "bank_transfer"], required: true },
	/** PaymentIntent id (stripe) or the transfer's reference. */
	providerPaymentId: { type: String, default: null },
	/** 1 for the first attempt on an invoice, then one more per retry. */
	attempt: { type: Number, required: true },
	/** Whether the school was charged without being there (auto-debit). */
	offSession: { type: Boolean, default: false },
	idempotencyKey: { type: String, required: true },
	amountCents: { type: Number, required: true },
	currency: { type: String, required: true, default: "eur" },
	status: { type: String, enum: PAYMENT_STATUSES, required: true },
	failureCode: { type: String, default: null },
	failureReason: { type: String, default: null },
	/** `created` of the last Stripe event applied: an older event never undoes a newer one. */
	lastEventAt: { type: Date, default: null },
	succeededAt: { type: Date, default: null },
	failedAt: { type: Date, default: null },
	/** The platform admin who recorded a bank transfer. */
	recordedBy: { type: String, default: null },
});

PaymentSchema.index({ invoiceId: 1, attempt: 1 }, { unique: true });
PaymentSchema.index({ idempotencyKey: 1 }, { unique: true });
PaymentSchema.index({ providerPaymentId: 1 });
PaymentSchema.index({ schoolId: 1, _id: -1 });

export const Payment = defineModel("Payment", PaymentSchema);
