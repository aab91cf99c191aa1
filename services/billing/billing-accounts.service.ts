/**
 * Billing accounts: each school's billing identity (legal name, address, country, VAT number, billing
 * email), its Stripe customer, its card and whether it pays by automatic debit. School admins edit it;
 * card details go from the browser to Stripe through a SetupIntent and never reach us.
 */
import { settings } from "../../config/env.js";
import { BillingAccount } from "../../models/billing-account.model.js";
import { recordAudit } from "../shared/audit-trail.js";
import { dbMixin } from "../shared/db.mixin.js";
import { conflict, ERR, invalid } from "../shared/errors.js";
import { callerSchoolId, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { callStripe, stripeClient } from "./stripe-client.js";
import { normalizeVatNumber, vatNumberProblem } from "./vat.js";
import { billingAccountsPersonalData } from "./personal-data.js";

const FIELDS = [
	"id", "schoolId", "legalName", "address", "country", "vatNumber", "billingEmail", "purchaseOrder", "paymentMethod",
	"autoDebit", "configured", "createdAt", "updatedAt",
];

const TEXT = (max: number) => ({ type: "string", trim: true, min: 1, max }) as const;

const regions = new Intl.DisplayNames(["en"], { type: "region" });
/** Codes Intl names that are not countries one can be established in. */
const NOT_COUNTRIES = new Set(["EU", "EZ", "UN", "UK", "ZZ"]);

export function isCountryCode(code: string): boolean {
	if (!/^[A-Z]{2}$/.test(code) || NOT_COUNTRIES.has(code) || /^(Q[M-Z]|X[A-JL-Z])$/.test(code)) return false;
	const name = regions.of(code);
	return !!name && name !== code && name !== "Unknown Region";
}

interface AccountInput {
	legalName: string;
	address: { line1: string; line2?: string | null; postalCode: string; city: string; region?: string | null };
	country: string;
	vatNumber?: string | null;
	billingEmail?: string | null;
	purchaseOrder?: string | null;
	autoDebit?: boolean;
}

interface PaymentMethodParams {
	customerId: string;
	paymentMethodId: string;
	schoolId?: string;
}

const BillingAccountsService: ServiceDef = {
	name: "billingAccounts",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [billingAccountsPersonalData, dbMixin(BillingAccount, { fields: FIELDS })],

	actions: {
		mine: {
			rest: "GET /billing/account",
			async handler(this: any, ctx: Ctx) {
				const doc = await this.model.findOne({ schoolId: callerSchoolId(ctx) });
				if (doc) return { ...(await this.toJSON(ctx, doc)), hasPaymentMethod: !!doc.defaultPaymentMethodId };
				// Nothing saved yet: what invoices would carry today (the school's name, France).
				const school: { name: string } = await ctx.call("schools.mine");
				return { schoolId: callerSchoolId(ctx), legalName: school.name, address: null, country: "FR", vatNumber: null, billingEmail: null, purchaseOrder: null, paymentMethod: null, autoDebit: false, configured: false, hasPaymentMethod: false };
			},
		},

		update: {
			rest: "PUT /billing/account",
			params: {
				$$strict: true,
				legalName: TEXT(200),
				address: {
					type: "object",
					strict: true,
					props: {
						line1: TEXT(200),
						line2: { ...TEXT(200), optional: true, nullable: true },
						postalCode: { type: "string", trim: true, min: 2, max: 20, pattern: /^[A-Za-z0-9 -]+$/ },
						city: TEXT(100),
						region: { ...TEXT(100), optional: true, nullable: true },
					},
				},
				country: { type: "string", length: 2, pattern: /^[A-Za-z]{2}$/ },
				vatNumber: { type: "string", trim: true, min: 4, max: 20, optional: true, nullable: true },
				billingEmail: { type: "email", max: 254, optional: true, nullable: true },
				purchaseOrder: { ...TEXT(100), optional: true, nullable: true },
				autoDebit: { type: "boolean", optional: true },
			},
			async handler(this: any, ctx: Ctx<AccountInput>) {
				const schoolId = callerSchoolId(ctx);
				const p = ctx.params;
				const country = p.country.toUpperCase();
				if (!isCountryCode(country)) throw invalid("country", `"${p.country}" is not an ISO 3166 country code (e.g. FR)`);
				const vatNumber = p.vatNumber ? normalizeVatNumber(p.vatNumber) : null;
				if (vatNumber) {
					const problem = vatNumberProblem(country, vatNumber);
					if (problem) throw invalid("vatNumber", problem);
				}
				const current = await this.model.findOne({ schoolId });
				if (p.autoDebit === true && !current?.defaultPaymentMethodId) {
					throw conflict("Add a card before turning automatic debit on", ERR.PAYMENT_METHOD_REQUIRED);
				}
				const set = {
					legalName: p.legalName,
					address: { line1: p.address.line1, line2: p.address.line2 ?? null, postalCode: p.address.postalCode, city: p.address.city, region: p.address.region ?? null },
					country,
					vatNumber,
					billingEmail: p.billingEmail?.toLowerCase() ?? null,
					purchaseOrder: p.purchaseOrder ?? null,
					configured: true,
					...(p.autoDebit !== undefined ? { autoDebit: p.autoDebit } : {}),
				};
				// The card may have gone since it was read: the filter keeps auto-debit from being switched on without one.
				const filter = p.autoDebit === true ? { schoolId, defaultPaymentMethodId: { $ne: null } } : { schoolId };
				let doc;
				try {
					doc = await this.model.findOneAndUpdate(filter, { $set: set }, { new: true, upsert: p.autoDebit !== true, runValidators: true });
				} catch (err: any) {
					// Two first saves at once: the unique schoolId lets one insert; the other updates.
					if (err?.code !== 11000) throw err;
					doc = await this.model.findOneAndUpdate(filter, { $set: set }, { new: true, runValidators: true });
				}
				if (!doc) throw conflict("Add a card before turning automatic debit on", ERR.PAYMENT_METHOD_REQUIRED);
				await recordAudit(ctx, {
					action: "billing.account.updated",
					targetType: "billingAccount",
					targetId: String(doc._id),
					data: { country, vatNumber, autoDebit: doc.autoDebit },
				});
				return { ...(await this.toJSON(ctx, doc)), hasPaymentMethod: !!doc.defaultPaymentMethodId };
			},
		},

		/**
		 * A SetupIntent for the school admin's browser to confirm with Stripe.js: the card goes to Stripe,
		 * and Stripe's `setup_intent.succeeded` webhook tells us its id.
		 */
		setupIntent: {
			rest: "POST /billing/account/setup-intent",
			async handler(this: any, ctx: Ctx) {
				const schoolId = callerSchoolId(ctx);
				const stripe = stripeClient(settings().billing);
				const customerId = await this.ensureCustomer(ctx, schoolId);
				const intent = await callStripe(() => stripe.setupIntents.create({ customer: customerId, usage: "off_session", metadata: { schoolId } }));
				return { setupIntentId: intent.id, clientSecret: intent.client_secret, customerId };
			},
		},

		/** The accounts of many schools at once (the monthly run), by school id. */
		forSchools: {
			params: { $$strict: "remove", schoolIds: { type: "array", max: 1000, items: ID } },
			async handler(this: any, ctx: Ctx<{ schoolIds: string[] }>) {
				const docs = await this.model.find({ schoolId: { $in: ctx.params.schoolIds } }).lean();
				return Object.fromEntries(docs.map((d: any) => [String(d.schoolId), this.summaryOf(d)]));
			},
		},

		/** Who hears about invoices: the billing email and the school's active admins. */
		contacts: {
			params: { $$strict: "remove", schoolId: ID },
			async handler(this: any, ctx: Ctx<{ schoolId: string }>) {
				const [doc, admins] = await Promise.all([
					this.model.findOne({ schoolId: ctx.params.schoolId }).lean(),
					ctx.call("users.schoolAdmins", { schoolId: ctx.params.schoolId }) as Promise<{ id: string; email: string | null }[]>,
				]);
				const emails = [...new Set([doc?.billingEmail, ...admins.map(a => a.email)].filter((e): e is string => !!e).map(e => e.toLowerCase()))];
				return { emails, userIds: admins.map(a => a.id) };
			},
		},

		/** `setup_intent.succeeded`: the confirmed card becomes the school's default payment method. */
		attachPaymentMethod: {
			params: { $$strict: "remove", customerId: { type: "string", min: 1, max: 255 }, paymentMethodId: { type: "string", min: 1, max: 255 }, schoolId: { ...ID, optional: true } },
			async handler(this: any, ctx: Ctx<PaymentMethodParams>) {
				const { customerId, paymentMethodId } = ctx.params;
				// The customer decides the school: a metadata schoolId that disagrees is ignored, not trusted.
				const doc = await this.model.findOne({ stripeCustomerId: customerId });
				if (!doc) return { attached: false, reason: "unknown customer" };
				if (ctx.params.schoolId && ctx.params.schoolId !== String(doc.schoolId)) return { attached: false, reason: "school mismatch" };
				const stripe = stripeClient(settings().billing);
				const pm = await stripe.paymentMethods.retrieve(paymentMethodId);
				await stripe.customers.update(customerId, { invoice_settings: { default_payment_method: paymentMethodId } });
				const card = pm.card;
				const summary = card
					? { kind: "card", brand: card.brand, last4: card.last4, expMonth: card.exp_month, expYear: card.exp_year }
					: { kind: pm.type, brand: null, last4: null, expMonth: null, expYear: null };
				await this.model.updateOne({ _id: doc._id }, { $set: { defaultPaymentMethodId: paymentMethodId, paymentMethod: summary } });
				return { attached: true, schoolId: String(doc.schoolId) };
			},
		},

		/** `payment_method.detached`: a card removed at Stripe can no longer be debited. */
		detachPaymentMethod: {
			params: { $$strict: "remove", paymentMethodId: { type: "string", min: 1, max: 255 } },
			async handler(this: any, ctx: Ctx<{ paymentMethodId: string }>) {
				const res = await this.model.updateMany(
					{ defaultPaymentMethodId: ctx.params.paymentMethodId },
					{ $set: { defaultPaymentMethodId: null, paymentMethod: null, autoDebit: false } },
				);
				return { detached: res.modifiedCount };
			},
		},

		/** What a payment needs: the Stripe customer and card. */
		forPayment: {
			params: { $$strict: "remove", schoolId: ID },
			async handler(this: any, ctx: Ctx<{ schoolId: string }>) {
				const doc = await this.model.findOne({ schoolId: ctx.params.schoolId }).lean();
				return doc ? this.summaryOf(doc) : null;
			},
		},

		/** The Stripe customer of a school, made on first need (idempotent at Stripe and here). */
		customer: {
			params: { $$strict: "remove", schoolId: ID },
			async handler(this: any, ctx: Ctx<{ schoolId: string }>) {
				return { customerId: await this.ensureCustomer(ctx, ctx.params.schoolId) };
			},
		},
	},

	methods: {
		summaryOf(d: any) {
			return {
				schoolId: String(d.schoolId),
				legalName: d.legalName,
				address: d.address ?? null,
				country: d.country,
				vatNumber: d.vatNumber ?? null,
				billingEmail: d.billingEmail ?? null,
				purchaseOrder: d.purchaseOrder ?? null,
				autoDebit: !!d.autoDebit && !!d.defaultPaymentMethodId,
				stripeCustomerId: d.stripeCustomerId ?? null,
				defaultPaymentMethodId: d.defaultPaymentMethodId ?? null,
				paymentMethod: d.paymentMethod ?? null,
				configured: !!d.configured,
			};
		},

		async ensureCustomer(this: any, ctx: Ctx<any>, schoolId: string): Promise<string> {
			const existing = await this.model.findOne({ schoolId });
			if (existing?.stripeCustomerId) return existing.stripeCustomerId;
			let name = existing?.legalName;
			if (!name) name = ((await ctx.call("schools.resolve", { id: schoolId })) as { name: string }).name;
			const stripe = stripeClient(settings().billing);
			// One customer per school even when two requests race: Stripe answers a repeated key with the same customer.
			const customer = await callStripe(() =>
				stripe.customers.create({ name, email: existing?.billingEmail ?? undefined, metadata: { schoolId } }, { idempotencyKey: `customer-${schoolId}` }),
			);
			try {
				const doc = await this.model.findOneAndUpdate(
					{ schoolId, stripeCustomerId: null },
					{ $set: { stripeCustomerId: customer.id }, $setOnInsert: { legalName: name, country: "FR" } },
					{ new: true, upsert: true },
				);
				return doc.stripeCustomerId;
			} catch (err: any) {
				if (err?.code !== 11000) throw err;
				const doc = await this.model.findOne({ schoolId });
				return doc.stripeCustomerId;
			}
		},
	},
};

export default BillingAccountsService;
