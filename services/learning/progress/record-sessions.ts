/**
 * progress.recordSessions: counting finished sessions of one path into PathProgress, in a few round trips
 * whatever their number (a live class ending is 50 students at once; 2,000 across a school's rooms). The
 * rule is session-tally.ts; this is its I/O, the same for one session (progress.recordSession) or many:
 *
 * 1. the path and its answerable items, once (`pathContext`);
 * 2. the stored progress of every student in ONE query (the unique (school, student, path) index answers it);
 * 3. memory states only where a step's completion is still open (a step already completed, or an
 *    evaluation step, needs none), only for that step's answerable items, for every student in one
 *    `memory.statesMany`;
 * 4. ONE unordered bulkWrite: an update of each stored document conditional on the `sessions` count it was
 *    computed from (its version: every write adds to it), an insert of each new one (the unique index refuses
 *    a second first one). Each student's progress is a read-modify-write of one document (the tally is
 *    computed in JS), so it is guarded optimistically, with no lock: a batch and a solo end or an evaluation
 *    of the same student racing each other apply one after the other.
 * 5. bulkWrite counts matches but does not say which update missed: only when not all took, one read of
 *    those documents says whose sessions are recorded. A student whose document moved meanwhile is counted
 *    again in the next round on what is stored then (recording is idempotent by session id); after
 *    MAX_ROUNDS rounds, that student's sessions fail with 409 CONFLICT (recording again completes them), the
 *    others are recorded.
 */
import { conflict, duplicateKeyIndexes } from "../../shared/errors.js";
import { callerSchoolId, type Ctx } from "../../shared/identity.js";
import type { PathContext } from "../progress.service.js";
import { NO_PROGRESS, stepsToCheck, tally, type SessionOutcome, type SessionRecord, type StoredProgress } from "./session-tally.js";
import { stepStanding, type ItemMemoryNow } from "./step-progress.js";

/** Sessions per call: a live session's students (liveSessions.finish sends at most 1000). */
export const MAX_SESSIONS = 1000;
/** Rounds of reading, tallying and writing: a student whose progress moved meanwhile is tallied again in the next. */
const MAX_ROUNDS = 6;
const pause = (round: number) => new Promise(resolve => setTimeout(resolve, Math.random() * Math.min(40, round * 8)));

export type RecordResult = { studentId: string; sessionId: string } & (
	| ({ ok: true } & SessionOutcome)
	| { ok: false; error: { type: string; code: number; message: string } }
);

type StoredDoc = StoredProgress & { _id: unknown; studentId: unknown; sessions: number };

export async function recordSessions(svc: any, ctx: Ctx<any>, pathId: string, sessions: readonly SessionRecord[]): Promise<RecordResult[]> {
	const pc: PathContext = await svc.pathContext(ctx, pathId);
	const results: RecordResult[] = new Array(sessions.length);
	const byStudent = new Map<string, number[]>();
	sessions.forEach((s, i) => byStudent.set(s.studentId, [...(byStudent.get(s.studentId) ?? []), i]));
	const mineOf = (studentId: string) => byStudent.get(studentId)!.map(i => sessions[i]);

	let pending = [...byStudent.keys()];
	for (let round = 1; pending.length > 0; round++) {
		if (round > 1) await pause(round);
		const moved = await recordRound(svc, ctx, pc, pending, mineOf, (studentId, outcomes) =>
			byStudent.get(studentId)!.forEach((i, n) => (results[i] = { ok: true, studentId, sessionId: sessions[i].sessionId, ...outcomes[n] })),
		);
		if (round === MAX_ROUNDS) {
			const err = conflict("This student's progress on this path changed meanwhile, try again");
			for (const studentId of moved) {
				for (const i of byStudent.get(studentId)!) {
					results[i] = { ok: false, studentId, sessionId: sessions[i].sessionId, error: { type: String(err.type), code: err.code, message: err.message } };
				}
			}
			break;
		}
		pending = moved;
	}
	return results;
}

/** One round for `students`: their tallies written, `done` called for each that took; answers the students whose progress moved meanwhile. */
async function recordRound(
	svc: any,
	ctx: Ctx<any>,
	pc: PathContext,
	students: string[],
	mineOf: (studentId: string) => SessionRecord[],
	done: (studentId: string, outcomes: SessionOutcome[]) => void,
): Promise<string[]> {
	const schoolId = callerSchoolId(ctx);
	const pathId = pc.path.id;
	const stored = await storedOf(svc, ctx, pathId, students);
	const now: Date = svc.clock.now();
	const memory = await memoryOf(ctx, pc, students.map(studentId => ({ studentId, stepIds: stepsToCheck(stored.get(studentId) ?? NO_PROGRESS, mineOf(studentId)) })));
	const tallies = students.map(studentId =>
		tally(stored.get(studentId) ?? NO_PROGRESS, mineOf(studentId), s => criterionMet(pc, s, memory.get(studentId) ?? new Map(), now), now),
	);

	const writes: { studentId: string; added: string[]; update: boolean; op: Record<string, unknown> }[] = [];
	students.forEach((studentId, k) => {
		const t = tallies[k];
		if (t.added.length === 0) return;
		const doc = stored.get(studentId);
		const counts = { sessions: t.added.length, timeSpentMs: t.timeSpentMs };
		writes.push({
			studentId,
			added: t.added,
			update: Boolean(doc),
			op: doc
				? {
						updateOne: {
							filter: svc.tenantFilter(ctx, { _id: doc._id, sessions: doc.sessions }),
							update: { $set: { steps: t.steps, lastActivityAt: now }, $inc: counts, $push: { recordedIds: { $each: t.added } } },
						},
					}
				: { insertOne: { document: { schoolId, studentId, pathId, steps: t.steps, recordedIds: t.added, ...counts, lastActivityAt: now } } },
		});
	});
	const { refused, applied } = await writeAll(svc.model, writes.map(w => w.op));
	const moved = new Set([...refused].map(i => writes[i].studentId));
	if (applied < writes.length - refused.size) {
		// Some conditional update missed: the documents say whose sessions are recorded.
		const updated = writes.filter(w => w.update);
		const docs: { studentId: unknown; recordedIds: string[] }[] = await svc.model
			.find(svc.tenantFilter(ctx, { pathId, studentId: { $in: updated.map(w => w.studentId) } }), { studentId: 1, recordedIds: 1 })
			.lean();
		const recorded = new Map(docs.map(d => [String(d.studentId), new Set(d.recordedIds)]));
		for (const w of updated) if (!w.added.every(id => recorded.get(w.studentId)?.has(id))) moved.add(w.studentId);
	}
	students.forEach((studentId, k) => moved.has(studentId) || done(studentId, tallies[k].outcomes));
	return [...moved];
}

/** The stored progress of these students on the path, by student id, in one query (see 2. above). */
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

/**
 * One unordered bulkWrite: the indexes of the writes a unique key refused (any other failure is thrown) and
 * how many writes took (inserted or matched).
 */
async function writeAll(model: any, ops: Record<string, unknown>[]): Promise<{ refused: Set<number>; applied: number }> {
	if (ops.length === 0) return { refused: new Set(), applied: 0 };
	try {
		const res = await model.bulkWrite(ops, { ordered: false, throwOnValidationError: true });
		return { refused: new Set(), applied: (res.insertedCount ?? 0) + (res.matchedCount ?? 0) };
	} catch (err) {
		const refused = new Set(duplicateKeyIndexes(err));
		const res = (err as { result?: { insertedCount?: number; matchedCount?: number } }).result;
		return { refused, applied: (res?.insertedCount ?? 0) + (res?.matchedCount ?? 0) };
	}
}
