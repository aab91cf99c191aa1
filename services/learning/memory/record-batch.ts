/**
 * memory.recordReviews: what N memory.recordReview calls do, in a handful of round trips whatever N is
 * (a live room's burst of answers would otherwise be ~10 round trips per answer, all at once).
 *
 * Same guarantees as recordReview (see memory.service.ts), batched:
 * - the same key twice in the batch is recorded once;
 * - students are looked up only if not confirmed in the last minute (memory/known-students.ts);
 * - each distinct (student, subject, teacher) profile is resolved in one `scheduling.resolveMany`;
 * - one read of the states (one `_id: {$in}` query), `reviewStep` applied per pair in reviewedAt order, one
 *   insertMany of the logs, one bulkWrite of the states, each conditional on the state (`reps`, `last_review`)
 *   it was computed from, and, only when the bulkWrite says not all of them took (it counts matches, it does
 *   not say which missed), one read to see which did;
 * - a pair whose state moved meanwhile (a concurrent recordReview or batch of the same pair) has its log
 *   entries deleted again and is planned anew on the state now stored, in the next round, as recordReview
 *   retries (optimistic concurrency, no lock): a batch and a concurrent review of one pair apply one after the
 *   other. After MAX_ROUNDS rounds what still met a moved state answers 409.
 *   A key already stored (a retry, or a racing duplicate) meets the logs' unique key: its pair writes no
 *   state and it answers with the first result (completing that result's state if it was left half-done);
 *   the pair's other new reviews are planned again in the next round, on the state its replay left.
 * Malformed input (bad fields, a date in the future) refuses the whole batch with nothing stored; a student
 * or item not of the school (404) or a 409 fails that review alone, as N separate calls would.
 */
import { ReviewLog } from "../../../models/review-log.model.js";
import { ClientError, conflict, duplicateKeyIndexes, ERR, notFound } from "../../shared/errors.js";
import { callerSchoolId, type Ctx } from "../../shared/identity.js";
import { findByIds } from "../../shared/by-ids.js";
import { confirm, recentlyConfirmed } from "./known-students.js";
import type { ProfileValues } from "./profile-layers.js";
import { cardOf, reviewStep, type ReviewInput } from "./review-step.js";
import type { MemoryCard } from "./scheduler.js";
import { memoryStateId, reviewLogId } from "./natural-ids.js";
import { appendSamples, readDigests } from "./response-digests.js";
import { responseSample, type RatedItem } from "./response-times.js";
import { dueCutoff } from "./spacing.js";

/** Rounds of planning and writing: a pair whose state moved meanwhile is planned again in the next one. */
const MAX_ROUNDS = 6;
const pause = (round: number) => new Promise(resolve => setTimeout(resolve, Math.random() * Math.min(40, round * 8)));

export type BatchResult = ({ ok: true } & Record<string, unknown>) | { ok: false; error: { type: string; code: number; message: string } };

const failed = (err: unknown): BatchResult => {
	if (!(err instanceof ClientError)) throw err;
	return { ok: false, error: { type: err.type ?? ERR.CONFLICT, code: err.code, message: err.message } };
};
const done = (result: Record<string, unknown>): BatchResult => ({ ok: true, ...result });
const distinct = <T>(xs: T[]) => [...new Set(xs)];

interface Planned {
	index: number;
	log: Record<string, unknown> & { _id: string };
	counted: boolean;
}

