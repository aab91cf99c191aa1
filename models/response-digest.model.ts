/**
 * A student's recent response times for one kind of item (memory/response-times.ts): the normalised times of their
 * last right answers, which the rating rule's thresholds come from (memory/rating.ts). One document per
 * (student, kind), its id derived from them (memory/natural-ids.ts). Written only by the memory service.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const ResponseDigestSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, index: true },
	studentId: { type: ObjectId, required: true },
	kind: { type: String, required: true },
	/** Normalised times (response time / (expected time × accommodation stretch)), oldest first, at most DIGEST_SIZE. */
	times: { type: [Number], default: () => [] },
});

export const ResponseDigest = defineModel("ResponseDigest", ResponseDigestSchema);
