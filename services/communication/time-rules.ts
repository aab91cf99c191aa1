/**
 * Time arithmetic in people's time zones (luxon, DST-correct): teachers' weekly availability turned into
 * absolute intervals, free slots, overlaps, and local renderings for the agenda. Pure.
 */
import { DateTime } from "luxon";

export interface Interval {
	start: Date;
	end: Date;
}

export interface WeeklyWindow {
	weekday: number;
	start: string;
	end: string;
}

export interface AvailabilityException {
	date: string;
	available: boolean;
	start?: string | null;
	end?: string | null;
}

export interface AvailabilityRules {
	timezone: string;
	weekly: WeeklyWindow[];
	exceptions: AvailabilityException[];
}

export const HHMM = /^([01]\d|2[0-3]):[0-5]\d$|^24:00$/;
export const DATE = /^\d{4}-\d{2}-\d{2}$/;

export const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export function isValidZone(zone: string): boolean {
	return typeof zone === "string" && zone.length <= 64 && DateTime.local().setZone(zone).isValid;
}

export function overlaps(a: Interval, b: Interval): boolean {
	return a.start.getTime() < b.end.getTime() && b.start.getTime() < a.end.getTime();
}

/** Sorted, merged intervals. */
export function merge(intervals: Interval[]): Interval[] {
	const sorted = [...intervals].filter(i => i.end > i.start).sort((a, b) => a.start.getTime() - b.start.getTime());
	const out: Interval[] = [];
	for (const i of sorted) {
		const last = out[out.length - 1];
		if (last && i.start.getTime() <= last.end.getTime()) {
			if (i.end > last.end) last.end = i.end;
		} else out.push({ start: i.start, end: i.end });
	}
	return out;
}

/** `a` minus every interval of `cut`. */
export function subtract(a: Interval[], cut: Interval[]): Interval[] {
	let rest = merge(a);
	for (const c of merge(cut)) {
		rest = rest.flatMap(i => {
			if (!overlaps(i, c)) return [i];
			const parts: Interval[] = [];
			if (c.start > i.start) parts.push({ start: i.start, end: c.start });
			if (c.end < i.end) parts.push({ start: c.end, end: i.end });
			return parts;
		});
	}
	return rest;
}

function localTime(day: DateTime, hhmm: string): Date {
	const minutes = minutesOf(hhmm);
	return day.startOf("day").plus({ minutes }).toJSDate();
}

/** The teacher's open windows between `from` and `to` (absolute), weekly windows plus and minus exceptions. */
export function windowsBetween(rules: AvailabilityRules, from: Date, to: Date): Interval[] {
	if (to <= from) return [];
	const zone = rules.timezone;
	let day = DateTime.fromJSDate(from, { zone }).startOf("day");
	const last = DateTime.fromJSDate(to, { zone }).startOf("day");
	const open: Interval[] = [];
	const closed: Interval[] = [];
	for (let guard = 0; day <= last && guard < 400; guard++, day = day.plus({ days: 1 })) {
		const date = day.toISODate()!;
		const todays = rules.exceptions.filter(e => e.date === date);
		const wholeDayOff = todays.some(e => !e.available && !e.start && !e.end);
		if (!wholeDayOff) {
			for (const w of rules.weekly.filter(w => w.weekday === day.weekday)) open.push({ start: localTime(day, w.start), end: localTime(day, w.end) });
		}
		for (const e of todays) {
			if (e.available && e.start && e.end) open.push({ start: localTime(day, e.start), end: localTime(day, e.end) });
			if (!e.available && e.start && e.end) closed.push({ start: localTime(day, e.start), end: localTime(day, e.end) });
		}
	}
	return subtract(open, closed)
		.map(i => ({ start: i.start < from ? from : i.start, end: i.end > to ? to : i.end }))
		.filter(i => i.end > i.start);
}

/** Whether `slot` lies inside one of `windows`. */
export function within(windows: Interval[], slot: Interval): boolean {
	return windows.some(w => w.start <= slot.start && slot.end <= w.end);
}

/** Slots of `minutes` from the start of each window, those overlapping `busy` or starting before `notBefore` left out. */
export function freeSlots(windows: Interval[], busy: Interval[], minutes: number, notBefore: Date): Interval[] {
	const step = minutes * 60_000;
	const out: Interval[] = [];
	for (const w of windows) {
		for (let t = w.start.getTime(); t + step <= w.end.getTime(); t += step) {
			const slot = { start: new Date(t), end: new Date(t + step) };
			if (slot.start < notBefore) continue;
			if (busy.some(b => overlaps(b, slot))) continue;
			out.push(slot);
			if (out.length >= 500) return out;
		}
	}
	return out;
}

/** ISO string with the zone's offset ("2026-12-08T14:00:00.000+01:00"). */
export function localIso(date: Date, zone: string): string {
	return DateTime.fromJSDate(date, { zone }).toISO()!;
}

/**
 * A client's `from`/`to`: an instant (ISO with offset or Z) as is, or a local date (YYYY-MM-DD) taken in
 * `zone` (start of that day). Undefined for anything else.
 */
export function parseBound(value: string, zone: string): Date | undefined {
	if (DATE.test(value)) {
		const d = DateTime.fromISO(value, { zone });
		return d.isValid ? d.startOf("day").toJSDate() : undefined;
	}
	const d = DateTime.fromISO(value, { setZone: true });
	return d.isValid ? d.toJSDate() : undefined;
}

/** The local date, YYYY-MM-DD, and hour of an instant in a zone. */
export function localDayAndHour(date: Date, zone: string): { day: string; hour: number } {
	const d = DateTime.fromJSDate(date, { zone });
	return { day: d.toISODate()!, hour: d.hour };
}

/** "mardi 8 décembre 2026, 14:00" / "Tuesday, December 8, 2026, 2:00 PM" in the reader's zone. */
export function formatWhen(date: Date, zone: string, locale: string): string {
	return DateTime.fromJSDate(date, { zone }).setLocale(locale).toLocaleString(DateTime.DATETIME_FULL);
}

export function formatTime(date: Date, zone: string, locale: string): string {
	return DateTime.fromJSDate(date, { zone }).setLocale(locale).toLocaleString(DateTime.TIME_SIMPLE);
}

export const durationMinutes = (i: Interval) => Math.round((i.end.getTime() - i.start.getTime()) / 60_000);


