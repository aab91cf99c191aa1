/**
 * One review's computation, without any I/O: from the card it finds (null: never seen) to the outcome and
 * the ReviewLog document to store. memory.recordReview and memory.recordReviews both go through it, so a
 * review recorded alone and the same review in a batch give the same card and the same log entry.
 */
import { conflict } from "../../shared/errors.js";
import type { ProfileValues } from "./profile-layers.js";
import { cardFromJSON, review, type Grade, type MemoryCard, type ReviewOutcome, type ReviewSource } from "./scheduler.js";

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
}

/** 409 when the scheduler refuses the answer (dated before the card's last review). */
export function reviewStep(before: MemoryCard | null, p: ReviewInput, subject: string, values: ProfileValues, dueBefore?: Date): ReviewStep {
	let outcome: ReviewOutcome;
	try {
		outcome = review(before, p.rating, p.reviewedAt, values, { source: p.source, ...(dueBefore ? { dueBefore } : {}) });
	} catch (err) {
		if (err instanceof RangeError) throw conflict(`This answer cannot be recorded: ${err.message}`);
		throw err;
	}
	return { outcome, log: logDocument(p, subject, outcome) };
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
