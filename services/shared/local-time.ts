/**
 * The school's local time: its calendar days and wall-clock times, DST-aware, from the IANA time zone database
 * (Intl). The memory model counts days in these (memory/scheduler.ts, spacing.ts, optimizer.ts), so they agree;
 * billing reckons its periods with them (billing/period.ts).
 */
const DAY_MS = 86_400_000;
const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
	let f = formatters.get(timeZone);
	if (!f) {
		f = new Intl.DateTimeFormat("en-US", {
			timeZone,
			hourCycle: "h23",
			year: "numeric",
			month: "2-digit",
			day: "2-digit",
			hour: "2-digit",
			minute: "2-digit",
			second: "2-digit",
		});
		formatters.set(timeZone, f);
	}
	return f;
}

/**
 * The zone's offset from UTC at `date`, in milliseconds (Paris in winter: +3 600 000). Reading it from Intl costs
 * microseconds and a review needs several, so offsets are remembered per quarter hour of UTC time: every zone's
 * offset is a whole number of quarter hours and changes only at a quarter-hour boundary since 1970 or so; a quarter
 * hour whose two ends disagree is never remembered, so an odd historical change is still read exactly.
 */
export function timeZoneOffsetMs(date: Date, timeZone: string): number {
	const t = date.getTime();
	const bucket = Math.floor(t / QUARTER_HOUR_MS);
	let cache = offsets.get(timeZone);
	if (!cache) offsets.set(timeZone, (cache = new Map()));
	const known = cache.get(bucket);
	if (known !== undefined) return known;
	const offset = intlOffsetMs(t, timeZone);
	if (intlOffsetMs(bucket * QUARTER_HOUR_MS, timeZone) === offset && intlOffsetMs((bucket + 1) * QUARTER_HOUR_MS - 1000, timeZone) === offset) {
		if (cache.size >= MAX_CACHED_QUARTERS) cache.clear();
		cache.set(bucket, offset);
	}
	return offset;
}

const QUARTER_HOUR_MS = 900_000;
const MAX_CACHED_QUARTERS = 200_000;
const offsets = new Map<string, Map<number, number>>();

function intlOffsetMs(t: number, timeZone: string): number {
	const parts: Record<string, number> = {};
	for (const p of formatter(timeZone).formatToParts(new Date(t))) if (p.type !== "literal") parts[p.type] = Number(p.value);
	return Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour, parts.minute, parts.second) - Math.floor(t / 1000) * 1000;
}

/** The local calendar date and wall-clock time of `date` in `timeZone`. */
export function wallClock(date: Date, timeZone: string): { y: number; m: number; d: number; h: number; min: number; s: number } {
	const local = new Date(date.getTime() + timeZoneOffsetMs(date, timeZone));
	return { y: local.getUTCFullYear(), m: local.getUTCMonth() + 1, d: local.getUTCDate(), h: local.getUTCHours(), min: local.getUTCMinutes(), s: local.getUTCSeconds() };
}

/**
 * The instant at which the zone's clocks show `wall` (a local wall-clock time written as UTC). A time skipped by a
 * DST change lands next to the gap; a time shown twice gives one of the two.
 */
export function instantOfWallClock(wall: Date, timeZone: string): Date {
	const guess = wall.getTime();
	const first = guess - timeZoneOffsetMs(new Date(guess), timeZone);
	return new Date(guess - timeZoneOffsetMs(new Date(first), timeZone));
}

/** Days since 1970-01-01 of the local calendar day of `date` (what FSRS's day counts subtract). */
export function localDayNumber(date: Date, timeZone: string): number {
	const { y, m, d } = wallClock(date, timeZone);
	return Date.UTC(y, m - 1, d) / DAY_MS;
}

/** Whole local days from `from` to `to` (0 on the same local day). */
export function localDaysBetween(from: Date, to: Date, timeZone: string): number {
	return localDayNumber(to, timeZone) - localDayNumber(from, timeZone);
}
