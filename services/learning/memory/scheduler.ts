/**
 * Our scheduling on top of ts-fsrs (FSRS-6). One MemoryCard per (student, content item), whatever path the item is
 * reviewed in. Every counted review goes through ts-fsrs `next(card, now, rating)` with parameters built from the
 * resolved scheduling profile, so our schedule is exactly ts-fsrs's (the `fsrs agreement` test checks it).
 *
 * Review sources and what they do to the memory state:
 * - "solo" (a revision session), "group" (a teacher-paced session) and "evaluation" (a graded quiz) are recorded at
 *   their true time and always update the state, even when early: FSRS accounts for an early review through the
 *   retrievability at that moment (a review at R ≈ 1 barely raises stability).
 * - "practice" (reviewing ahead of time, when the teacher allows it) must not corrupt the model. Rule: a practice
 *   answer on an item that is not yet due leaves the stored state untouched (`after` equals `before`,
 *   `counted: false`), and the log keeps source "practice" with the would-be result for information. A practice
 *   answer on an item that is due (or never seen) is an ordinary review: it counts and is logged as "solo".
 *
 * Fuzz is off by default, so the schedule is a pure function of the history. When a profile turns it on, ts-fsrs
 * seeds the fuzz from the review time, reps and memory state, so it is still reproducible.
 *
 * One notion of a day: ts-fsrs counts the days between two reviews as UTC calendar days. Our queue (spacing.ts) and
 * the optimiser (optimizer.ts) count the school's local days. So `review()` hands ts-fsrs the local wall-clock time
 * (`timeZone` option) written as if it were UTC, and turns what comes back into true instants: a due date in days
 * keeps its local time of day N local days later (across a DST change too), a same-day step its true length in
 * minutes. Without a time zone (or in UTC) nothing is shifted, and the result is exactly ts-fsrs's on raw times.
 */
import {
	createEmptyCard,
	forgetting_curve,
	fsrs,
	generatorParameters,
	State,
	type Card,
	type FSRS,
	type FSRSParameters,
	type Grade,
	type StepUnit,
} from "ts-fsrs";
import type { ProfileValues } from "./profile-layers.js";
import { instantOfWallClock, timeZoneOffsetMs } from "../../shared/local-time.js";

export { Rating, State } from "ts-fsrs";
export type { Grade } from "ts-fsrs";

/** The serialisable card a MemoryState document stores (ts-fsrs's Card, with `last_review` null before the first review). */
export interface MemoryCard {
	due: Date;
	stability: number;
	difficulty: number;
	/** Whole days between the last two reviews, as ts-fsrs counts them. */
	elapsed_days: number;
	scheduled_days: number;
	learning_steps: number;
	reps: number;
	lapses: number;
	state: State;
	last_review: Date | null;
}

/** The part of the resolved profile scheduling needs. */
export type SchedulerProfile = Pick<
	ProfileValues,
	"desiredRetention" | "maximumIntervalDays" | "learningSteps" | "relearningSteps" | "fsrsParameters"
> & { enableFuzz?: boolean };

export type ReviewSource = "solo" | "group" | "evaluation" | "practice";

export interface ReviewOptions {
	source?: ReviewSource;
	/** spacing.dueCutoff: a review card falling due before it counts as due (practice rule). */
	dueBefore?: Date;
	/** The school's IANA time zone: the days FSRS counts are its local days. Default UTC. */
	timeZone?: string;
}

/** What the review log records about one answer (the service adds student, item, path, response time, client id). */
export interface ReviewRecord {
	rating: Grade;
	/** "practice" only for a practice answer that did not count; see the module comment. */
	source: ReviewSource;
	/** Whether the memory state was updated. */
	counted: boolean;
	reviewedAt: Date;
	/** Days since the previous review (fractional), 0 for a first review. */
	elapsedDays: number;
	/** Probability of recall just before this answer (0 for a never-seen item). */
	retrievability: number;
	stateBefore: State;
	/** Days until the next due date in the would-be state (fractional, so same-day steps show as e.g. 0.007). */
	scheduledDays: number;
}

export interface ReviewOutcome {
	/** The stored state before the answer, null for a never-seen item. */
	before: MemoryCard | null;
	/** The state to store. Equal to `before` for a practice answer that did not count. */
	after: MemoryCard;
	/** What ts-fsrs computes for this answer, whether or not it counts. */
	wouldBe: MemoryCard;
	log: ReviewRecord;
	/** True when this was a practice answer that left the memory state untouched. */
	practice: boolean;
}

const DAY_MS = 86_400_000;

/** ts-fsrs parameters for a profile. */
export function fsrsParametersFor(profile: SchedulerProfile): FSRSParameters {
	return generatorParameters({
		request_retention: profile.desiredRetention,
		maximum_interval: profile.maximumIntervalDays,
		w: profile.fsrsParameters,
		enable_fuzz: profile.enableFuzz ?? false,
		enable_short_term: true,
		learning_steps: profile.learningSteps as StepUnit[],
		relearning_steps: profile.relearningSteps as StepUnit[],
	});
}

