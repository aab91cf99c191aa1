/**
 * The dunning calendar (BILLING_DUNNING_DAYS, +3, +7, +14 days by default). It starts at the first
 * failed automatic payment of an invoice, or at its due date when the school pays by transfer. Each step
 * retries the card (auto-debit) or sends a reminder, and tells the school admins; when the last step
 * fails too, the subscription is suspended. Pure: dates and steps only.
 */
import { addDays } from "./period.js";

export interface DunningState {
	startedAt: Date;
	/** Steps done so far (0 when dunning has just started). */
	step: number;
	/** When the next step is due; null once every step is done. */
	nextAt: Date | null;
	/** Automatic payment attempts made for the invoice. */
	attempts: number;
}

export function startDunning(at: Date, days: readonly number[], attempts = 0): DunningState {
	return { startedAt: at, step: 0, nextAt: days.length > 0 ? addDays(at, days[0]) : null, attempts };
}

/** The state once step `state.step + 1` is done. */
export function afterStep(state: DunningState, days: readonly number[]): DunningState {
	const step = state.step + 1;
	return { ...state, step, nextAt: step < days.length ? addDays(state.startedAt, days[step]) : null };
}

/** Whether `step` (1-based, the one being done) is the last: its failure suspends the subscription. */
export function isLastStep(step: number, days: readonly number[]): boolean {
	return step >= days.length;
}

/** Whole days since dunning started, for messages ("J+7"). */
export function dayOfDunning(state: Pick<DunningState, "startedAt">, at: Date): number {
	return Math.round((at.getTime() - state.startedAt.getTime()) / 86_400_000);
}
