/**
 * revisions.recordGroupSessions: every student's RevisionSession (mode "group") of a live session that ends,
 * in a handful of round trips whatever the number of students (it was ~12 per student when each student was
 * recorded alone).
 *
 * 1. Checks before any write, in parallel: every student is a student of the caller's school
 *    (`users.resolveMany`) and the path is (`paths.resolve`); otherwise the whole batch is refused (422 for
 *    students, listing each; 404 for the path) and nothing is stored. A student listed twice is a 422 too.
 * 2. One unordered insertMany of every student's session, under its id derived from (school, live
 *    session, student) (live/group-session-id.ts). A duplicate key is a session already stored (a repeated
 *    finish, or one racing ours): only those are read back, in one `_id: {$in}` query inside the school
 *    (`byIdsScoped`), and the stored version is the one answered and counted. Inserting first rather than
 *    reading first saves a lookup per student on the usual, first finish (measured: 40 finishes of 50 at
 *    once spent 2,000 of their ~12,000 database commands on that read), for the same outcome.
 * 3. One progress.recordSessions for all of them (idempotent by session id).
 * 4. The durable `learning.session.completed` of each student whose progress was counted (idempotent by
 *    message id). If some students' progress could not be counted (it kept moving under concurrent writes for
 *    every round progress.recordSessions tries), this answers 409 after the others are done: calling again
 *    stores nothing new and completes them.
 */
import { mapBounded } from "../../shared/bounded.js";
import { publishDurable } from "../../shared/durable.js";
import { ClientError, conflict, duplicateKeyIndexes, ERR, type FieldProblem } from "../../shared/errors.js";
import { callerSchoolId, type Ctx } from "../../shared/identity.js";
import { groupSessionId } from "../live/group-session-id.js";
import type { RecordResult } from "../progress/record-sessions.js";
import { groupSessionRecord, type GroupSessionCommon, type GroupSessionPart } from "./group-session-record.js";
import { completedMessage, progressEntry, type EndedSession } from "./session-effects.js";
import type { SessionSummary } from "./session-logic.js";

/** Students per call; liveSessions.finish sends bigger sessions in chunks of this size. */
export const MAX_GROUP_BATCH = 1000;
/** Durable publishes in flight: each is one small JetStream round trip. */
const PUBLISH_CONCURRENCY = 16;

export type RecordedGroupSession = { studentId: string; id: string; status: string } & SessionSummary;

export async function recordGroupSessions(svc: any, ctx: Ctx<any>, common: GroupSessionCommon, parts: readonly GroupSessionPart[]): Promise<RecordedGroupSession[]> {
	if (parts.length === 0) return [];
	const schoolId = callerSchoolId(ctx);
	refuseRepeats(parts);
	const studentIds = parts.map(p => p.studentId);
	const ids = studentIds.map(studentId => groupSessionId(schoolId, common.liveSessionId, studentId));

	const [students] = (await Promise.all([
		ctx.call("users.resolveMany", { ids: studentIds, roles: ["student"] }),
		ctx.call("paths.resolve", { id: common.pathId }),
	])) as [{ id: string }[], unknown];
	refuseStrangers(parts, new Set(students.map(s => String(s.id))));

	const docs = parts.map((part, i) => ({ _id: ids[i], schoolId, ...groupSessionRecord(common, part) }));
	const byId = new Map<string, any>(docs.map(d => [d._id, d]));
	try {
		await svc.model.insertMany(docs, { ordered: false, throwOnValidationError: true });
	} catch (err) {
		// Stored already (a repeated or concurrent finish): the stored version is the one answered and counted.
		const taken = duplicateKeyIndexes(err).map(i => docs[i]._id);
		for (const doc of await svc.byIdsScoped(ctx, taken, { lean: true })) byId.set(String(doc._id), doc);
	}
	const sessions = ids.map(id => endedView(byId.get(id)));

	const { results } = (await ctx.call("progress.recordSessions", { pathId: common.pathId, sessions: sessions.map(progressEntry) })) as { results: RecordResult[] };
	const counted = sessions.filter((_, i) => results[i].ok);
	await mapBounded(counted, PUBLISH_CONCURRENCY, s => publishDurable(svc.broker, "learning.session.completed", completedMessage(s)));
	const busy = results.filter(r => !r.ok).map(r => r.studentId);
	if (busy.length > 0) {
		throw conflict(`The progress of ${busy.length} student(s) kept changing while it was recorded; end the session again to complete it`, ERR.CONFLICT, { studentIds: busy });
	}
	return sessions.map(s => ({ studentId: s.studentId, id: s.id, status: s.status, ...s.summary }));
}

/** A stored group session (lean, or as just inserted) as its effects need it. */
function endedView(doc: any): EndedSession {
	return {
		id: String(doc._id),
		schoolId: String(doc.schoolId),
		studentId: String(doc.studentId),
		pathId: String(doc.pathId),
		stepId: doc.stepId,
		teacherId: String(doc.teacherId),
		mode: doc.mode,
		status: doc.status,
		endedAt: doc.endedAt,
		liveSessionId: doc.liveSessionId ?? null,
		summary: {
			score: doc.summary.score,
			successRate: doc.summary.successRate,
			timeSpentMs: doc.summary.timeSpentMs,
			answered: doc.summary.answered,
			correct: doc.summary.correct,
		},
	};
}

function refuseRepeats(parts: readonly GroupSessionPart[]): void {
	const seen = new Set<string>();
	const problems: FieldProblem[] = [];
	parts.forEach((p, i) => (seen.has(p.studentId) ? problems.push({ field: `students[${i}].studentId`, message: "is listed twice" }) : seen.add(p.studentId)));
	if (problems.length > 0) throw new ClientError("Invalid students: a student is listed twice", 422, ERR.VALIDATION, problems);
}

/** Another school's student answers like an unknown id: neither is a student of this school. */
function refuseStrangers(parts: readonly GroupSessionPart[], known: ReadonlySet<string>): void {
	const problems: FieldProblem[] = parts.flatMap((p, i) => (known.has(p.studentId) ? [] : [{ field: `students[${i}].studentId`, message: "is not a student of this school" }]));
	if (problems.length > 0) throw new ClientError(`Invalid students: ${problems.length} not of this school`, 422, ERR.VALIDATION, problems);
}