export async function recordBatch(svc: any, ctx: Ctx<any>, reviews: ReviewInput[]): Promise<BatchResult[]> {
	reviews.forEach((p, i) => svc.refuseFuture(p, `reviews[${i}].reviewedAt`));
	const schoolId = callerSchoolId(ctx);
	const results: (BatchResult | undefined)[] = new Array(reviews.length);
	const logIdOf = (i: number) => reviewLogId(schoolId, reviews[i].reviewKey);
	const pairOf = (i: number) => `${reviews[i].studentId}:${reviews[i].itemId}`;

	// The first review of each key is recorded; a later one with the same key answers from it.
	const leaderOf = new Map<string, number>();
	reviews.forEach((p, i) => leaderOf.has(p.reviewKey) || leaderOf.set(p.reviewKey, i));
	const leaders = [...leaderOf.values()];

	const askedStudents = distinct(reviews.map(p => p.studentId));
	const studentIds = recentlyConfirmed(schoolId, askedStudents);
	const unconfirmed = askedStudents.filter(id => !studentIds.has(id));
	const [items, students] = (await Promise.all([
		ctx.call("content.resolveMany", { ids: distinct(reviews.map(p => p.itemId)) }),
		unconfirmed.length > 0 ? ctx.call("users.resolveMany", { ids: unconfirmed, roles: ["student"] }) : [],
	])) as [({ id: string; subject: string } & RatedItem)[], { id?: string; _id?: unknown }[]];
	const subjectOf = new Map(items.map(item => [String(item.id), item.subject]));
	const itemOf = new Map(items.map(item => [String(item.id), item]));
	const found = students.map(u => String(u.id ?? u._id));
	confirm(schoolId, found);
	for (const id of found) studentIds.add(id);
	// A student or item not of the school refuses that review alone (a room's other answers go through).
	leaders.forEach(i => {
		const p = reviews[i];
		if (!subjectOf.has(p.itemId)) results[i] = failed(notFound("ContentItem", p.itemId));
		else if (!studentIds.has(p.studentId)) results[i] = failed(notFound("Student", p.studentId));
	});

	const answerFromLog = async (i: number, log: any) => {
		const p = reviews[i];
		if (String(log.studentId) !== p.studentId || String(log.itemId) !== p.itemId) {
			results[i] = failed(conflict("This review key was already used for another answer", ERR.CONFLICT, { reviewKey: p.reviewKey }));
		} else results[i] = done(await svc.replay(ctx, log));
	};
	// A key already stored (a retry) is not looked for up front, which would cost every answer a read for the
	// rare retry: its log insert below meets the unique key and it is answered from the stored log then; and a
	// retry the card refuses now (it moved on since) is looked up once refused.
	const fresh = leaders.filter(i => !results[i]);

	if (fresh.length > 0) {
		const profiles = await profilesOf(ctx, fresh.map(i => ({ ...reviews[i], subject: subjectOf.get(reviews[i].itemId)! })));
		// FSRS counts the school's local days (and practice answers count when due today there).
		const school = (await ctx.call("schools.resolve", { id: schoolId })) as { timezone: string };
		// Answers memory rates are rated against the student's digest as it stood before the batch.
		const rated = fresh.filter(i => reviews[i].rateFromAnswer).map(i => ({ studentId: reviews[i].studentId, kind: itemOf.get(reviews[i].itemId)!.kind }));
		const digests = await readDigests(schoolId, rated);
		/** Plans the reviews `indices` on their stored states and writes them; answers the indices to plan again. */
		const planAndWrite = async (indices: number[], last: boolean): Promise<number[]> => {
			const states = await svc.byIdsScoped(ctx, indices.map(i => memoryStateId(schoolId, reviews[i].studentId, reviews[i].itemId)));
			const stateOf = new Map<string, any>(states.map((d: any) => [`${d.studentId}:${d.itemId}`, d]));

			// Per pair, in reviewedAt order (ties in input order), each review on the card the previous one left.
			const chains = new Map<string, number[]>();
			for (const i of indices) chains.set(pairOf(i), [...(chains.get(pairOf(i)) ?? []), i]);
			const plans = new Map<string, { before: MemoryCard | null; after: MemoryCard | null; steps: Planned[] }>();
			const refused: number[] = [];
			for (const [pair, chain] of chains) {
				chain.sort((a, b) => reviews[a].reviewedAt.getTime() - reviews[b].reviewedAt.getTime() || a - b);
				const stored = stateOf.get(pair);
				const before = stored ? cardOf(stored) : null;
				let card = before;
				let after: MemoryCard | null = null;
				const steps: Planned[] = [];
				for (const i of chain) {
					const p = reviews[i];
					const subject = subjectOf.get(p.itemId)!;
					try {
						const profile = profiles.get(profileKey({ ...p, subject }))!;
						const item = itemOf.get(p.itemId)!;
						const recent = digests.get(`${p.studentId}:${item.kind}`);
						const { outcome, log } = reviewStep(card, p, subject, profile, {
							dueBefore: dueCutoff(p.reviewedAt, school.timezone),
							timeZone: school.timezone,
							item,
							...(recent ? { recent } : {}),
						});
						steps.push({ index: i, log: { _id: logIdOf(i), schoolId, ...log }, counted: outcome.log.counted });
						if (outcome.log.counted) card = after = outcome.after;
					} catch (err) {
						results[i] = failed(err);
						refused.push(i);
					}
				}
				plans.set(pair, { before, after, steps });
			}
			const again = await writePlans(svc, ctx, schoolId, plans, results, last);
			// A review the card refuses may be a retry of one it already holds: then it answers as that one.
			const stored = refused.length > 0 ? await logsOf(svc, ctx, refused.map(logIdOf)) : new Map();
			await Promise.all(refused.filter(i => stored.has(logIdOf(i))).map(i => answerFromLog(i, stored.get(logIdOf(i)))));
			return again;
		};

		let pending = fresh;
		for (let round = 1; pending.length > 0; round++) {
			if (round > 1) await pause(round);
			pending = await planAndWrite(pending, round === MAX_ROUNDS);
		}
		// Each newly recorded right answer teaches the rating rule the student's speed for that kind of item.
		const samples = fresh.flatMap(i => {
			const r = results[i];
			const item = itemOf.get(reviews[i].itemId)!;
			const time = r?.ok && r.duplicate === false ? responseSample(reviews[i], item) : null;
			return time === null ? [] : [{ studentId: reviews[i].studentId, kind: item.kind, time }];
		});
		await appendSamples(schoolId, samples);
	}

	return reviews.map((p, i) => {
		const first = leaderOf.get(p.reviewKey)!;
		if (first === i) return results[i]!;
		const r = results[first]!;
		if (reviews[first].studentId !== p.studentId || reviews[first].itemId !== p.itemId) {
			return failed(conflict("This review key was already used for another answer", ERR.CONFLICT, { reviewKey: p.reviewKey }));
		}
		return r.ok ? { ...r, duplicate: true } : r;
	});
}

