/**
 * Payments: collecting invoices. Auto-debit charges the school's card off session when an invoice is
 * announced (and again at each dunning step), with an idempotency key per invoice and attempt, so a
 * retried message or a second node never charges twice. A school admin can pay on session (finishing
 * 3-D Secure, or with another card); a platform admin records bank transfers. Stripe's webhooks say how
 * each attempt ended; the same rules read the synchronous answer and the webhook (payment-outcome.ts).
 */
import mongoose from "mongoose";
import type Stripe from "stripe";
import { settings } from "../../config/env.js";
import { Payment } from "../../models/payment.model.js";
import { recordAudit } from "../shared/audit-trail.js";
import { dbMixin } from "../shared/db.mixin.js";
import type { DurableMessage } from "../shared/durable.js";
import { ClientError, conflict, ERR, isDuplicateKey, notFound } from "../shared/errors.js";
import { callerSchoolId, currentUser, systemMeta, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { billingClock } from "./billing-clock.js";
import { mayReplace, outcomeOf, outcomeOfError, type Outcome, type PaymentIntentLike } from "./payment-outcome.js";
import { callStripe, stripeClient } from "./stripe-client.js";
import { paymentsPersonalData } from "./personal-data.js";

const FIELDS = ["id", "invoiceId", "provider", "providerPaymentId", "attempt", "offSession", "amountCents", "currency", "status", "failureCode", "failureReason", "succeededAt", "failedAt", "createdAt"];

interface InvoiceView {
	id: string;
	schoolId: string;
	number: string | null;
	status: string;
	amountDueCents: number;
	currency: string;
	autoDebit: boolean;
	pendingAction: { paymentIntentId: string } | null;
}

interface CreatedMessage extends DurableMessage {
	invoiceId: string;
	autoDebit?: boolean;
}

const stripe = () => stripeClient(settings().billing);

/** moleculer's schema type does not know the `channels` section @moleculer/channels reads. */
const PaymentsService: ServiceDef & { channels: Record<string, unknown> } = {
	name: "payments",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [paymentsPersonalData, dbMixin(Payment, { fields: FIELDS })],

	actions: {
		/** Charges the school's saved card for an invoice, off session; `attempt` makes the charge idempotent. */
		collect: {
			params: { $$strict: "remove", invoiceId: ID, attempt: { type: "number", integer: true, min: 1, max: 20 } },
			async handler(this: any, ctx: Ctx<{ invoiceId: string; attempt: number }>) {
				const invoice: InvoiceView = await ctx.call("invoices.resolve", { id: ctx.params.invoiceId });
				if (!["pending", "payment_failed"].includes(invoice.status) || invoice.amountDueCents <= 0) return { skipped: `invoice is ${invoice.status}` };
				const account: any = await ctx.call("billingAccounts.forPayment", { schoolId: invoice.schoolId });
				if (!invoice.autoDebit && ctx.params.attempt === 1 && !account?.autoDebit) return { skipped: "no automatic debit" };
				const payment = await this.attemptRecord(invoice, ctx.params.attempt, true);
				if (!account?.autoDebit || !account.stripeCustomerId || !account.defaultPaymentMethodId) {
					// The card went (or auto-debit was turned off) after the invoice was issued for auto-debit: a failed
					// attempt, so the school is told and dunning runs, instead of an invoice nobody chases.
					await this.applyOutcome(ctx, payment, { kind: "failed", code: "payment_method_missing", reason: "Aucune carte n'est enregistrée pour le prélèvement automatique" }, null);
					return { paymentId: String(payment._id), outcome: "failed" };
				}
				if (payment.status !== "processing" || payment.providerPaymentId) return { paymentId: String(payment._id), status: payment.status };
				let outcome: Outcome;
				let pi: Stripe.PaymentIntent | null = null;
				try {
					pi = await stripe().paymentIntents.create(
						{
							amount: payment.amountCents,
							currency: payment.currency,
							customer: account.stripeCustomerId,
							payment_method: account.defaultPaymentMethodId,
							off_session: true,
							confirm: true,
							description: `Facture ${invoice.number}`,
							metadata: { invoiceId: invoice.id, schoolId: invoice.schoolId, attempt: String(ctx.params.attempt), paymentId: String(payment._id) },
						},
						{ idempotencyKey: payment.idempotencyKey },
					);
					outcome = outcomeOf(pi as PaymentIntentLike);
				} catch (err: any) {
					const declined = outcomeOfError(err);
					if (!declined) throw err; // network or Stripe trouble: the message is redelivered, the key keeps it one charge
					outcome = declined;
					pi = err.raw?.payment_intent ?? err.payment_intent ?? null;
				}
				if (pi?.id) await this.model.updateOne({ _id: payment._id, providerPaymentId: null }, { $set: { providerPaymentId: pi.id } });
				await this.applyOutcome(ctx, await this.model.findById(payment._id), outcome, null);
				return { paymentId: String(payment._id), paymentIntentId: pi?.id ?? null, outcome: outcome.kind };
			},
		},

		/**
		 * The school admin pays now: the PaymentIntent waiting for 3-D Secure, or a new one for what is due,
		 * for the browser to confirm with Stripe.js (the webhook then says how it went).
		 */
		pay: {
			rest: "POST /billing/invoices/:id/pay",
			params: { $$strict: true, id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const schoolId = callerSchoolId(ctx);
				const invoice = await this.invoiceOf(ctx, ctx.params.id);
				// Another school's invoice looks exactly like a missing one.
				if (!invoice || invoice.schoolId !== schoolId || invoice.status === "draft") throw notFound("Invoice", ctx.params.id);
				if (!["pending", "payment_failed", "uncollectible"].includes(invoice.status) || invoice.amountDueCents <= 0) {
					throw conflict(`This invoice is ${invoice.status}: there is nothing to pay`, ERR.INVOICE_NOT_PAYABLE);
				}
				if (invoice.pendingAction?.paymentIntentId) {
					const waiting = await callStripe(() => stripe().paymentIntents.retrieve(invoice.pendingAction!.paymentIntentId));
					return { paymentIntentId: waiting.id, clientSecret: waiting.client_secret, amountCents: invoice.amountDueCents, currency: invoice.currency };
				}
				const { customerId } = (await ctx.call("billingAccounts.customer", { schoolId })) as { customerId: string };
				const attempt = (await this.model.countDocuments({ invoiceId: invoice.id })) + 1;
				const payment = await this.attemptRecord(invoice, attempt, false);
				const pi = await callStripe(() =>
					stripe().paymentIntents.create(
						{
							amount: payment.amountCents,
							currency: payment.currency,
							customer: customerId,
							description: `Facture ${invoice.number}`,
							metadata: { invoiceId: invoice.id, schoolId, attempt: String(attempt), paymentId: String(payment._id) },
						},
						{ idempotencyKey: payment.idempotencyKey },
					),
				);
				await this.model.updateOne({ _id: payment._id, providerPaymentId: null }, { $set: { providerPaymentId: pi.id } });
				return { paymentIntentId: pi.id, clientSecret: pi.client_secret, amountCents: payment.amountCents, currency: payment.currency };
			},
		},

		/** A bank transfer received, recorded by a platform admin (audited). */
		recordTransfer: {
			rest: "POST /billing/invoices/:id/mark-paid",
			params: {
				$$strict: true,
				id: ID,
				reference: { type: "string", trim: true, min: 3, max: 100 },
				amountCents: { type: "number", integer: true, min: 1, max: 100_000_000, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ id: string; reference: string; amountCents?: number }>) {
				const invoice = await this.invoiceOf(ctx, ctx.params.id);
				if (!invoice || invoice.status === "draft") throw notFound("Invoice", ctx.params.id);
				if (!["pending", "payment_failed", "uncollectible"].includes(invoice.status) || invoice.amountDueCents <= 0) {
					throw conflict(`This invoice is ${invoice.status}: nothing is due`, ERR.INVOICE_NOT_PAYABLE);
				}
				const amountCents = ctx.params.amountCents ?? invoice.amountDueCents;
				if (amountCents > invoice.amountDueCents) {
					throw new ClientError(`The transfer (${amountCents} cents) is more than what is due (${invoice.amountDueCents} cents)`, 422, ERR.AMOUNT_TOO_HIGH, { amountDueCents: invoice.amountDueCents });
				}
				const key = `transfer-${invoice.id}-${ctx.params.reference}`;
				let payment = await this.model.findOne({ idempotencyKey: key });
				if (!payment) {
					// A retried request (same invoice and reference) finds the payment it recorded.
					for (let attempt = (await this.model.countDocuments({ invoiceId: invoice.id })) + 1; !payment; attempt++) {
						try {
							payment = await this.model.create({
								schoolId: invoice.schoolId, invoiceId: invoice.id, provider: "bank_transfer", providerPaymentId: ctx.params.reference, attempt,
								idempotencyKey: key, amountCents, currency: invoice.currency, status: "succeeded", succeededAt: billingClock.now(), recordedBy: currentUser(ctx).id,
							});
						} catch (err: any) {
							if (!isDuplicateKey(err)) throw err;
							payment = await this.model.findOne({ idempotencyKey: key });
						}
					}
				}
				const applied: any = await ctx.call("invoices.applyPayment", { invoiceId: invoice.id, paymentId: String(payment._id), amountCents: payment.amountCents, method: "bank_transfer" });
				if (applied.applied) {
					await recordAudit(ctx, {
						schoolId: invoice.schoolId,
						action: "billing.invoice.markedPaid",
						targetType: "invoice",
						targetId: invoice.id,
						data: { number: invoice.number, reference: ctx.params.reference, amountCents: payment.amountCents, method: "bank_transfer" },
					});
				}
				return { ...(await this.toJSON(ctx, payment)), invoiceStatus: applied.status };
			},
		},

		/** A PaymentIntent event from Stripe's webhook (signature already checked). */
		handleEvent: {
			params: { $$strict: "remove", type: { type: "string", max: 100 }, created: "number", paymentIntent: "object" },
			async handler(this: any, ctx: Ctx<{ type: string; created: number; paymentIntent: PaymentIntentLike & { metadata?: Record<string, string>; currency?: string } }>) {
				const pi = ctx.params.paymentIntent;
				let payment = await this.model.findOne({ providerPaymentId: pi.id });
				// Our own metadata names the attempt when the webhook beats the answer of the create call.
				if (!payment && pi.metadata?.paymentId && mongoose.isValidObjectId(pi.metadata.paymentId)) {
					payment = await this.model.findOneAndUpdate({ _id: pi.metadata.paymentId, providerPaymentId: null }, { $set: { providerPaymentId: pi.id } }, { new: true });
				}
				if (!payment) return { outcome: "ignored: unknown PaymentIntent" };
				let outcome = outcomeOf(pi);
				if (ctx.params.type === "payment_intent.payment_failed" && outcome.kind !== "failed") {
					const err = pi.last_payment_error;
					outcome = err?.code === "authentication_required" || err?.decline_code === "authentication_required"
						? { kind: "requires_action" }
						: { kind: "failed", code: err?.decline_code ?? err?.code ?? "payment_failed", reason: err?.message ?? "The payment failed" };
				}
				if (outcome.kind === "succeeded" && (pi.amount_received ?? pi.amount ?? 0) < payment.amountCents) {
					this.logger.warn("PaymentIntent succeeded for less than the attempt's amount", { paymentIntentId: pi.id, received: pi.amount_received, expected: payment.amountCents });
					outcome = { kind: "succeeded", amountReceivedCents: pi.amount_received ?? pi.amount ?? 0 };
				}
				return { outcome: await this.applyOutcome(ctx, payment, outcome, new Date(ctx.params.created * 1000)) };
			},
		},

		/**
		 * Card payments still without a verdict a day after they were made (a webhook Stripe never delivered):
		 * asks Stripe how each PaymentIntent stands and applies it.
		 */
		reconcile: {
			params: { $$strict: "remove", olderThanHours: { type: "number", integer: true, min: 1, max: 720, optional: true } },
			async handler(this: any, ctx: Ctx<{ olderThanHours?: number }>) {
				const before = new Date(billingClock.now().getTime() - (ctx.params.olderThanHours ?? 24) * 3_600_000);
				const stuck = await this.model.find({ provider: "stripe", status: { $in: ["processing", "requires_action"] }, providerPaymentId: { $ne: null }, createdAt: { $lt: before } }).limit(200);
				let changed = 0;
				for (const payment of stuck) {
					try {
						const pi = await stripe().paymentIntents.retrieve(payment.providerPaymentId);
						if (pi.id !== payment.providerPaymentId) continue;
						// Only a verdict changes anything; "still processing" is what we knew.
						const outcome = outcomeOf(pi as PaymentIntentLike);
						if (outcome.kind === "processing") continue;
						const result = await this.applyOutcome(ctx, payment, outcome, null);
						if (result !== "unchanged" && !result.startsWith("ignored")) changed++;
					} catch (err) {
						this.logger.warn("Could not reconcile a payment with Stripe", { paymentId: String(payment._id) }, err);
					}
				}
				return { checked: stuck.length, changed };
			},
		},

		/** The payments of an invoice, oldest first (shown with the invoice). */
		forInvoice: {
			params: { $$strict: "remove", invoiceId: ID },
			async handler(this: any, ctx: Ctx<{ invoiceId: string }>) {
				const docs = await this.model.find({ invoiceId: ctx.params.invoiceId }).sort({ attempt: 1 });
				return this.toJSON(ctx, docs);
			},
		},
	},

	channels: {
		/** Auto-debit starts when an invoice is announced. */
		"billing.invoice.created": {
			group: "billing-collect",
			context: true,
			async handler(this: any, ctx: Ctx<CreatedMessage>) {
				ctx.meta.user = systemMeta().user;
				if (!ctx.params.autoDebit || !ctx.params.invoiceId) return;
				try {
					await ctx.call("payments.collect", { invoiceId: ctx.params.invoiceId, attempt: 1 });
				} catch (err: any) {
					// Without Stripe configured there is nothing to retry; anything else is redelivered.
					if (err?.type === ERR.PAYMENTS_UNAVAILABLE) {
						this.logger.error("Auto-debit skipped: STRIPE_SECRET_KEY is not set", { invoiceId: ctx.params.invoiceId });
						return;
					}
					throw err;
				}
			},
		},
	},

	methods: {
		async invoiceOf(ctx: Ctx<any>, id: string): Promise<InvoiceView | null> {
			try {
				return await ctx.call<InvoiceView, { id: string }>("invoices.resolve", { id });
			} catch (err: any) {
				if (err?.code === 404) return null;
				throw err;
			}
		},

		/** The payment document of (invoice, attempt), made once; its idempotency key is Stripe's too. */
		async attemptRecord(this: any, invoice: InvoiceView, attempt: number, offSession: boolean) {
			const idempotencyKey = `invoice-${invoice.id}-attempt-${attempt}`;
			try {
				return await this.model.create({
					schoolId: invoice.schoolId, invoiceId: invoice.id, provider: "stripe", attempt, offSession, idempotencyKey,
					amountCents: invoice.amountDueCents, currency: invoice.currency, status: "processing",
				});
			} catch (err) {
				if (!isDuplicateKey(err)) throw err;
				const existing = await this.model.findOne({ invoiceId: invoice.id, attempt });
				if (!existing) throw conflict("Another payment attempt is being made, try again", ERR.CONFLICT);
				return existing;
			}
		},

		/**
		 * Moves a payment to an outcome (once; a success is final; an older event never undoes a newer one)
		 * and tells the invoice.
		 */
		async applyOutcome(this: any, ctx: Ctx<any>, payment: any, outcome: Outcome, eventAt: Date | null): Promise<string> {
			const status = { succeeded: "succeeded", requires_action: "requires_action", processing: "processing", failed: "failed", canceled: "canceled" }[outcome.kind];
			const newer = !eventAt || !payment.lastEventAt || eventAt.getTime() >= payment.lastEventAt.getTime();
			if (payment.status === status && outcome.kind !== "succeeded" && outcome.kind !== "failed") return "unchanged";
			if (!mayReplace(payment.status, outcome.kind, newer)) return `ignored: ${payment.status} stays`;
			const now = billingClock.now();
			const set: Record<string, unknown> = { status };
			if (eventAt) set.lastEventAt = eventAt;
			if (outcome.kind === "succeeded") set.succeededAt = now;
			if (outcome.kind === "failed") Object.assign(set, { failedAt: now, failureCode: outcome.code, failureReason: outcome.reason });
			const filter: Record<string, unknown> = { _id: payment._id, status: payment.status };
			const updated = await this.model.findOneAndUpdate(filter, { $set: set }, { new: true });
			if (!updated) return this.applyOutcome(ctx, await this.model.findById(payment._id), outcome, eventAt);
			const invoiceId = String(payment.invoiceId);
			switch (outcome.kind) {
				case "succeeded":
					await ctx.call("invoices.applyPayment", { invoiceId, paymentId: String(payment._id), amountCents: outcome.amountReceivedCents || payment.amountCents, method: "card" });
					break;
				case "failed":
					await ctx.call("invoices.recordPaymentFailure", { invoiceId, paymentId: String(payment._id), attempt: payment.attempt, reason: outcome.reason, code: outcome.code });
					break;
				case "requires_action":
					if (payment.providerPaymentId) await ctx.call("invoices.setPendingAction", { invoiceId, paymentIntentId: payment.providerPaymentId });
					break;
				default:
					break;
			}
			return status;
		},
	},

	async started(this: any) {
		await this.model.init();
	},
};

export default PaymentsService;
