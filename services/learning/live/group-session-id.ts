/**
 * The RevisionSession id of one student's part of a live group session, derived from its natural key
 * (school, live session, student): a second recording of the same part fails on `_id`, with no extra
 * unique index (which would need to be partial to exempt solo sessions; the test server enforces a partial
 * index on every document).
 */
import { createHash } from "node:crypto";

export function groupSessionId(schoolId: string, liveSessionId: string, studentId: string): string {
	return createHash("sha256").update(["group-session", schoolId, liveSessionId, studentId].join("\u0000")).digest("hex").slice(0, 24);
}
