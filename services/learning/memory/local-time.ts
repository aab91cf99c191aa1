/**
 * The school's local time: its calendar days and wall-clock times, DST-aware, from the IANA time zone database
 * (Intl). The memory model counts days in these (scheduler.ts, spacing.ts, optimizer.ts), so they agree.
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

export function wallClock(date: Date, timeZone: string): { y: number; m: number; d: number; h: number; min: number; s: number } {
	const parts: Record<string, number> = {};
	for (const p of formatter(timeZone).formatToParts(date)) if (p.type !== "literal") parts[p.type] = Number(p.value);
	return { y: parts.year, m: parts.month, d: parts.day, h: parts.hour, min: parts.minute, s: parts.second };
}

/** The zone's offset from UTC at `date`, in milliseconds (Paris in winter: +3 600 000). */
export function timeZoneOffsetMs(date: Date, timeZone: string): number {
	const { y, m, d, h, min, s } = wallClock(date, timeZone);
	return Date.UTC(y, m - 1, d, h, min, s) - Math.floor(date.getTime() / 1000) * 1000;
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
