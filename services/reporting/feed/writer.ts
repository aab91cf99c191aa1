/**
 * Writes a batch of feed messages into the projections, in a handful of round trips whatever its size:
 *
 * 1. Register updates (schools, invoices): each field set by the latest event by its own time.
 * 2. States (accounts, classes, paths) of each generation written to: the newest description wins, so an
 *    older event arriving late changes nothing.
 * 3. Facts: a batch record naming them, then one marker per (generation, fact id) in one unordered insertMany;
 *    a duplicate key is a fact already counted (a redelivery, a replay, a fact both exported and delivered live
 *    during a rebuild), and counts nothing. Only facts whose marker was new go on.
 * 4. Their contributions (feed/contributions.ts), merged per document, in one unordered bulkWrite per
 *    collection (`$inc` for counters, `$addToSet` for active users, sorted capped `$push` for last answers,
 *    `$min` for completion times: all order-insensitive, so out-of-order facts give the same result).
 * 5. The batch record is deleted. If step 4 fails, the new markers are removed again so the redelivery counts
 *    the facts; if the process dies between 3 and 5, the batch record stays (its facts are in doubt,
 *    `reportingFeed.status` counts them) and a rebuild settles the school.
 */
import { randomUUID } from "node:crypto";
import { ReportingActivity } from "../../../models/reporting-activity.model.js";
import { ReportingBatch } from "../../../models/reporting-batch.model.js";
import { ReportingBucket } from "../../../models/reporting-bucket.model.js";
import { ReportingClass } from "../../../models/reporting-class.model.js";
import { ReportingInvoice } from "../../../models/reporting-invoice.model.js";
import { ReportingLiveSession } from "../../../models/reporting-live-session.model.js";
import { ReportingMarker } from "../../../models/reporting-marker.model.js";
import { ReportingMastery } from "../../../models/reporting-mastery.model.js";
import { ReportingPath } from "../../../models/reporting-path.model.js";
import { ReportingPerson } from "../../../models/reporting-person.model.js";
import { ReportingProgress } from "../../../models/reporting-progress.model.js";
import { ReportingSchool } from "../../../models/reporting-school.model.js";
import type { FeedRow } from "../../shared/feed-export.js";
import { factContext, forgetStates, forgetZone, timeZoneOf, type ResolveSchool } from "./context.js";
import { contributionsOf, type Contribution } from "./contributions.js";
import { normalize, type Fact, type Register, type State } from "./facts.js";
import { liveGenerations } from "./generations.js";

/** How many entries of a student's item history are kept (repeated failures look at the last three). */
export const HISTORY = 5;

export interface FeedEnv {
	resolveSchool: ResolveSchool;
	logger?: { error(...args: unknown[]): void; warn(...args: unknown[]): void };
	/** The generations a school's facts go to (default: the live ones, current and building). */
	generationsOf?: (schoolId: string) => Promise<number[]>;
}

export interface BatchResult {
	messages: number;
	malformed: number;
	facts: number;
	counted: number;
	states: number;
	registers: number;
}

const sep = "|";
const bulk = (model: any, ops: any[]) => (ops.length ? model.collection.bulkWrite(ops, { ordered: false }) : undefined);

export async function applyBatch(env: FeedEnv, rows: readonly FeedRow[]): Promise<BatchResult> {
	const facts: Fact[] = [];
	const states: State[] = [];
	const registers: Register[] = [];
	let malformed = 0;
	for (const { channel, message } of rows) {
		const n = normalize(channel, message as Record<string, any>);
		if (!n) {
			malformed++;
			env.logger?.error(`Dropping a malformed ${channel} message`, (message as any)?.id);
			continue;
		}
		facts.push(...n.facts);
		states.push(...n.states);
		registers.push(...n.registers);
	}
	await writeRegisters(registers);

	const schools = [...new Set([...facts.map(f => f.schoolId), ...states.map(s => s.schoolId)])];
	const gensOf = env.generationsOf ?? liveGenerations;
	const gens = new Map(await Promise.all(schools.map(async s => [s, await gensOf(s)] as const)));
	await writeStates(states, gens);

	let counted = 0;
	for (const schoolId of new Set(facts.map(f => f.schoolId))) {
		const mine = facts.filter(f => f.schoolId === schoolId);
		for (const g of gens.get(schoolId)!) counted += await countFacts(env, schoolId, g, mine);
	}
	return { messages: rows.length, malformed, facts: facts.length, counted, states: states.length, registers: registers.length };
}