const CACHE_LIMIT = 256;
const schedulers = new Map<string, FSRS>();

/** A ts-fsrs instance for a profile; instances are cached by their parameters (building one costs more than a review). */
export function schedulerFor(profile: SchedulerProfile): FSRS {
	// the same profile object is usually passed for a whole session: skip building the key then
	const known = byProfileObject.get(profile);
	if (known && sameProfile(known.snapshot, profile)) return known.scheduler;
	const key = JSON.stringify([
		profile.desiredRetention,
		profile.maximumIntervalDays,
		profile.learningSteps,
		profile.relearningSteps,
		profile.fsrsParameters,
		profile.enableFuzz ?? false,
	]);
	let scheduler = schedulers.get(key);
	if (!scheduler) {
		if (schedulers.size >= CACHE_LIMIT) schedulers.delete(schedulers.keys().next().value as string);
		scheduler = fsrs(fsrsParametersFor(profile));
		schedulers.set(key, scheduler);
	}
	byProfileObject.set(profile, { scheduler, snapshot: snapshotProfile(profile) });
	return scheduler;
}
const byProfileObject = new WeakMap<object, { scheduler: FSRS; snapshot: SchedulerProfile }>();

function snapshotProfile(p: SchedulerProfile): SchedulerProfile {
	return { ...p, learningSteps: [...p.learningSteps], relearningSteps: [...p.relearningSteps], fsrsParameters: [...p.fsrsParameters] };
}
/** Element-wise, so a profile mutated in place is not served a stale scheduler. */
function sameProfile(a: SchedulerProfile, b: SchedulerProfile): boolean {
	const same = (x: readonly unknown[], y: readonly unknown[]) => x.length === y.length && x.every((v, i) => v === y[i]);
	return (
		a.desiredRetention === b.desiredRetention &&
		a.maximumIntervalDays === b.maximumIntervalDays &&
		(a.enableFuzz ?? false) === (b.enableFuzz ?? false) &&
		same(a.fsrsParameters, b.fsrsParameters) &&
		same(a.learningSteps, b.learningSteps) &&
		same(a.relearningSteps, b.relearningSteps)
	);
}

/** A never-reviewed card, due now. */
export function newCard(now: Date): MemoryCard {
	return fromFsrsCard(createEmptyCard(now));
}

export function isGrade(value: unknown): value is Grade {
	return value === 1 || value === 2 || value === 3 || value === 4;
}

/**
 * Due for a scheduled review: review cards by the due date, (re)learning cards (minute steps) by the exact due time.
 * Day-level due for review cards ("due today") is a spacing decision, made in spacing.ts with the school's time zone.
 */
export function isDueAt(state: MemoryCard, now: Date): boolean {
	return state.due.getTime() <= now.getTime();
}

/**
 * Applies one answer. `state` undefined (or null) means the item was never seen. See the module comment for what
 * each source does. Throws a RangeError on a rating outside 1..4 or an answer dated before the last review.
 */
export function review(
	state: MemoryCard | null | undefined,
	rating: Grade,
	now: Date,
	profile: SchedulerProfile,
	options: ReviewOptions = {},
): ReviewOutcome {
	if (!isGrade(rating)) throw new RangeError(`rating must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy), got ${String(rating)}`);
	if (!(now instanceof Date) || Number.isNaN(now.getTime())) throw new RangeError("review needs a valid date");
	const before = state ? cloneCard(state) : null;
	if (before?.last_review && now.getTime() < before.last_review.getTime()) {
		throw new RangeError(`review at ${now.toISOString()} is before the last review (${before.last_review.toISOString()})`);
	}
	const current = before ?? newCard(now);
	const requested = options.source ?? "solo";
	// `dueBefore` (spacing.dueCutoff: the start of tomorrow, local time) counts a review card falling due later today as due, as the queue does
	const dueToday = options.dueBefore !== undefined && current.state === State.Review && current.due.getTime() < options.dueBefore.getTime();
	const counts = requested !== "practice" || before === null || before.state === State.New || dueToday || isDueAt(current, now);
	const source: ReviewSource = requested === "practice" && counts ? "solo" : requested;

	const clock = localClock(options.timeZone);
	const result = schedulerFor(profile).next(clock.toLocal(toFsrsCard(current)), clock.wall(now), rating);
	const wouldBe = clock.fromLocal(fromFsrsCard(result.card), now);
	const log: ReviewRecord = {
		rating,
		source,
		counted: counts,
		reviewedAt: new Date(now),
		elapsedDays: before?.last_review ? (now.getTime() - before.last_review.getTime()) / DAY_MS : 0,
		retrievability: before ? retrievability(before, now, profile.fsrsParameters) : 0,
		stateBefore: current.state,
		scheduledDays: (wouldBe.due.getTime() - now.getTime()) / DAY_MS,
	};
	return { before, after: counts ? wouldBe : cloneCard(current), wouldBe, log, practice: !counts };
}

