/**
 * Stripe webhook events already handled (owned by stripeWebhooks), by event id: a redelivered event is
 * answered without being applied again.
 */
import { defineModel, defineSchema } from "./define.js";

export const StripeEventSchema = defineSchema(
	{
		_id: { type: String, required: true },
		type: { type: String, required: true },
		/** `created` of the event (Stripe's clock). */
		createdAt: { type: Date },
		outcome: { type: String, required: true },
		processedAt: { type: Date, required: true },
	},
	{ timestamps: false },
);

export const StripeEvent = defineModel("StripeEvent", StripeEventSchema);
