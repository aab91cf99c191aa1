/**
 * progress.recordSessions: counting finished sessions of one path into PathProgress, in a few round trips
 * whatever their number (a live class ending is 50 students at once; 2,000 across a school's rooms). The
 * rule is session-tally.ts; this is its I/O, the same for one session (progress.recordSession) or many:
 *
 * 1. the path and its answerable items, once (`pathContext`);
 * 2. the lease of every (student, path) at once (`withLeases`, one insertMany): the same key as a single
 *    recording, so a batch and a solo end or an evaluation of the same student apply one after the other.
 *    A key still held by someone else after the lease wait (8 s) fails that student's sessions with 409
 *    CONFLICT, the others are recorded; recording again is safe (idempotent by session id);
 * 3. the stored progress of every student in ONE query: PathProgress ids are ObjectIds, not derivable from
 *    (student, path), and FerretDB scans the collection for any filter other than `_id` alone, so one scan
 *    for the batch instead of one per student (on MongoDB the unique (school, student, path) index answers it);
 * 4. memory states only where a step's completion is still open (a step already completed, or an
 *    evaluation step, needs none), only for that step's answerable items, for every student in one
 *    `memory.statesMany`;
 * 5. ONE unordered bulkWrite: an update by `_id` of each stored document, an insert of each new one.
 *    An insert refused by the unique index (someone wrote after our lease expired) fails that student with 409.
 *    One round trip, but FerretDB 1.24 does not push an update's `_id` down either: each update scans the
 *    collection server-side (measured ~25 ms per update at 5,000 PathProgress documents, ~5 ms at 500);
 *    inserts (a student's first session on the path) do not.
 */
import { PathProgressLease } from "../../../models/path-progress.model.js";
import { ClientError, conflict, duplicateKeyIndexes } from "../../shared/errors.js";
import { callerSchoolId, type Ctx } from "../../shared/identity.js";
import { withLeases } from "../../shared/lease.js";
import type { PathContext } from "../progress.service.js";
import { NO_PROGRESS, stepsToCheck, tally, type SessionOutcome, type SessionRecord, type StoredProgress } from "./session-tally.js";
import { stepStanding, type ItemMemoryNow } from "./step-progress.js";

/** Sessions per call: a live session's students (liveSessions.finish sends at most 1000). */
export const MAX_SESSIONS = 1000;

export type RecordResult = { studentId: string; sessionId: string } & (
	| ({ ok: true } & SessionOutcome)
	| { ok: false; error: { type: string; code: number; message: string } }
);

type StoredDoc = StoredProgress & { _id: unknown; studentId: unknown };

