/**
 * Stripe's webhook, at POST /api/billing/webhooks/stripe (a gateway route of its own that keeps the raw
 * body: services/gateway/webhook-routes.ts). The signature is checked on the exact bytes Stripe sent,
 * with the `stripe` package; a bad one answers 400 and changes nothing. Each event is applied once (by
 * event id); events may come in any order, and the handlers' rules make that safe (payments.applyOutcome).
 */
import type Stripe from "stripe";
import { settings } from "../../config/env.js";
import { StripeEvent } from "../../models/stripe-event.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import { ClientError, ERR } from "../shared/errors.js";
import { systemMeta, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { stripeWebhooks } from "./stripe-client.js";

/** How far a signature's timestamp may be from now (Stripe's own default). */
const TOLERANCE_SECONDS = 300;

const StripeWebhooksService: ServiceDef = {
	name: "stripeWebhooks",
	// The mixin holds this node's database connection (and would serve an events listing later); no client route reads it.
	mixins: [dbMixin(StripeEvent, { fields: ["id", "type", "outcome", "processedAt"], tenant: false })],

	actions: {
		receive: {
			params: { $$strict: "remove", payload: { type: "string", max: 1_048_576 }, signature: { type: "string", max: 2000 } },
			async handler(this: any, ctx: Ctx<{ payload: string; signature: string }>) {
				const secret = settings().billing.stripeWebhookSecret;
				if (!secret) throw new ClientError("The Stripe webhook is not configured (STRIPE_WEBHOOK_SECRET is not set)", 503, ERR.PAYMENTS_UNAVAILABLE);
				let event: Stripe.Event;
				try {
					event = stripeWebhooks.constructEvent(ctx.params.payload, ctx.params.signature, secret, TOLERANCE_SECONDS);
				} catch (err: any) {
					throw new ClientError(`Invalid Stripe signature: ${String(err?.message ?? "").split(".")[0]}`, 400, ERR.INVALID_SIGNATURE);
				}
				if (await StripeEvent.exists({ _id: event.id })) return { received: true, duplicate: true };
				// Whoever posted, the handlers act as the system.
				ctx.meta.user = systemMeta().user;
				const outcome = await this.dispatch(ctx, event);
				await StripeEvent.updateOne(
					{ _id: event.id },
					{ $setOnInsert: { type: event.type, createdAt: new Date(event.created * 1000), outcome: String(outcome), processedAt: new Date() } },
					{ upsert: true },
				);
				return { received: true, outcome };
			},
		},
	},

	methods: {
		async dispatch(this: any, ctx: Ctx<any>, event: Stripe.Event): Promise<string> {
			const object: any = (event.data as { object?: unknown })?.object ?? {};
			switch (event.type) {
				case "payment_intent.succeeded":
				case "payment_intent.payment_failed":
				case "payment_intent.requires_action":
				case "payment_intent.processing":
				case "payment_intent.canceled": {
					const result: any = await ctx.call("payments.handleEvent", { type: event.type, created: event.created, paymentIntent: object });
					return result.outcome;
				}
				case "setup_intent.succeeded": {
					if (!object.customer || !object.payment_method) return "ignored: no customer or payment method";
					const customerId = typeof object.customer === "string" ? object.customer : object.customer.id;
					const paymentMethodId = typeof object.payment_method === "string" ? object.payment_method : object.payment_method.id;
					const schoolId = /^[0-9a-f]{24}$/i.test(object.metadata?.schoolId ?? "") ? object.metadata.schoolId : undefined;
					const result: any = await ctx.call("billingAccounts.attachPaymentMethod", { customerId, paymentMethodId, ...(schoolId ? { schoolId } : {}) });
					return result.attached ? "payment method attached" : `ignored: ${result.reason}`;
				}
				case "payment_method.detached": {
					if (!object.id) return "ignored: no payment method";
					const result: any = await ctx.call("billingAccounts.detachPaymentMethod", { paymentMethodId: object.id });
					return `detached from ${result.detached} account(s)`;
				}
				default:
					return "ignored: event type not handled";
			}
		},
	},
};

export default StripeWebhooksService;