/**
 * Probability of recall now, FSRS-6's forgetting curve with the card's stability and the profile's decay (w[20]).
 * Continuous in time (ts-fsrs's get_retrievability floors to whole days; this agrees with it at whole days).
 * 0 for a never-seen card.
 */
export function retrievability(state: MemoryCard | null | undefined, now: Date, w: readonly number[] = DEFAULT_W): number {
	if (!state || state.state === State.New || !state.last_review) return 0;
	const elapsed = Math.max(0, (now.getTime() - state.last_review.getTime()) / DAY_MS);
	return forgetting_curve(w as number[], elapsed, +state.stability.toFixed(8));
}
const DEFAULT_W = generatorParameters().w;

/**
 * Local days for ts-fsrs: instants as local wall-clock times written as UTC (so its UTC calendar days are the school's
 * days), and back. Identity for UTC.
 */
interface LocalClock {
	wall(t: Date): Date;
	toLocal(card: Card): Card;
	fromLocal(card: MemoryCard, now: Date): MemoryCard;
}
const UTC_CLOCK: LocalClock = { wall: (t) => t, toLocal: (c) => c, fromLocal: (c) => c };

function localClock(timeZone: string | undefined): LocalClock {
	if (timeZone === undefined || timeZone === "UTC" || timeZone === "Etc/UTC") return UTC_CLOCK;
	const wall = (t: Date) => new Date(t.getTime() + timeZoneOffsetMs(t, timeZone));
	return {
		wall,
		toLocal: (card) => ({ ...card, due: wall(card.due), ...(card.last_review ? { last_review: wall(card.last_review) } : {}) }),
		fromLocal(card, now) {
			const localNow = wall(now);
			const gap = card.due.getTime() - localNow.getTime();
			// Days: the same local time of day, N local days on. A same-day step: its true length.
			const due = gap >= DAY_MS ? instantOfWallClock(card.due, timeZone) : new Date(now.getTime() + gap);
			return { ...card, due, last_review: card.last_review ? new Date(now) : null };
		},
	};
}

export function toFsrsCard(state: MemoryCard): Card {
	return {
		due: new Date(state.due),
		stability: state.stability,
		difficulty: state.difficulty,
		elapsed_days: state.elapsed_days,
		scheduled_days: state.scheduled_days,
		learning_steps: state.learning_steps,
		reps: state.reps,
		lapses: state.lapses,
		state: state.state,
		...(state.last_review ? { last_review: new Date(state.last_review) } : {}),
	};
}

export function fromFsrsCard(card: Card): MemoryCard {
	return {
		due: new Date(card.due),
		stability: card.stability,
		difficulty: card.difficulty,
		elapsed_days: card.elapsed_days,
		scheduled_days: card.scheduled_days,
		learning_steps: card.learning_steps,
		reps: card.reps,
		lapses: card.lapses,
		state: card.state,
		last_review: card.last_review ? new Date(card.last_review) : null,
	};
}

export function cloneCard(state: MemoryCard): MemoryCard {
	return { ...state, due: new Date(state.due), last_review: state.last_review ? new Date(state.last_review) : null };
}

/** Reads a card back from JSON or a database document (dates as strings or Dates). Throws on a malformed card. */
export function cardFromJSON(raw: unknown): MemoryCard {
	if (typeof raw !== "object" || raw === null) throw new TypeError("memory card must be an object");
	const r = raw as Record<string, unknown>;
	const date = (v: unknown, field: string): Date => {
		const d = v instanceof Date ? new Date(v) : typeof v === "string" || typeof v === "number" ? new Date(v) : new Date(NaN);
		if (Number.isNaN(d.getTime())) throw new TypeError(`memory card: ${field} is not a date`);
		return d;
	};
	const num = (field: string): number => {
		const v = r[field];
		if (typeof v !== "number" || !Number.isFinite(v)) throw new TypeError(`memory card: ${field} is not a number`);
		return v;
	};
	const state = num("state");
	if (![State.New, State.Learning, State.Review, State.Relearning].includes(state)) throw new TypeError("memory card: bad state");
	return {
		due: date(r.due, "due"),
		stability: num("stability"),
		difficulty: num("difficulty"),
		elapsed_days: num("elapsed_days"),
		scheduled_days: num("scheduled_days"),
		learning_steps: num("learning_steps"),
		reps: num("reps"),
		lapses: num("lapses"),
		state,
		last_review: r.last_review === null || r.last_review === undefined ? null : date(r.last_review, "last_review"),
	};
}
