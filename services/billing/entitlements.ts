/**
 * What a school may do under its plan: the answer of `subscriptions.check`, and the seat arithmetic
 * of plan changes. Pure functions over the plan catalogue and a subscription's numbers.
 */
import { MODULES, type Module, type Plan } from "../../config/plans.js";

export const CHECK_REASONS = {
	PLAN_FORBIDS: "PLAN_FORBIDS",
	SEAT_LIMIT_REACHED: "SEAT_LIMIT_REACHED",
	SUBSCRIPTION_INACTIVE: "SUBSCRIPTION_INACTIVE",
	UNKNOWN_FEATURE: "UNKNOWN_FEATURE",
} as const;
export type CheckReason = (typeof CHECK_REASONS)[keyof typeof CHECK_REASONS];

export interface CheckAnswer {
	allowed: boolean;
	reason?: CheckReason;
}

export interface SeatState {
	status: string;
	seatLimit: number;
	seatsUsed: number;
	/** Modules a platform admin added beyond the plan. */
	modules?: readonly string[];
}

/** The plan's modules and the ones added beyond it. */
export function enabledModules(plan: Plan, sub: Pick<SeatState, "modules">): Module[] {
	return [...new Set([...plan.modules, ...((sub.modules ?? []).filter(isModule))])];
}

export function isModule(feature: string): feature is Module {
	return (MODULES as readonly string[]).includes(feature);
}

/** May the school use `feature` and add `seats` more users? Inactive beats everything else. */
export function checkEntitlement(plan: Plan, sub: SeatState, ask: { feature?: string; seats?: number }): CheckAnswer {
	if (sub.status !== "active") return { allowed: false, reason: CHECK_REASONS.SUBSCRIPTION_INACTIVE };
	if (ask.feature !== undefined) {
		if (!isModule(ask.feature)) return { allowed: false, reason: CHECK_REASONS.UNKNOWN_FEATURE };
		if (!enabledModules(plan, sub).includes(ask.feature)) return { allowed: false, reason: CHECK_REASONS.PLAN_FORBIDS };
	}
	if (ask.seats !== undefined && ask.seats > sub.seatLimit - sub.seatsUsed) {
		return { allowed: false, reason: CHECK_REASONS.SEAT_LIMIT_REACHED };
	}
	return { allowed: true };
}

export function seatLimitFor(plan: Plan, override?: number | null): number {
	return override ?? plan.seats;
}

/** The counters after a limit change, or null when the seats already taken do not fit the new limit. */
export function resizeSeats(seatsUsed: number, newLimit: number): { seatLimit: number; seatsFree: number } | null {
	if (seatsUsed > newLimit) return null;
	return { seatLimit: newLimit, seatsFree: newLimit - seatsUsed };
}

/** How many seats a release may actually give back without going below zero. */
export function releasable(seatsUsed: number, count: number): number {
	return Math.max(0, Math.min(seatsUsed, count));
}

/** Tokens the school's AI may still use this month under its plan (0 when the plan has no `ai` module). */
export function aiTokensLeft(plan: Pick<Plan, "modules" | "aiMonthlyTokens">, usedThisMonth: number): number {
	if (!plan.modules.includes("ai")) return 0;
	return Math.max(0, plan.aiMonthlyTokens - usedThisMonth);
}
