/**
 * A school's subscription: which plan, whether it is in force, and the seat counter.
 * `seatsFree` is kept beside `seatsUsed` (always seatLimit - seatsUsed) so that reserving seats is one
 * conditional update with a plain filter on the school's unique key (`{schoolId, seatsFree: {$gte: n}}`).
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const SUBSCRIPTION_STATUSES = ["active", "suspended", "canceled"] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const SubscriptionSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, unique: true, index: true },
	plan: { type: String, required: true },
	status: { type: String, enum: SUBSCRIPTION_STATUSES, required: true, default: "active" },
	/** Set by a platform admin to depart from the plan's seats; null follows the plan. */
	seatLimitOverride: { type: Number, min: 0, default: null },
	seatLimit: { type: Number, required: true, min: 0 },
	seatsUsed: { type: Number, required: true, min: 0, default: 0 },
	seatsFree: { type: Number, required: true, min: 0 },
});

export const Subscription = defineModel("Subscription", SubscriptionSchema);
