/**
 * Local days of a school: buckets are keyed by the calendar day (YYYY-MM-DD) in the school's IANA time zone,
 * computed from each event's own time: 00:30 in Paris on the 15th counts for the 15th although it is still the
 * 14th in UTC. An unknown zone falls back to UTC (`zoneOrUtc` says which zone was used).
 */
import { DateTime } from "luxon";

export function zoneOrUtc(timeZone: string | null | undefined): string {
	return timeZone && DateTime.now().setZone(timeZone).isValid ? timeZone : "UTC";
}

export function localDay(at: Date, timeZone: string): string {
	const local = DateTime.fromJSDate(at, { zone: timeZone });
	return (local.isValid ? local : DateTime.fromJSDate(at, { zone: "UTC" })).toFormat("yyyy-MM-dd");
}

export function today(timeZone: string, now: Date = new Date()): string {
	return localDay(now, timeZone);
}

/** Every day from `from` to `to` included (YYYY-MM-DD). */
export function daysBetween(from: string, to: string): string[] {
	const out: string[] = [];
	let d = DateTime.fromISO(from, { zone: "UTC" });
	const end = DateTime.fromISO(to, { zone: "UTC" });
	while (d <= end) {
		out.push(d.toFormat("yyyy-MM-dd"));
		d = d.plus({ days: 1 });
	}
	return out;
}

export function addDays(day: string, n: number): string {
	return DateTime.fromISO(day, { zone: "UTC" }).plus({ days: n }).toFormat("yyyy-MM-dd");
}

/** The months (YYYY-MM) the days fall in. */
export function monthsOf(days: readonly string[]): string[] {
	return [...new Set(days.map(d => d.slice(0, 7)))];
}

/** Monday of the ISO week of a day (weeks start on Monday, as in France). */
export function weekOf(day: string): string {
	return DateTime.fromISO(day, { zone: "UTC" }).startOf("week").toFormat("yyyy-MM-dd");
}

/** Whole days from `from` to `to` (fractional), for ages of the last review. */
export function daysSince(from: Date, to: Date): number {
	return (to.getTime() - from.getTime()) / 86_400_000;
}

/** The instant a local day starts in a zone. */
export function dayStartMs(day: string, timeZone: string): number {
	return DateTime.fromISO(day, { zone: timeZone }).startOf("day").toMillis();
}
