/**
 * An invoice as the billing.* feed describes it: number, period, amounts, due date, and its status as of the
 * latest event (by the event's time, so a `paid` arriving before its `created` still wins). Not per generation:
 * every field is set, never summed. Owned by services/reporting.
 */
import { defineModel, defineSchema } from "./define.js";

export const ReportingInvoiceSchema = defineSchema({
	_id: { type: String, required: true },
	schoolId: { type: String, required: true },
	number: { type: String, default: null },
	period: { type: String, default: null },
	currency: { type: String, default: null },
	totalCents: { type: Number, default: null },
	subtotalCents: { type: Number, default: null },
	amountDueCents: { type: Number, default: null },
	dueDate: { type: Date, default: null },
	status: { type: String, default: "pending" },
	statusAt: { type: Date, default: null },
	/** Order of statuses that share an instant: pending 0, payment_failed 1, paid and void 2 (the feed's writer). */
	statusRank: { type: Number, default: 0 },
	createdAt: { type: Date, default: null },
	paidAt: { type: Date, default: null },
	failedAt: { type: Date, default: null },
	attempts: { type: Number, default: 0 },
	overdueAt: { type: Date, default: null },
}, { timestamps: false, collection: "reporting_invoices", minimize: false });
ReportingInvoiceSchema.index({ schoolId: 1 });

export const ReportingInvoice = defineModel("ReportingInvoice", ReportingInvoiceSchema);