/** The stored logs of these ids, by id. */
async function logsOf(svc: any, ctx: Ctx<any>, ids: string[]): Promise<Map<string, any>> {
	const docs = await findByIds(ReviewLog, ids, callerSchoolId(ctx));
	return new Map(docs.map((d: any) => [String(d._id), d]));
}

const profileKey = (p: { studentId: string; subject: string; teacherId?: string }) => `${p.studentId}:${p.subject}:${p.teacherId ?? ""}`;

/** Each distinct (student, subject, teacher) profile, resolved in one call. */
async function profilesOf(ctx: Ctx<any>, reviews: { studentId: string; subject: string; teacherId?: string }[]): Promise<Map<string, ProfileValues>> {
	const wanted = new Map(reviews.map(p => [profileKey(p), p]));
	const targets = [...wanted.values()].map(p => ({ studentId: p.studentId, subject: p.subject, ...(p.teacherId ? { teacherId: p.teacherId } : {}) }));
	const resolved = (await ctx.call("scheduling.resolveMany", { targets })) as { values: ProfileValues }[];
	const keys = [...wanted.keys()];
	return new Map(resolved.map((r, k) => [keys[k], r.values]));
}

/**
 * The logs in one insertMany, then the states in one bulkWrite, then (only if not all took) one read to see
 * which state writes did. A pair whose log met a concurrent duplicate, or whose state moved meanwhile, is
 * undone (its other log entries deleted): the duplicate answers with the stored first result, the rest are
 * answered to be planned again (409 on the last round).
 */