/** Facts of one school into one generation: markers first, then their contributions; answers how many were new. */
async function countFacts(env: FeedEnv, schoolId: string, g: number, facts: Fact[]): Promise<number> {
	const byId = new Map<string, Fact>();
	for (const f of facts) byId.set(f.id, f);
	const markerId = (id: string) => `${schoolId}${sep}${g}${sep}${id}`;
	const ids = [...byId.keys()];
	const now = new Date();
	// The batch names its markers until their buckets are written (a crash in between leaves it: facts in doubt).
	const batchId = randomUUID();
	await ReportingBatch.collection.insertOne({ _id: batchId, schoolId, g, markerIds: ids.map(markerId), at: now } as any);
	let refused = new Set<number>();
	try {
		await ReportingMarker.collection.insertMany(
			ids.map(id => ({ _id: markerId(id), schoolId, g, at: now }) as any),
			{ ordered: false },
		);
	} catch (err: any) {
		const failures: any[] = err?.writeErrors ?? (err?.writeErrors === undefined && err?.code === 11000 ? [err] : []);
		if (failures.length === 0 || !failures.every(f => (f.code ?? f.err?.code) === 11000)) throw err;
		refused = new Set(failures.map(f => f.index ?? f.err?.index));
	}
	const fresh = ids.filter((_, i) => !refused.has(i)).map(id => byId.get(id)!);
	try {
		if (fresh.length > 0) {
			const timeZone = await timeZoneOf(schoolId, env.resolveSchool, true);
			const senders = fresh.flatMap(f => (f.type === "message" ? [f.senderId] : f.type === "visio" ? [f.userId] : f.type === "aiGeneration" ? [f.ownerId] : []));
			const ctx = await factContext(schoolId, g, timeZone, senders);
			await writeContributions(schoolId, g, fresh.flatMap(f => contributionsOf(f, ctx)));
		}
	} catch (err) {
		// Not counted: the markers go, so the redelivery counts the facts.
		await ReportingMarker.collection.deleteMany({ _id: { $in: fresh.map(f => markerId(f.id)) } as any }).catch(() => undefined);
		await ReportingBatch.collection.deleteOne({ _id: batchId as any }).catch(() => undefined);
		throw err;
	}
	await ReportingBatch.collection.deleteOne({ _id: batchId as any });
	return fresh.length;
}

