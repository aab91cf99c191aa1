/**
 * A school's subscription: which plan, whether it is in force, and the seat counter.
 * `seatsFree` is kept beside `seatsUsed` (always seatLimit - seatsUsed) so that reserving seats is one
 * conditional update with a plain filter on the school's unique key (`{schoolId, seatsFree: {$gte: n}}`).
 *
 * Two states, on purpose: `status` is the access switch every block reads (seats, entitlements, the
 * active-path limit) and `lifecycle` is billing's view with its dates. The lifecycle decides the switch:
 * trialing, active and past_due keep the school running; suspended (unpaid) and canceled stop it.
 * A platform admin's suspension of the school also sets `status` (services/users/schools).
 */
import { defineModel, defineSchema, ObjectId, part } from "./define.js";

export const SUBSCRIPTION_STATUSES = ["active", "suspended", "canceled"] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export const LIFECYCLES = ["trialing", "active", "past_due", "suspended", "canceled"] as const;
export type Lifecycle = (typeof LIFECYCLES)[number];

/** Terms in force from `at`: what proration reads (services/billing/invoice-amounts.ts). */
export const TermsSchema = part({
	at: { type: Date, required: true },
	plan: { type: String, required: true },
	/** Modules added beyond the plan by a platform admin. */
	modules: { type: [String], default: [] },
	seatLimit: { type: Number, default: null },
});

export const SubscriptionSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, unique: true, index: true },
	plan: { type: String, required: true },
	status: { type: String, enum: SUBSCRIPTION_STATUSES, required: true, default: "active" },
	/** Set by a platform admin to depart from the plan's seats; null follows the plan. */
	seatLimitOverride: { type: Number, min: 0, default: null },
	seatLimit: { type: Number, required: true, min: 0 },
	seatsUsed: { type: Number, required: true, min: 0, default: 0 },
	seatsFree: { type: Number, required: true, min: 0 },
	// Block 6: billing lifecycle (docs/BILLING.md)
	lifecycle: { type: String, enum: LIFECYCLES, default: null },
	/** Modules added beyond the plan. */
	modules: { type: [String], default: [] },
	history: { type: [TermsSchema], default: [] },
	/** When billing starts counting (the billing clock at creation); older subscriptions use createdAt. */
	startedAt: { type: Date, default: null },
	trialEndsAt: { type: Date, default: null },
	activatedAt: { type: Date, default: null },
	pastDueAt: { type: Date, default: null },
	suspendedAt: { type: Date, default: null },
	canceledAt: { type: Date, default: null },
	reactivatedAt: { type: Date, default: null },
});

export const Subscription = defineModel("Subscription", SubscriptionSchema);
