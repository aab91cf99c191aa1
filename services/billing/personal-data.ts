/**
 * Block 6's part in data rights. A school's invoices, credit notes and payments are kept for the legal
 * retention period (RETENTION_INVOICE_YEARS, French commercial code: 10 years) even after the school's
 * erasure, as issued; its billing account (contact address, Stripe customer) goes with the school, and a
 * person erased who was its billing contact is removed from it.
 */
import { BillingAccount } from "../../models/billing-account.model.js";
import { BillingDocument } from "../../models/billing-document.model.js";
import { CreditNote } from "../../models/credit-note.model.js";
import { Invoice } from "../../models/invoice.model.js";
import { Payment } from "../../models/payment.model.js";
import { Subscription } from "../../models/subscription.model.js";
import { UsageRecord } from "../../models/usage-record.model.js";
import mongoose from "mongoose";
import { settings } from "../../config/env.js";
import { personalDataMixin, sameEmail } from "../shared/personal-data.js";

const invoiceYears = () => settings().ops.invoiceRetentionYears * 365;

export const subscriptionsPersonalData = personalDataMixin("subscriptions", [
	{ section: "subscription", model: Subscription, owner: [], noExport: true, onUserErasure: "keep" },
]);

export const billingAccountsPersonalData = personalDataMixin(
	"billingAccounts",
	// Personal only where the person is the school's billing contact: then the account is in their export.
	[{ section: "billing_contact", model: BillingAccount, owner: [], exportFilter: s => (s.email ? { billingEmail: sameEmail(s.email) } : null), omit: ["stripeCustomerId", "defaultPaymentMethodId"], onUserErasure: "keep" }],
	{
		// The person was the school's billing contact: the address goes (the school sets another).
		async eraseUser(_ctx, subject, identifiers) {
			const { email } = await identifiers();
			if (!email) return {} as Record<string, number>;
			const { modifiedCount } = await BillingAccount.updateMany({ schoolId: new mongoose.Types.ObjectId(subject.schoolId), billingEmail: sameEmail(email) }, { $set: { billingEmail: null } });
			return { billing_contact: modifiedCount ?? 0 };
		},
	},
);

// Invoices and credit notes are kept exactly as issued: their content, the buyer party included, is
// sealed by contentHash and never edited (a final document changes only through a credit note). The law
// that makes us keep them (art. 17(3)(b) GDPR) covers them whole; they go at the end of the retention period.
export const invoicesPersonalData = personalDataMixin("invoices", [
	// Invoices addressed to the person's email (the billing contact's copy) are in their export.
	{ section: "invoices", model: Invoice, owner: [], exportFilter: s => (s.email ? { "buyer.email": sameEmail(s.email) } : null), onUserErasure: "keep", onSchoolErasure: { keep: true }, retention: { days: invoiceYears, field: "createdAt" } },
	{ section: "credit_notes", model: CreditNote, owner: [], noExport: true, onUserErasure: "keep", onSchoolErasure: { keep: true }, retention: { days: invoiceYears, field: "createdAt" } },
	{ section: "invoice_documents", model: BillingDocument, owner: [], noExport: true, onUserErasure: "keep", onSchoolErasure: { keep: true }, retention: { days: invoiceYears, field: "createdAt" } },
]);

export const paymentsPersonalData = personalDataMixin("payments", [
	{ section: "payments", model: Payment, owner: [], noExport: true, onUserErasure: "keep", onSchoolErasure: { keep: true }, retention: { days: invoiceYears, field: "createdAt" } },
]);

export const billingUsagePersonalData = personalDataMixin("billingUsage", [
	{ section: "usage", model: UsageRecord, owner: [], noExport: true, onUserErasure: "keep", onSchoolErasure: { keep: true }, retention: { days: invoiceYears, field: "occurredAt" } },
]);
