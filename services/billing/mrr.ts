/**
 * Monthly recurring revenue, excluding VAT: what the schools in force (active or past due) would be
 * invoiced for a full month on their current terms, seats as used today. Trials bring nothing; suspended
 * and canceled schools are left out until they pay again. Metered usage is not recurring.
 */
import { MODULE_PRICES, planById, type Module } from "../../config/plans.js";
import type { Lifecycle } from "../../models/subscription.model.js";

export interface MrrInput {
	plan: string;
	modules: readonly string[];
	seatsUsed: number;
	lifecycle: Lifecycle;
}

export function monthlyAmount(sub: Omit<MrrInput, "lifecycle">): number {
	const plan = planById(sub.plan);
	if (!plan) return 0;
	const addOns = sub.modules.filter(m => !plan.modules.includes(m as Module) && m in MODULE_PRICES);
	const extraSeats = Math.max(0, sub.seatsUsed - plan.seats);
	return plan.monthlyPriceCents + addOns.reduce((n, m) => n + MODULE_PRICES[m as Module], 0) + extraSeats * plan.extraSeatPriceCents;
}

export function mrrOf(subs: readonly MrrInput[]): { mrrCents: number; byLifecycle: Record<Lifecycle, number>; payingSchools: number } {
	const byLifecycle: Record<Lifecycle, number> = { trialing: 0, active: 0, past_due: 0, suspended: 0, canceled: 0 };
	let mrrCents = 0;
	let payingSchools = 0;
	for (const sub of subs) {
		byLifecycle[sub.lifecycle] += 1;
		if (sub.lifecycle !== "active" && sub.lifecycle !== "past_due") continue;
		const amount = monthlyAmount(sub);
		mrrCents += amount;
		if (amount > 0) payingSchools += 1;
	}
	return { mrrCents, byLifecycle, payingSchools };
}
