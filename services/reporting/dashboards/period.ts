/**
 * The period a dashboard covers: `from` and `to` (local dates, both included) in the school's time zone;
 * by default the 30 days ending today there. Every answer states it, with the zone.
 */
import { DateTime } from "luxon";
import { invalid } from "../../shared/errors.js";
import { addDays, daysBetween, today } from "../feed/local-time.js";

export const MAX_DAYS = 366;
export const DEFAULT_DAYS = 30;
export const DATE_RULE = { type: "string", pattern: /^\d{4}-\d{2}-\d{2}$/, optional: true } as const;
export const PERIOD_PARAMS = { from: DATE_RULE, to: DATE_RULE } as const;

export interface Period {
	from: string;
	to: string;
	timeZone: string;
	days: string[];
}

function valid(field: string, value: string): string {
	if (!DateTime.fromISO(value, { zone: "UTC" }).isValid) throw invalid(field, `"${value}" is not a calendar date (YYYY-MM-DD)`);
	return value;
}

export function periodOf(params: { from?: string; to?: string }, timeZone: string, now: Date = new Date(), defaultDays = DEFAULT_DAYS): Period {
	const to = params.to ? valid("to", params.to) : params.from ? addDays(valid("from", params.from), defaultDays - 1) : today(timeZone, now);
	const from = params.from ? valid("from", params.from) : addDays(to, -(defaultDays - 1));
	if (from > to) throw invalid("from", "must not be after `to`");
	const days = daysBetween(from, to);
	if (days.length > MAX_DAYS) throw invalid("to", `the period may cover at most ${MAX_DAYS} days`);
	return { from, to, timeZone, days };
}

/** How a period is stated in every answer. */
export function stated(p: Period) {
	return { from: p.from, to: p.to, days: p.days.length, timeZone: p.timeZone };
}
