/**
 * Spacing rules that build a revision session's queue, and the local-day helpers quotas and streaks count with.
 *
 * The queue, for one student and one step's items:
 * 1. due items, lowest retrievability first (the ones closest to being forgotten). A review card is due when its due
 *    date falls on or before today in the school's time zone (a card due at 18:00 may be revised in the morning);
 *    a (re)learning card, whose steps are minutes, only when its due time has passed;
 * 2. then never-seen items, in the step's order, up to what is left of the day's quota of new items (the quota counts
 *    local days in the school's time zone);
 * 3. nothing else, unless practice mode is on (the teacher allows it and the student asks): then the not-yet-due
 *    items follow, lowest retrievability first. Answers to those do not change the memory state (scheduler.ts).
 */
import { State } from "ts-fsrs";
import type { ProfileValues } from "./profile-layers.js";
import { retrievability, type MemoryCard } from "./scheduler.js";
import { instantOfWallClock, wallClock } from "../../shared/local-time.js";

export { localDaysBetween, timeZoneOffsetMs } from "../../shared/local-time.js";

export interface ItemMemory {
	itemId: string;
	card: MemoryCard;
}

export type QueueKind = "due" | "new" | "practice";
export interface QueueEntry {
	itemId: string;
	kind: QueueKind;
	/** Probability of recall now; 0 for a new item. */
	retrievability: number;
	due: Date | null;
}

export interface QueueInput {
	/** The student's memory states for the step's items (an item with a New-state card counts as never seen). */
	states: readonly ItemMemory[];
	/** The step's items the student has no memory state for, in the step's order. */
	unseen: readonly string[];
	now: Date;
	/** The school's IANA time zone. */
	timeZone: string;
	/** New items this student already started today (local day), across all sessions. */
	newIntroducedToday: number;
	profile: Pick<ProfileValues, "newItemsPerDay" | "fsrsParameters">;
	/** Practice mode: the caller has checked the teacher allows it. */
	practice?: boolean;
	/** Cut the queue to this length. */
	limit?: number;
}

export function buildQueue(input: QueueInput): QueueEntry[] {
	const { now, profile } = input;
	const cutoff = dueCutoff(now, input.timeZone).getTime();
	const due: QueueEntry[] = [];
	const notDue: QueueEntry[] = [];
	const neverReviewed: string[] = [];
	const seen = new Set<string>();

	for (const { itemId, card } of input.states) {
		if (seen.has(itemId)) continue;
		seen.add(itemId);
		if (card.state === State.New) {
			neverReviewed.push(itemId);
			continue;
		}
		const entry: QueueEntry = { itemId, kind: "due", retrievability: retrievability(card, now, profile.fsrsParameters), due: card.due };
		const isDue = card.state === State.Review ? card.due.getTime() < cutoff : card.due.getTime() <= now.getTime();
		if (isDue) due.push(entry);
		else notDue.push({ ...entry, kind: "practice" });
	}
	for (const itemId of input.unseen) {
		if (!seen.has(itemId)) {
			seen.add(itemId);
			neverReviewed.push(itemId);
		}
	}

	const byRetrievability = (a: QueueEntry, b: QueueEntry) =>
		a.retrievability - b.retrievability || (a.due?.getTime() ?? 0) - (b.due?.getTime() ?? 0) || (a.itemId < b.itemId ? -1 : a.itemId > b.itemId ? 1 : 0);
	due.sort(byRetrievability);

	const quotaLeft = Math.max(0, Math.floor(profile.newItemsPerDay) - Math.max(0, input.newIntroducedToday));
	const fresh: QueueEntry[] = neverReviewed.slice(0, quotaLeft).map((itemId) => ({ itemId, kind: "new", retrievability: 0, due: null }));

	const queue = [...due, ...fresh];
	if (input.practice) queue.push(...notDue.sort(byRetrievability));
	return input.limit === undefined ? queue : queue.slice(0, Math.max(0, input.limit));
}

// ---- local days -------------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;

/** The calendar day ("YYYY-MM-DD") of `date` in `timeZone`. Throws a RangeError on an unknown time zone. */
export function localDay(date: Date, timeZone: string): string {
	const { y, m, d } = wallClock(date, timeZone);
	return `${String(y).padStart(4, "0")}-${pad(m)}-${pad(d)}`;
}

/** The instant local midnight begins `day` in `timeZone` (DST-aware). */
export function startOfLocalDay(day: string, timeZone: string): Date {
	return instantOfWallClock(new Date(dayToUtcMs(day)), timeZone);
}

/** Local day bounds [start, end) of the day containing `date`: what a "today" database query filters on. */
export function localDayBounds(date: Date, timeZone: string): { day: string; start: Date; end: Date } {
	const day = localDay(date, timeZone);
	return { day, start: startOfLocalDay(day, timeZone), end: startOfLocalDay(addDays(day, 1), timeZone) };
}

/** Review cards due before this instant (the start of tomorrow, local time) are due today. */
export function dueCutoff(now: Date, timeZone: string): Date {
	return localDayBounds(now, timeZone).end;
}

/** "YYYY-MM-DD" plus `n` days. */
export function addDays(day: string, n: number): string {
	const d = new Date(dayToUtcMs(day) + n * DAY_MS);
	return `${String(d.getUTCFullYear()).padStart(4, "0")}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** How many of these instants fall on the same local day as `now`: e.g. first reviews today, for the new-item quota. */
export function countOnLocalDay(instants: readonly Date[], now: Date, timeZone: string): number {
	const { start, end } = localDayBounds(now, timeZone);
	return instants.filter((t) => t.getTime() >= start.getTime() && t.getTime() < end.getTime()).length;
}

/**
 * Consecutive local days with at least one review, ending today, or yesterday when today has none yet (a streak is
 * not broken until the day is over). `reviewDays` are "YYYY-MM-DD" in the school's zone, in any order, duplicates allowed.
 */
export function streak(reviewDays: readonly string[], today: string): number {
	const days = new Set(reviewDays);
	let cursor = days.has(today) ? today : addDays(today, -1);
	let count = 0;
	while (days.has(cursor)) {
		count++;
		cursor = addDays(cursor, -1);
	}
	return count;
}

function dayToUtcMs(day: string): number {
	const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
	if (!m) throw new RangeError(`not a day (YYYY-MM-DD): ${day}`);
	const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
	if (Number.isNaN(ms)) throw new RangeError(`not a day (YYYY-MM-DD): ${day}`);
	return ms;
}

function pad(n: number): string {
	return String(n).padStart(2, "0");
}