export async function recordSessions(svc: any, ctx: Ctx<any>, pathId: string, sessions: readonly SessionRecord[]): Promise<RecordResult[]> {
	const schoolId = callerSchoolId(ctx);
	const pc: PathContext = await svc.pathContext(ctx, pathId);
	const results: RecordResult[] = new Array(sessions.length);
	const byStudent = new Map<string, number[]>();
	sessions.forEach((s, i) => byStudent.set(s.studentId, [...(byStudent.get(s.studentId) ?? []), i]));
	const fail = (studentId: string, err: ClientError) => {
		for (const i of byStudent.get(studentId)!) {
			results[i] = { ok: false, studentId, sessionId: sessions[i].sessionId, error: { type: String(err.type), code: err.code, message: err.message } };
		}
	};
	const keyOf = (studentId: string) => `${schoolId}:${studentId}:${pathId}`;

	await withLeases(PathProgressLease, [...byStudent.keys()].map(keyOf), async held => {
		const students = [...byStudent.keys()].filter(id => held.has(keyOf(id)));
		for (const id of byStudent.keys()) {
			if (!held.has(keyOf(id))) fail(id, conflict("This student's progress on this path is being recorded right now, try again"));
		}
		if (students.length === 0) return;
		const stored = await storedOf(svc, ctx, pathId, students);
		const now: Date = svc.clock.now();
		const mineOf = (studentId: string) => byStudent.get(studentId)!.map(i => sessions[i]);
		const memory = await memoryOf(ctx, pc, students.map(studentId => ({ studentId, stepIds: stepsToCheck(stored.get(studentId) ?? NO_PROGRESS, mineOf(studentId)) })));
		const tallies = students.map(studentId =>
			tally(stored.get(studentId) ?? NO_PROGRESS, mineOf(studentId), s => criterionMet(pc, s, memory.get(studentId) ?? new Map(), now), now),
		);

		const writes: { studentId: string; op: Record<string, unknown> }[] = [];
		students.forEach((studentId, k) => {
			const t = tallies[k];
			if (t.added.length === 0) return;
			const doc = stored.get(studentId);
			const counts = { sessions: t.added.length, timeSpentMs: t.timeSpentMs };
			writes.push({
				studentId,
				op: doc
					? {
							updateOne: {
								filter: svc.tenantFilter(ctx, { _id: doc._id }),
								update: { $set: { steps: t.steps, lastActivityAt: now }, $inc: counts, $push: { recordedIds: { $each: t.added } } },
							},
						}
					: { insertOne: { document: { schoolId, studentId, pathId, steps: t.steps, recordedIds: t.added, ...counts, lastActivityAt: now } } },
			});
		});
		const refused = await writeAll(svc.model, writes.map(w => w.op));
		const lost = new Set([...refused].map(i => writes[i].studentId));
		students.forEach((studentId, k) => {
			if (lost.has(studentId)) return fail(studentId, conflict("This student's progress on this path changed meanwhile, try again"));
			byStudent.get(studentId)!.forEach((i, n) => (results[i] = { ok: true, studentId, sessionId: sessions[i].sessionId, ...tallies[k].outcomes[n] }));
		});
	});
	return results;
}

/** The stored progress of these students on the path, by student id, in one query (see 3. above). */
async function storedOf(svc: any, ctx: Ctx<any>, pathId: string, studentIds: string[]): Promise<Map<string, StoredDoc>> {
	const docs: StoredDoc[] = await svc.model.find(svc.tenantFilter(ctx, { pathId, studentId: { $in: studentIds } })).lean();
	return new Map(docs.map(d => [String(d.studentId), d]));
}

/**
 * Each student's memory of the answerable items of the revision steps whose completion is to be decided,
 * in one `memory.statesMany` (students with nothing to decide are not asked about).
 */
async function memoryOf(ctx: Ctx<any>, pc: PathContext, wanted: { studentId: string; stepIds: string[] }[]): Promise<Map<string, Map<string, ItemMemoryNow>>> {
	const asks = wanted
		.map(({ studentId, stepIds }) => {
			const open = stepIds.filter(id => pc.path.steps.some(s => s.id === id && s.kind !== "evaluation"));
			return { studentId, itemIds: [...new Set(open.flatMap(id => pc.answerable.get(id) ?? []))] };
		})
		.filter(a => a.itemIds.length > 0);
	if (asks.length === 0) return new Map();
	const found = (await ctx.call("memory.statesMany", { students: asks, teacherId: pc.path.ownerId })) as { studentId: string; states: ItemMemoryNow[] }[];
	return new Map(found.map(f => [f.studentId, new Map(f.states.map(st => [st.itemId, { ...st, due: new Date(st.due) }]))]));
}

/** The step-completion rule: an evaluation step by the attempt's `passed`, a revision step by its criterion on memory now. */
function criterionMet(pc: PathContext, session: SessionRecord, memory: ReadonlyMap<string, ItemMemoryNow>, now: Date): boolean {
	const step = pc.path.steps.find(s => s.id === session.stepId);
	if (!step) return false;
	if (step.kind === "evaluation") return session.passed === true;
	return stepStanding({ ...step, itemIds: pc.answerable.get(step.id) ?? [] }, memory, now).criterionMet;
}

/** One unordered bulkWrite; the indexes of the writes a unique key refused (any other failure is thrown). */
async function writeAll(model: any, ops: Record<string, unknown>[]): Promise<Set<number>> {
	if (ops.length === 0) return new Set();
	try {
		await model.bulkWrite(ops, { ordered: false, throwOnValidationError: true });
		return new Set();
	} catch (err) {
		return new Set(duplicateKeyIndexes(err));
	}
}
