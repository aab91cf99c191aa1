/**
 * From an answer to an FSRS rating.
 *
 * Questions (graded on the server):
 *   wrong                          → Again (1)
 *   right, slower than SLOW × T    → Hard  (2)
 *   right                          → Good  (3)
 *   right, faster than FAST × T    → Easy  (4)
 * where T is the item's expected answer time scaled by the student's extra-time accommodation:
 * T = expectedSeconds × (1 + extraTimePercent / 100), so a student with 50 % extra time has 1.5 × the time before
 * an answer counts as slow (or fast). Without an expected time or a response time, a right answer is Good.
 * Partial credit counts as wrong below PASS_SCORE.
 *
 * Flashcards are self-rated: the student's 1..4 passes through, validated.
 */
import type { Grade } from "ts-fsrs";

/**
 * Slower than 1.5 × the (accommodated) expected time: the student got there, but with effort, which is what FSRS's
 * Hard means. 1.5 leaves room for ordinary variation (reading speed, a second look) before penalising.
 */
export const SLOW_FACTOR = 1.5;
/**
 * Faster than half the expected time: the answer came without effort (Easy). Half is strict on purpose: Easy
 * stretches the next interval a lot, and a guess is fast too, so Easy must be rare and clear.
 */
export const FAST_FACTOR = 0.5;
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
}

export const RATING = { Again: 1, Hard: 2, Good: 3, Easy: 4 } as const satisfies Record<string, Grade>;

/** The time (ms) below which a right answer is Easy and above which it is Hard, for this student and item. */
export function timeThresholdsMs(expectedSeconds: number, extraTimePercent = 0): { fastMs: number; slowMs: number } {
	const extra = Math.min(Math.max(extraTimePercent, 0), MAX_EXTRA_TIME_PERCENT);
	const allowedMs = expectedSeconds * 1000 * (1 + extra / 100);
	return { fastMs: allowedMs * FAST_FACTOR, slowMs: allowedMs * SLOW_FACTOR };
}

/** The rating for a graded question. */
export function ratingFromAnswer(answer: AnswerFacts): Grade {
	const right = typeof answer.correct === "number" ? answer.correct >= PASS_SCORE : answer.correct === true;
	if (!right) return RATING.Again;
	const { responseTimeMs, expectedSeconds } = answer;
	if (!isPositive(responseTimeMs) || !isPositive(expectedSeconds)) return RATING.Good;
	const { fastMs, slowMs } = timeThresholdsMs(expectedSeconds, isFiniteNumber(answer.extraTimePercent) ? answer.extraTimePercent : 0);
	if (responseTimeMs > slowMs) return RATING.Hard;
	if (responseTimeMs < fastMs) return RATING.Easy;
	return RATING.Good;
}

/** A flashcard's self-rating, validated: an integer 1..4 (strings "1".."4" accepted from forms). */
export function selfRating(value: unknown): Grade {
	const n = typeof value === "string" && /^[1-4]$/.test(value.trim()) ? Number(value) : value;
	if (n === 1 || n === 2 || n === 3 || n === 4) return n;
	throw new RangeError("a self-rating must be 1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)");
}

function isFiniteNumber(x: unknown): x is number {
	return typeof x === "number" && Number.isFinite(x);
}
function isPositive(x: unknown): x is number {
	return isFiniteNumber(x) && x > 0;
}
