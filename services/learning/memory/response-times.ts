/**
 * The response-time digest the rating rule calibrates with (rating.ts): per (student, item kind), the normalised
 * times of the student's last DIGEST_SIZE right answers. Owned by the memory service (ResponseDigest documents,
 * one per student × kind, id derived from them: natural-ids.ts), which reads it to rate an answer and appends each right
 * answer's time after recording it (`$push` with `$slice`: one atomic update, no read-modify-write). A sliding window
 * rather than all history, so the thresholds follow the student as they get faster.
 */
import { isQuestionKind } from "../content/content-types.js";
import { normalizedTime } from "./rating.js";

/** Right answers kept per (student, kind). */
export const DIGEST_SIZE = 64;

/** What the memory service knows of the item an answer is about. */
export interface RatedItem {
	kind: string;
	expectedSeconds?: number | null;
}

/** The sample a recorded answer adds to its digest: its normalised time when it is a right answer to a graded question. */
export function responseSample(
	answer: { correct?: boolean | null; responseTimeMs?: number | null; extraTimePercent?: number | null },
	item: RatedItem,
): number | null {
	if (answer.correct !== true || !isQuestionKind(item.kind)) return null;
	return normalizedTime(answer.responseTimeMs, item.expectedSeconds, answer.extraTimePercent);
}

/** The digest after a sample (what `$push … $slice: -DIGEST_SIZE` stores). */
export function withSample(times: readonly number[], sample: number | null): number[] {
	return sample === null ? [...times] : [...times, sample].slice(-DIGEST_SIZE);
}
