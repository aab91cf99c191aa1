/**
 * Billing periods ("YYYY-MM") and calendar days reckoned in the platform's billing time zone
 * (BILLING_TIMEZONE, Europe/Paris by default): a period starts at local midnight on the 1st, whatever
 * the UTC offset or a daylight-saving change inside the month.
 */
import { wallClock } from "../shared/local-time.js";

export const PERIOD_PATTERN = /^(\d{4})-(0[1-9]|1[0-2])$/;

export interface PeriodBounds {
	period: string;
	/** First instant of the period (local midnight of the 1st). */
	start: Date;
	/** First instant of the next period. */
	end: Date;
	/** Calendar days in the period. */
	days: number;
}

export interface LocalDate {
	y: number;
	m: number;
	d: number;
}

/** The local calendar date of an instant. */
export function localDate(date: Date, timeZone: string): LocalDate {
	const { y, m, d } = wallClock(date, timeZone);
	return { y, m, d };
}

/** "YYYY-MM-DD" of an instant in the zone. */
export function localDay(date: Date, timeZone: string): string {
	const { y, m, d } = localDate(date, timeZone);
	return `${y}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

/** The instant of local midnight starting a calendar day (days and months may overflow, as Date.UTC allows). */
export function startOfLocalDay(y: number, m: number, d: number, timeZone: string): Date {
	const guess = Date.UTC(y, m - 1, d);
	// Two passes find the offset even when it changes near the guess (daylight saving).
	let t = guess;
	for (let i = 0; i < 2; i++) {
		const w = wallClock(new Date(t), timeZone);
		const asUtc = Date.UTC(w.y, w.m - 1, w.d, w.h, w.min, w.s);
		t = guess - (asUtc - t);
	}
	return new Date(t);
}

export function isPeriod(value: unknown): value is string {
	return typeof value === "string" && PERIOD_PATTERN.test(value);
}

export function periodBounds(period: string, timeZone: string): PeriodBounds {
	const match = PERIOD_PATTERN.exec(period);
	if (!match) throw new RangeError(`not a period (YYYY-MM): ${period}`);
	const y = Number(match[1]);
	const m = Number(match[2]);
	const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
	return { period, start: startOfLocalDay(y, m, 1, timeZone), end: startOfLocalDay(y, m + 1, 1, timeZone), days };
}

/** The period an instant falls in. */
export function periodOf(date: Date, timeZone: string): string {
	const { y, m } = localDate(date, timeZone);
	return `${y}-${String(m).padStart(2, "0")}`;
}

/** The month before the one `date` falls in: what the run on the 1st invoices. */
export function previousPeriod(date: Date, timeZone: string): string {
	const { y, m } = localDate(date, timeZone);
	return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, "0")}`;
}

/**
 * Whole local days from the start of the period to the day containing `instant` (clamped to the
 * period): a change during a day counts from the start of that day, so the day of a change is billed
 * at the new terms.
 */
export function dayIndex(instant: Date, bounds: PeriodBounds, timeZone: string): number {
	if (instant.getTime() <= bounds.start.getTime()) return 0;
	if (instant.getTime() >= bounds.end.getTime()) return bounds.days;
	return localDate(instant, timeZone).d - 1;
}

/** An instant plus whole days (calendar arithmetic in UTC is enough for due dates and retries). */
export function addDays(date: Date, days: number): Date {
	return new Date(date.getTime() + days * 86_400_000);
}