async function writePlans(
	svc: any,
	ctx: Ctx<any>,
	schoolId: string,
	plans: Map<string, { before: MemoryCard | null; after: MemoryCard | null; steps: Planned[] }>,
	results: (BatchResult | undefined)[],
	last: boolean,
): Promise<number[]> {
	const entries = [...plans.entries()].filter(([, plan]) => plan.steps.length > 0);
	const logs = entries.flatMap(([pair, plan]) => plan.steps.map(step => ({ pair, step })));
	if (logs.length === 0) return [];
	const duplicates = new Set<number>();
	try {
		await ReviewLog.insertMany(
			logs.map(l => l.step.log),
			{ ordered: false },
		);
	} catch (err) {
		let refused: number[];
		try {
			refused = duplicateKeyIndexes(err);
		} catch {
			await ReviewLog.deleteMany({ _id: { $in: logs.map(l => l.step.log._id) }, schoolId }).catch(() => undefined);
			throw err;
		}
		for (const i of refused) duplicates.add(i);
	}
	const undone = new Set<string>();
	const racedDuplicates = new Map<string, number>();
	logs.forEach((l, k) => {
		if (!duplicates.has(k)) return;
		undone.add(l.pair);
		racedDuplicates.set(l.step.log._id, l.step.index);
	});

	const statesToWrite = entries.filter(([pair, plan]) => !undone.has(pair) && plan.after !== null);
	const lastLogOf = (plan: { steps: Planned[] }) => plan.steps.filter(s => s.counted).at(-1)!.log._id;
	let bulkError: unknown;
	if (statesToWrite.length > 0) {
		const ops = statesToWrite.map(([, plan]) => {
			const { studentId, itemId, subject } = plan.steps[0].log as unknown as { studentId: string; itemId: string; subject: string };
			const target = { _id: memoryStateId(schoolId, studentId, itemId), schoolId, studentId, itemId };
			const set = { ...plan.after!, subject, lastLogId: lastLogOf(plan) };
			return plan.before === null
				? { insertOne: { document: { ...target, ...set } } }
				: { updateOne: { filter: { ...target, reps: plan.before.reps, last_review: plan.before.last_review }, update: { $set: set } } };
		});
		let applied = 0;
		try {
			const res = await svc.model.bulkWrite(ops, { ordered: false });
			applied = (res.insertedCount ?? 0) + (res.matchedCount ?? 0);
		} catch (err) {
			// A state another writer created meanwhile (unique key) is found by the read below; anything else is kept to throw.
			try {
				duplicateKeyIndexes(err);
			} catch {
				bulkError = err;
			}
		}
		// bulkWrite counts matches but does not say WHICH conditional update missed: when not every write took,
		// the states say whether they hold ours (the usual case, all applied, costs no read).
		if (applied !== ops.length) {
			const written = await findByIds(
				svc.model,
				statesToWrite.map(([pair]) => memoryStateId(schoolId, ...(pair.split(":") as [string, string]))),
				schoolId,
				{ projection: { lastLogId: 1, studentId: 1, itemId: 1 } },
			);
			const holding = new Set(written.map((d: any) => String(d.lastLogId)));
			for (const [pair, plan] of statesToWrite) if (!holding.has(lastLogOf(plan))) undone.add(pair);
		}
	}

	const toDelete = logs.filter((l, k) => undone.has(l.pair) && !duplicates.has(k)).map(l => l.step.log._id);
	if (toDelete.length > 0) await ReviewLog.deleteMany({ _id: { $in: toDelete }, schoolId });
	if (bulkError && undone.size > 0) throw bulkError;

	const stored = racedDuplicates.size > 0 ? await logsOf(svc, ctx, [...racedDuplicates.keys()]) : new Map();
	const again: number[] = [];
	for (const { pair, step } of logs) {
		if (racedDuplicates.has(step.log._id)) {
			const log = stored.get(step.log._id);
			const same = log && String(log.studentId) === String(step.log.studentId) && String(log.itemId) === String(step.log.itemId);
			// replay completes the state if the first recording stopped between its log and its state.
			results[step.index] = same ? done(await svc.replay(ctx, log)) : failed(conflict("This review key was already used for another answer"));
		} else if (undone.has(pair) && !last) again.push(step.index);
		else if (undone.has(pair)) results[step.index] = failed(conflict("This item's memory changed meanwhile; try again"));
		else results[step.index] = done(svc.resultOf(step.log, false));
	}
	return again;
}
