/**
 * A school's billing identity (owned by billingAccounts): who invoices are addressed to, where they are
 * mailed, and how the school pays. Card details never reach us: Stripe keeps them, we keep its ids and a
 * summary (brand, last four digits, expiry) to show the school admin.
 */
import { defineModel, defineSchema, ObjectId, part } from "./define.js";

export const AddressSchema = part({
	line1: { type: String, required: true, maxlength: 200 },
	line2: { type: String, default: null, maxlength: 200 },
	postalCode: { type: String, required: true, maxlength: 20 },
	city: { type: String, required: true, maxlength: 100 },
	region: { type: String, default: null, maxlength: 100 },
});

export const BillingAccountSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, unique: true },
	legalName: { type: String, required: true, maxlength: 200 },
	address: { type: AddressSchema, default: null },
	/** ISO 3166-1 alpha-2. */
	country: { type: String, required: true, default: "FR", maxlength: 2 },
	/** Normalised (upper case, no spaces); checked against the country's format. */
	vatNumber: { type: String, default: null, maxlength: 20 },
	/** Where invoices are mailed, besides the school admins. */
	billingEmail: { type: String, default: null, maxlength: 254 },
	/** Purchase-order or internal reference the school wants on its invoices. */
	purchaseOrder: { type: String, default: null, maxlength: 100 },
	stripeCustomerId: { type: String, default: null },
	defaultPaymentMethodId: { type: String, default: null },
	paymentMethod: {
		type: part({ brand: String, last4: String, expMonth: Number, expYear: Number, kind: String }),
		default: null,
	},
	autoDebit: { type: Boolean, default: false },
	/** Whether a school admin has completed the account (legal name and address): the first invoices may precede it. */
	configured: { type: Boolean, default: false },
});

BillingAccountSchema.index({ stripeCustomerId: 1 }, { sparse: true });

export const BillingAccount = defineModel("BillingAccount", BillingAccountSchema);