async function writeContributions(schoolId: string, g: number, all: Contribution[]): Promise<void> {
	const prefix = `${schoolId}${sep}${g}${sep}`;
	const buckets = new Map<string, { set: Record<string, unknown>; inc: Record<string, number> }>();
	const active = new Map<string, { set: Record<string, unknown>; add: Record<string, Set<string>> }>();
	const mastery = new Map<string, { studentId: string; inc: Record<string, number>; paths: Map<string, Set<string>>; history: Map<string, any[]> }>();
	const live = new Map<string, { c: Extract<Contribution, { kind: "live" }>; inc: Record<string, number>; classIds: Set<string>; at: Date }>();
	const progress = new Map<string, { studentId: string; pathId: string; min: Record<string, Date> }>();

	for (const c of all) {
		switch (c.kind) {
			case "bucket": {
				const month = c.day.slice(0, 7);
				const id = `${prefix}${c.scope}${sep}${c.key}${sep}${month}`;
				const doc = buckets.get(id) ?? { set: { schoolId, g, scope: c.scope, key: c.key, month }, inc: {} };
				for (const [name, v] of Object.entries(c.counters)) {
					if (v === 0) continue;
					const path = `d.${c.day}.${name}`;
					doc.inc[path] = (doc.inc[path] ?? 0) + v;
				}
				buckets.set(id, doc);
				break;
			}
			case "active": {
				const id = `${prefix}act${sep}${c.span}${sep}${c.key}`;
				const doc = active.get(id) ?? { set: { schoolId, g, span: c.span, key: c.key }, add: {} };
				(doc.add[c.set] ??= new Set()).add(c.userId);
				active.set(id, doc);
				break;
			}
			case "mastery": {
				const id = `${prefix}${c.studentId}`;
				const doc = mastery.get(id) ?? { studentId: c.studentId, inc: {} as Record<string, number>, paths: new Map(), history: new Map() };
				doc.inc[`i.${c.itemId}.n`] = (doc.inc[`i.${c.itemId}.n`] ?? 0) + 1;
				doc.inc[`i.${c.itemId}.k`] = (doc.inc[`i.${c.itemId}.k`] ?? 0) + (c.correct ? 1 : 0);
				if (c.pathId) doc.paths.set(c.itemId, (doc.paths.get(c.itemId) ?? new Set()).add(c.pathId));
				doc.history.set(c.itemId, [...(doc.history.get(c.itemId) ?? []), c.entry]);
				mastery.set(id, doc);
				break;
			}
			case "live": {
				const id = `${prefix}${c.liveSessionId}`;
				const doc = live.get(id) ?? { c, inc: { n: 0, sc: 0, an: 0, ok: 0 }, classIds: new Set<string>(), at: c.at };
				for (const k of ["n", "sc", "an", "ok"] as const) doc.inc[k] += c[k];
				for (const cls of c.classIds) doc.classIds.add(cls);
				if (c.at < doc.at) doc.at = c.at;
				live.set(id, doc);
				break;
			}
			case "progress": {
				const id = `${prefix}${c.studentId}${sep}${c.pathId}`;
				const doc = progress.get(id) ?? { studentId: c.studentId, pathId: c.pathId, min: {} };
				const path = `steps.${c.stepId}`;
				if (!doc.min[path] || c.at < doc.min[path]) doc.min[path] = c.at;
				progress.set(id, doc);
				break;
			}
		}
	}

	await Promise.all([
		bulk(
			ReportingBucket,
			[...buckets].map(([_id, d]) => ({ updateOne: { filter: { _id }, update: { ...(Object.keys(d.inc).length ? { $inc: d.inc } : {}), $setOnInsert: d.set }, upsert: true } })),
		),
		bulk(
			ReportingActivity,
			[...active].map(([_id, d]) => ({
				updateOne: { filter: { _id }, update: { $addToSet: Object.fromEntries(Object.entries(d.add).map(([k, v]) => [k, { $each: [...v].sort() }])), $setOnInsert: d.set }, upsert: true },
			})),
		),
		bulk(
			ReportingMastery,
			[...mastery].map(([_id, d]) => {
				const push: Record<string, unknown> = {};
				for (const [itemId, entries] of d.history) push[`i.${itemId}.h`] = { $each: entries, $sort: { t: 1, k: 1 }, $slice: -HISTORY };
				const add: Record<string, unknown> = {};
				for (const [itemId, paths] of d.paths) add[`i.${itemId}.ps`] = { $each: [...paths].sort() };
				return {
					updateOne: {
						filter: { _id },
						update: { $inc: d.inc, $push: push, ...(Object.keys(add).length ? { $addToSet: add } : {}), $setOnInsert: { schoolId, g, studentId: d.studentId } },
						upsert: true,
					},
				};
			}),
		),
		bulk(
			ReportingLiveSession,
			[...live].map(([_id, d]) => ({
				updateOne: {
					filter: { _id },
					update: {
						$inc: d.inc,
						$min: { at: d.at },
						$addToSet: { classIds: { $each: [...d.classIds].sort() } },
						$setOnInsert: { schoolId, g, liveSessionId: d.c.liveSessionId, pathId: d.c.pathId, teacherId: d.c.teacherId },
					},
					upsert: true,
				},
			})),
		),
		bulk(
			ReportingProgress,
			[...progress].map(([_id, d]) => ({
				updateOne: { filter: { _id }, update: { $min: d.min, $setOnInsert: { schoolId, g, studentId: d.studentId, pathId: d.pathId } }, upsert: true },
			})),
		),
	]);
}

/** A description newer than the stored one replaces it; an older one (arriving late) is ignored. */
const INVOICE_STATUS_RANK: Record<string, number> = { pending: 0, payment_failed: 1, paid: 2, void: 2 };
const newer = (field: string, at: Date) => ({ $or: [{ [field]: null }, { [field]: { $lt: at } }] });

/** Ensures a state document exists, then applies the conditional updates (in order: creation first). */
async function ensureThenUpdate(model: any, inserts: any[], updates: any[]): Promise<void> {
	if (inserts.length) await model.collection.bulkWrite(inserts, { ordered: false });
	if (updates.length) await model.collection.bulkWrite(updates, { ordered: true });
}

