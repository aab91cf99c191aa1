/**
 * A subscription's lifecycle: trialing → active → past_due → suspended → canceled, and back to active
 * once what is overdue is paid. Pure: which transitions are allowed, and the access `status` each
 * lifecycle gives (the switch the other blocks read).
 */
import { planById } from "../../config/plans.js";
import type { Lifecycle, SubscriptionStatus } from "../../models/subscription.model.js";

export type LifecycleEvent = "plan_paid" | "plan_free" | "payment_failed" | "dunning_exhausted" | "paid_up" | "cancel";

/** What each event does from each state; a missing entry means the event changes nothing there. */
const TRANSITIONS: Readonly<Record<LifecycleEvent, Partial<Record<Lifecycle, Lifecycle>>>> = {
	// A platform admin moves the school to a paid plan (or back to the free trial plan).
	plan_paid: { trialing: "active" },
	plan_free: { active: "trialing" },
	// The first failed payment (or an unpaid due date) of an invoice.
	payment_failed: { active: "past_due", trialing: "past_due" },
	// The last dunning step failed too.
	dunning_exhausted: { active: "suspended", trialing: "suspended", past_due: "suspended" },
	// Nothing overdue any more.
	paid_up: { past_due: "active", suspended: "active" },
	cancel: { trialing: "canceled", active: "canceled", past_due: "canceled", suspended: "canceled" },
};

export function nextLifecycle(current: Lifecycle, event: LifecycleEvent): Lifecycle | null {
	return TRANSITIONS[event][current] ?? null;
}

/** The states an event may start from: the filter of its conditional update. */
export function fromStates(event: LifecycleEvent): Lifecycle[] {
	return Object.keys(TRANSITIONS[event]) as Lifecycle[];
}

/** Whether a school in this state keeps using the platform (seats, modules, paths). */
export function grantsAccess(lifecycle: Lifecycle): boolean {
	return lifecycle === "trialing" || lifecycle === "active" || lifecycle === "past_due";
}

export function accessStatus(lifecycle: Lifecycle): SubscriptionStatus {
	if (lifecycle === "canceled") return "canceled";
	return grantsAccess(lifecycle) ? "active" : "suspended";
}

/** The lifecycle of a subscription written before billing kept one: free plans are trials. */
export function lifecycleOf(sub: { lifecycle?: Lifecycle | null; plan: string; status: SubscriptionStatus }): Lifecycle {
	if (sub.lifecycle) return sub.lifecycle;
	if (sub.status === "canceled") return "canceled";
	return (planById(sub.plan)?.monthlyPriceCents ?? 0) > 0 ? "active" : "trialing";
}

/** The date field each state records when entered. */
export const LIFECYCLE_DATE: Readonly<Partial<Record<Lifecycle, string>>> = {
	active: "activatedAt",
	past_due: "pastDueAt",
	suspended: "suspendedAt",
	canceled: "canceledAt",
};
