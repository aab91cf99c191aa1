/**
 * Document ids derived from a document's natural key: a MemoryState's (school, student, item), a ReviewLog's
 * (school, review key). A lookup by natural key becomes a lookup by primary key (a batch of them one
 * `_id: {$in}` query), and a second insert of the same key fails on `_id` whatever other indexes exist. 96 bits of SHA-256, shown as an ObjectId's 24 hex digits.
 */
import { createHash } from "node:crypto";

function idOf(...parts: string[]): string {
	return createHash("sha256").update(parts.join("\u0000")).digest("hex").slice(0, 24);
}

export function memoryStateId(schoolId: string, studentId: string, itemId: string): string {
	return idOf("memory-state", schoolId, studentId, itemId);
}

export function reviewLogId(schoolId: string, reviewKey: string): string {
	return idOf("review-log", schoolId, reviewKey);
}

export function responseDigestId(schoolId: string, studentId: string, kind: string): string {
	return idOf("response-digest", schoolId, studentId, kind);
}
