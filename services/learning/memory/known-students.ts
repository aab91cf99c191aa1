/**
 * Students recently confirmed to belong to their school, so that a live room's stream of answers does not
 * look every student up again for each batch (a lookup of the batch's students per batch was half of the
 * reads of a group answer). Only a positive answer is kept, for five minutes (longer than a live question's
 * cycle, so a session's students are looked up once): a student removed or turned teacher meanwhile may
 * still have a review recorded in those minutes, which harms nothing (memory is not access control: the
 * rooms disconnect a suspended user, and the gateway checks every request).
 */
const TTL_MS = 5 * 60_000;
/** Beyond this many entries the cache starts over rather than grow with every student seen. */
const MAX_ENTRIES = 100_000;

const confirmed = new Map<string, number>();
const keyOf = (schoolId: string, studentId: string) => `${schoolId}:${studentId}`;

/** The students of `studentIds` confirmed for the school less than a minute ago. */
export function recentlyConfirmed(schoolId: string, studentIds: readonly string[], now = Date.now()): Set<string> {
	return new Set(studentIds.filter(id => (confirmed.get(keyOf(schoolId, id)) ?? 0) > now));
}

export function confirm(schoolId: string, studentIds: Iterable<string>, now = Date.now()): void {
	if (confirmed.size > MAX_ENTRIES) confirmed.clear();
	for (const id of studentIds) confirmed.set(keyOf(schoolId, id), now + TTL_MS);
}
