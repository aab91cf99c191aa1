/**
 * One review's computation, without any I/O: from the card it finds (null: never seen) to the outcome and
 * the ReviewLog document to store. memory.recordReview and memory.recordReviews both go through it, so a
 * review recorded alone and the same review in a batch give the same card and the same log entry.
 *
 * A caller that graded a question may ask memory to rate it (`rateFromAnswer`): the rating rule (rating.ts) needs
 * what only memory knows at that moment, whether this is the student's first review of the item and the student's
 * response-time digest for the item's kind; the caller's `rating` is then only a fallback.
 */
import { conflict } from "../../shared/errors.js";
import { isQuestionKind } from "../content/content-types.js";
import type { ProfileValues } from "./profile-layers.js";
import { ratingFromAnswer } from "./rating.js";
import type { RatedItem } from "./response-times.js";
import { cardFromJSON, review, State, type Grade, type MemoryCard, type ReviewOutcome, type ReviewSource } from "./scheduler.js";

export interface ReviewInput {
	reviewKey: string;
	studentId: string;
	itemId: string;
	pathId?: string;
	/** Ignored in favour of the item's own subject; accepted because callers have it at hand. */
	subject?: string;
	teacherId?: string;
	rating: Grade;
	responseTimeMs?: number;
	correct?: boolean;
	/** Rate a graded question here, with the student's own response times (rating.ts); `rating` is then a fallback. */
	rateFromAnswer?: boolean;
	/** The student's extra-time accommodation (percent) the answer was given with. */
	extraTimePercent?: number;
	source: ReviewSource;
	reviewedAt: Date;
}

export const CARD_FIELDS = ["due", "stability", "difficulty", "elapsed_days", "scheduled_days", "learning_steps", "reps", "lapses", "state", "last_review"] as const;

/** The card a stored MemoryState holds. */
export const cardOf = (doc: Record<string, unknown>): MemoryCard => cardFromJSON(Object.fromEntries(CARD_FIELDS.map(f => [f, doc[f]])));

export interface ReviewStep {
	outcome: ReviewOutcome;
	/** The ReviewLog fields, without `_id` and `schoolId`. */
	log: Record<string, unknown>;
	/** The rating applied (the caller's, or the one memory gave a graded answer). */
	rating: Grade;
}

export interface ReviewContext {
	/** spacing.dueCutoff at the answer: the practice rule's "due today". */
	dueBefore?: Date;
	/** The school's time zone: FSRS counts its local days. */
	timeZone?: string;
	/** The item answered, for `rateFromAnswer`. */
	item?: RatedItem;
	/** The student's response-time digest for the item's kind, for `rateFromAnswer`. */
	recent?: readonly number[];
}

/** The rating to apply: memory's for a graded answer it was asked to rate, the caller's otherwise. */
export function ratingFor(before: MemoryCard | null, p: ReviewInput, context: ReviewContext = {}): Grade {
	const item = context.item;
	if (!p.rateFromAnswer || !item || !isQuestionKind(item.kind) || typeof p.correct !== "boolean") return p.rating;
	return ratingFromAnswer({
		correct: p.correct,
		responseTimeMs: p.responseTimeMs ?? null,
		expectedSeconds: item.expectedSeconds ?? null,
		extraTimePercent: p.extraTimePercent ?? 0,
		firstAnswer: before === null || before.state === State.New,
		recent: context.recent ?? [],
	});
}

/** 409 when the scheduler refuses the answer (dated before the card's last review). */
export function reviewStep(before: MemoryCard | null, p: ReviewInput, subject: string, values: ProfileValues, context: ReviewContext = {}): ReviewStep {
	const rating = ratingFor(before, p, context);
	let outcome: ReviewOutcome;
	try {
		outcome = review(before, rating, p.reviewedAt, values, {
			source: p.source,
			...(context.dueBefore ? { dueBefore: context.dueBefore } : {}),
			...(context.timeZone ? { timeZone: context.timeZone } : {}),
		});
	} catch (err) {
		if (err instanceof RangeError) throw conflict(`This answer cannot be recorded: ${err.message}`);
		throw err;
	}
	return { outcome, log: logDocument({ ...p, rating }, subject, outcome), rating };
}

function logDocument(p: ReviewInput, subject: string, outcome: ReviewOutcome): Record<string, unknown> {
	return {
		reviewKey: p.reviewKey,
		studentId: p.studentId,
		itemId: p.itemId,
		pathId: p.pathId ?? null,
		teacherId: p.teacherId ?? null,
		subject,
		rating: p.rating,
		responseTimeMs: p.responseTimeMs ?? null,
		correct: p.correct ?? null,
		source: outcome.log.source,
		counted: outcome.log.counted,
		first: outcome.log.counted && (outcome.before === null || outcome.before.reps === 0),
		reviewedAt: outcome.log.reviewedAt,
		elapsedDays: outcome.log.elapsedDays,
		retrievability: outcome.log.retrievability,
		scheduledDays: outcome.log.scheduledDays,
		before: outcome.before,
		after: outcome.after,
		...(outcome.practice ? { wouldBe: outcome.wouldBe } : {}),
	};
}
