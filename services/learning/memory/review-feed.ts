/**
 * `learning.review.recorded`: every answer that reached the memory model, as the reporting block reads it
 * (reviews per day, the model's predicted recall against the actual answer, weakest items). Published by
 * memory's action hooks after a review is stored (again on a retry: the id is the log's, so a consumer
 * counts it once), and rebuilt from the stored logs by `memory.exportReviews`: both go through
 * `reviewRecordedMessage`, so a rebuild sees exactly what the live feed carried.
 */
import type { ServiceBroker } from "moleculer";
import { mapBounded } from "../../shared/bounded.js";
import { publishDurable } from "../../shared/durable.js";

/** Durable publishes in flight for a batch (a live room's answers). */
const PUBLISH_CONCURRENCY = 16;

export interface ReviewFeedInput {
	logId: string;
	studentId: string;
	itemId: string;
	pathId?: string | null;
	teacherId?: string | null;
	rating: number;
	correct?: boolean | null;
	responseTimeMs?: number | null;
	source: string;
	counted: boolean;
	before: { reps: number } | null;
	after: { stability: number };
	retrievability: number;
	reviewedAt: Date | string;
}

export function reviewRecordedMessage(schoolId: string, r: ReviewFeedInput) {
	const reviewedAt = new Date(r.reviewedAt).toISOString();
	return {
		id: `learning.review.recorded:${r.logId}`,
		schoolId,
		occurredAt: reviewedAt,
		reviewedAt,
		studentId: String(r.studentId),
		itemId: String(r.itemId),
		pathId: r.pathId ? String(r.pathId) : null,
		teacherId: r.teacherId ? String(r.teacherId) : null,
		rating: r.rating,
		// A self-rated flashcard has no right or wrong: recalled is any rating above Again.
		correct: typeof r.correct === "boolean" ? r.correct : r.rating > 1,
		responseTimeMs: r.responseTimeMs ?? null,
		source: r.source,
		counted: r.counted,
		first: r.counted && (r.before === null || r.before.reps === 0),
		/** The model's probability of recall just before the answer (meaningless for a first review: null). */
		retrievability: r.before === null || r.before.reps === 0 ? null : r.retrievability,
		stability: r.after.stability,
	};
}

/** Publishes the recorded reviews of one call (params and results in the same order; failed ones skipped). */
export async function publishReviews(broker: ServiceBroker, schoolId: string, reviews: readonly (ReviewFeedInput | null)[]): Promise<void> {
	const messages = reviews.filter((r): r is ReviewFeedInput => r !== null).map(r => reviewRecordedMessage(schoolId, r));
	await mapBounded(messages, PUBLISH_CONCURRENCY, m => publishDurable(broker, "learning.review.recorded", m));
}
