/**
 * From an answer to an FSRS rating: a pure rule, calibrated to the student.
 *
 * Questions (graded on the server):
 *   wrong (or partly right, below PASS_SCORE)                    → Again (1)
 *   right, slower than the slow threshold                        → Hard  (2)
 *   right                                                        → Good  (3)
 *   right, faster than the fast threshold, and not a first answer → Easy  (4)
 *
 * The thresholds come from the student's own response times for that kind of item (single choice, short answer…),
 * not from a fixed multiple of a guessed time. Each right answer's time is kept, normalised, in a small digest per
 * (student, kind): the last DIGEST_SIZE right answers (memory/response-times.ts; stored by the memory service in
 * ResponseDigest). Normalised means divided by the item's expected time stretched by the student's extra-time
 * accommodation, T = expectedSeconds × (1 + extraTimePercent / 100): so items of different lengths, and answers
 * given with and without the accommodation, share one scale, and the thresholds scale back by the same T.
 *
 * - Calibrated (at least MIN_SAMPLES right answers of the kind): slow = the student's SLOW_PERCENTILE × T,
 *   fast = their FAST_PERCENTILE × T. A right answer slower than 90 % of their own right answers is Hard; faster
 *   than 90 % of them is Easy.
 * - Cold start (fewer samples): no Easy from speed at all (a fast answer proves little until we know what is fast
 *   for this student); Hard above COLD_SLOW_FACTOR × T (T is the item's guess, stretched by the accommodation).
 * - A first answer (the item was never reviewed) is never Easy from speed alone: Easy skips the learning steps
 *   and starts with a long interval, and a fast first answer is as often a lucky guess as knowledge. It may be Hard.
 * - Without a response time (or an expected time for the cold start), a right answer is Good.
 *
 * Flashcards are self-rated: the student's 1..4 passes through, validated.
 */
import type { Grade } from "ts-fsrs";

/** Cold start: slower than 1.5 × the (accommodated) expected time is Hard, room for ordinary variation first. */
export const COLD_SLOW_FACTOR = 1.5;
/** Right answers of a kind before the student's own percentiles are used. */
export const MIN_SAMPLES = 20;
/** Calibrated: slower than this share of the student's own right answers is Hard… */
export const SLOW_PERCENTILE = 0.9;
/** …and faster than this share of them is Easy (never for a first answer). */
export const FAST_PERCENTILE = 0.1;
/** A score (0..1) at or above this is a right answer. */
export const PASS_SCORE = 1;
/** Accommodations above this are treated as this (a sanity cap, not a policy). */
export const MAX_EXTRA_TIME_PERCENT = 300;

export interface AnswerFacts {
	/** true/false, or a score in 0..1 for partially right answers. */
	correct: boolean | number;
	/** How long the student took, in milliseconds. */
	responseTimeMs?: number | null;
	/** How long the item should take, in seconds (the item's expected time). */
	expectedSeconds?: number | null;
	/** The student's extra-time accommodation, in percent (50 → 1.5 × the time). */
	extraTimePercent?: number | null;
	/** The student's first review of the item. Unknown counts as first (no Easy from speed). */
	firstAnswer?: boolean;
	/** The student's recent normalised right-answer times for this kind (the digest), any order. */
	recent?: readonly number[] | null;
}

export const RATING = { Again: 1, Hard: 2, Good: 3, Easy: 4 } as const satisfies Record<string, Grade>;

export interface TimeThresholds {
	/** Below this (ms) a right answer is Easy; null: no Easy from speed (cold start). */
	fastMs: number | null;
	/** Above this (ms) a right answer is Hard. */
	slowMs: number;
	/** Whether the thresholds come from the student's own times. */
	calibrated: boolean;
}

/** The accommodation stretch, 1 + extra / 100 (extra capped to 0..MAX_EXTRA_TIME_PERCENT). */
export function stretch(extraTimePercent?: number | null): number {
	const extra = isFiniteNumber(extraTimePercent) ? Math.min(Math.max(extraTimePercent, 0), MAX_EXTRA_TIME_PERCENT) : 0;
	return 1 + extra / 100;
}

/** An answer's time on the digest's scale: response time / (expected time × stretch). Null when it has none. */
export function normalizedTime(responseTimeMs: number | null | undefined, expectedSeconds: number | null | undefined, extraTimePercent?: number | null): number | null {
	if (!isPositive(responseTimeMs) || !isPositive(expectedSeconds)) return null;
	return responseTimeMs / (expectedSeconds * 1000 * stretch(extraTimePercent));
}

/** The thresholds (ms) for this item and student: calibrated from `recent` once it holds MIN_SAMPLES times. */
export function timeThresholdsMs(expectedSeconds: number, extraTimePercent = 0, recent?: readonly number[] | null): TimeThresholds {
	const allowedMs = expectedSeconds * 1000 * stretch(extraTimePercent);
	const times = (recent ?? []).filter(isPositive);
	if (times.length < MIN_SAMPLES) return { fastMs: null, slowMs: allowedMs * COLD_SLOW_FACTOR, calibrated: false };
	const sorted = [...times].sort((a, b) => a - b);
	return { fastMs: allowedMs * quantile(sorted, FAST_PERCENTILE), slowMs: allowedMs * quantile(sorted, SLOW_PERCENTILE), calibrated: true };
}

/** The rating for a graded question. */
export function ratingFromAnswer(answer: AnswerFacts): Grade {
	const right = typeof answer.correct === "number" ? answer.correct >= PASS_SCORE : answer.correct === true;
	if (!right) return RATING.Again;
	const { responseTimeMs, expectedSeconds } = answer;
	if (!isPositive(responseTimeMs) || !isPositive(expectedSeconds)) return RATING.Good;
	const { fastMs, slowMs } = timeThresholdsMs(expectedSeconds, isFiniteNumber(answer.extraTimePercent) ? answer.extraTimePercent : 0, answer.recent);
	if (responseTimeMs > slowMs) return RATING.Hard;
	const first = answer.firstAnswer ?? true;
	if (!first && fastMs !== null && responseTimeMs < fastMs) return RATING.Easy;
	return RATING.Good;
}

/** A flashcard's self-rating, validated: an integer 1..4 (strings "1".."4" accepted from forms). */
export function selfRating(value: unknown): Grade {
	const n = typeof value === "string" && /^[1-4]$/.test(value.trim()) ? Number(value) : value;
	if (n === 1 || n === 2 || n === 3 || n === 4) return n;
	throw new RangeError("a self-rating must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)");
}

/** Linear-interpolated quantile of sorted values (q in 0..1). */
export function quantile(sorted: readonly number[], q: number): number {
	if (sorted.length === 0) return NaN;
	const pos = (sorted.length - 1) * Math.min(Math.max(q, 0), 1);
	const lo = Math.floor(pos);
	const hi = Math.ceil(pos);
	return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

function isFiniteNumber(x: unknown): x is number {
	return typeof x === "number" && Number.isFinite(x);
}
function isPositive(x: unknown): x is number {
	return isFiniteNumber(x) && x > 0;
}
