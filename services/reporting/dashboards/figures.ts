/**
 * Small pure helpers shared by the dashboards: rates that say "null" rather than divide by zero, rounding, the
 * streak of active days, and the at-risk rules a teacher sees (docs/REPORTING.md states them).
 */
import { addDays } from "../feed/local-time.js";
import type { Counters, ItemRecord, Series } from "./read.js";
import { failingRun } from "./recall.js";

export const rate = (part: number, whole: number): number | null => (whole > 0 ? round(part / whole, 4) : null);
export const round = (x: number, digits = 2): number => Math.round(x * 10 ** digits) / 10 ** digits;
export const minutes = (ms: number): number => round(ms / 60_000, 1);

/** A day counts as active when the student reviewed, finished a session or an evaluation, or asked the tutor. */
export const activeDay = (c: Counters | undefined): boolean => !!c && ((c.rv ?? 0) > 0 || (c.ss ?? 0) + (c.sa ?? 0) > 0 || (c.ev ?? 0) > 0 || (c.aq ?? 0) > 0);

/** Consecutive active days ending today, or yesterday when today has nothing yet (the streak is not lost before the day ends). */
export function streak(series: Series, today: string): number {
	let day = activeDay(series.get(today)) ? today : addDays(today, -1);
	let count = 0;
	while (activeDay(series.get(day))) {
		count++;
		day = addDays(day, -1);
	}
	return count;
}

/** The last day (up to today) with activity, or null. */
export function lastActiveDay(series: Series): string | null {
	let last: string | null = null;
	for (const [day, c] of series) if (activeDay(c) && (last === null || day > last)) last = day;
	return last;
}

export interface RiskReason {
	code: "inactive" | "never_active" | "falling_recall" | "repeated_failures";
	detail: string;
}

export const RISK_RULES = {
	/** Days without activity before a student is flagged. */
	inactiveDays: 7,
	/** Recent window and the baseline before it, for the model's mean predicted recall. */
	recentDays: 7,
	baselineDays: 21,
	/** Drop of mean predicted recall that flags a student, and predictions needed in each window. */
	recallDrop: 0.1,
	minPredictions: 5,
	/** Wrong answers in a row on one item. */
	failures: 3,
} as const;

/**
 * Why a student is at risk as of `today`, from their daily series (the last baselineDays + recentDays days at
 * least) and their item records: inactivity, a falling predicted recall, items failed again and again.
 */
export function riskReasons(series: Series, items: Record<string, ItemRecord>, today: string): RiskReason[] {
	const reasons: RiskReason[] = [];
	const last = lastActiveDay(series);
	if (last === null) reasons.push({ code: "never_active", detail: `no activity in the last ${RISK_RULES.recentDays + RISK_RULES.baselineDays} days` });
	else if (last <= addDays(today, -RISK_RULES.inactiveDays)) reasons.push({ code: "inactive", detail: `last active on ${last}` });

	const window = (fromBack: number, days: number) => {
		let pn = 0;
		let pr = 0;
		for (let i = fromBack; i < fromBack + days; i++) {
			const c = series.get(addDays(today, -i));
			pn += c?.pn ?? 0;
			pr += c?.pr ?? 0;
		}
		return { pn, mean: pn > 0 ? pr / pn : null };
	};
	const recent = window(0, RISK_RULES.recentDays);
	const before = window(RISK_RULES.recentDays, RISK_RULES.baselineDays);
	if (recent.pn >= RISK_RULES.minPredictions && before.pn >= RISK_RULES.minPredictions && before.mean! - recent.mean! >= RISK_RULES.recallDrop) {
		reasons.push({ code: "falling_recall", detail: `predicted recall ${round(before.mean! * 100, 0)}% → ${round(recent.mean! * 100, 0)}%` });
	}
	const failing = Object.entries(items).filter(([, r]) => failingRun(r, RISK_RULES.failures)).map(([itemId]) => itemId);
	if (failing.length > 0) reasons.push({ code: "repeated_failures", detail: `${failing.length} item(s) wrong ${RISK_RULES.failures} times in a row` });
	return reasons;
}