async function writeStates(states: State[], gens: Map<string, number[]>): Promise<void> {
	if (states.length === 0) return;
	const people: [any[], any[]] = [[], []];
	const classes: [any[], any[]] = [[], []];
	const paths: [any[], any[]] = [[], []];
	for (const s of states) {
		for (const g of gens.get(s.schoolId)!) {
			const base = { schoolId: s.schoolId, g };
			if (s.type === "person") {
				const _id = `${s.schoolId}${sep}${g}${sep}${s.userId}`;
				people[0].push({ updateOne: { filter: { _id }, update: { $setOnInsert: { ...base, userId: s.userId, roles: [], rolesAt: null, status: "active", statusAt: null, createdAt: null } }, upsert: true } });
				if (s.createdAt) people[1].push({ updateOne: { filter: { _id }, update: { $min: { createdAt: s.createdAt } } } });
				if (s.roles) people[1].push({ updateOne: { filter: { _id, ...newer("rolesAt", s.at) }, update: { $set: { roles: s.roles, rolesAt: s.at } } } });
				if (s.status) people[1].push({ updateOne: { filter: { _id, ...newer("statusAt", s.at) }, update: { $set: { status: s.status, statusAt: s.at } } } });
			} else if (s.type === "class") {
				const _id = `${s.schoolId}${sep}${g}${sep}${s.classId}`;
				classes[0].push({ updateOne: { filter: { _id }, update: { $setOnInsert: { ...base, classId: s.classId, at: null } }, upsert: true } });
				classes[1].push({
					updateOne: { filter: { _id, ...newer("at", s.at) }, update: { $set: { name: s.name, teacherIds: s.teacherIds, studentIds: s.studentIds, removed: s.removed, at: s.at } } },
				});
			} else {
				const _id = `${s.schoolId}${sep}${g}${sep}${s.pathId}`;
				paths[0].push({ updateOne: { filter: { _id }, update: { $setOnInsert: { ...base, pathId: s.pathId, at: null } }, upsert: true } });
				const set: Record<string, unknown> = { ownerId: s.ownerId, name: s.name, subject: s.subject, status: s.status, classIds: s.classIds, studentIds: s.studentIds, itemIds: s.itemIds, at: s.at };
				if (s.stepCount !== null) set.stepCount = s.stepCount;
				paths[1].push({ updateOne: { filter: { _id, ...newer("at", s.at) }, update: { $set: set } } });
			}
		}
	}
	await Promise.all([ensureThenUpdate(ReportingPerson, ...people), ensureThenUpdate(ReportingClass, ...classes), ensureThenUpdate(ReportingPath, ...paths)]);
	for (const schoolId of new Set(states.map(s => s.schoolId))) forgetStates(schoolId);
}

async function writeRegisters(registers: Register[]): Promise<void> {
	if (registers.length === 0) return;
	const schools: [any[], any[]] = [[], []];
	const invoices: [any[], any[]] = [[], []];
	for (const r of registers) {
		if (r.type === "school") {
			const _id = r.schoolId;
			const set: Record<string, unknown> = {};
			if (r.name) set.name = r.name;
			if (r.timezone) set.timezone = r.timezone;
			schools[0].push({ updateOne: { filter: { _id }, update: { ...(Object.keys(set).length ? { $set: set } : {}), $setOnInsert: { status: "active", statusAt: null, lostAt: null }, ...(r.createdAt ? { $min: { createdAt: r.createdAt } } : {}) }, upsert: true } });
			if (r.status) {
				schools[1].push({
					updateOne: { filter: { _id, ...newer("statusAt", r.at) }, update: { $set: { status: r.status, statusAt: r.at, ...(r.status === "lost" ? { lostAt: r.at } : {}) } } },
				});
			}
			if (r.timezone) forgetZone(r.schoolId);
		} else {
			const _id = r.invoiceId;
			const { createdAt, paidAt, failedAt, attempts, amountDueCents, ...plain } = r.fields as Record<string, any>;
			const min: Record<string, unknown> = {};
			if (createdAt) min.createdAt = createdAt;
			const max: Record<string, unknown> = {};
			if (paidAt) max.paidAt = paidAt;
			if (failedAt) max.failedAt = failedAt;
			if (typeof attempts === "number") max.attempts = attempts;
			if (r.overdue) max.overdueAt = r.at;
			invoices[0].push({
				updateOne: {
					filter: { _id },
					update: {
						...(Object.keys(plain).length ? { $set: plain } : {}),
						$setOnInsert: { schoolId: r.schoolId, status: "pending", statusAt: null },
						...(Object.keys(min).length ? { $min: min } : {}),
						...(Object.keys(max).length ? { $max: max } : {}),
					},
					upsert: true,
				},
			});
			if (r.status) {
				// The latest status wins; at the same instant (one clock tick, a frozen test clock) the later step of
				// an invoice's life does: pending, then a failed payment, then paid or void.
				const rank = INVOICE_STATUS_RANK[r.status] ?? 0;
				const later = { $or: [{ statusAt: null }, { statusAt: { $lt: r.at } }, { statusAt: r.at, statusRank: { $lt: rank } }] };
				invoices[1].push({
					updateOne: { filter: { _id, ...later }, update: { $set: { status: r.status, statusAt: r.at, statusRank: rank, ...(typeof amountDueCents === "number" ? { amountDueCents } : {}) } } },
				});
			}
		}
	}
	await Promise.all([ensureThenUpdate(ReportingSchool, ...schools), ensureThenUpdate(ReportingInvoice, ...invoices)]);
}
