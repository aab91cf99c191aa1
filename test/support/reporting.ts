/**
 * Fixtures for the reporting tests: a school with a path its students revise through HTTP, feed messages
 * published through the real durable channel as their owners would, and waiting for the projections to
 * show something (the feed is asynchronous: tests poll the dashboards rather than sleep).
 */
import { expect } from "chai";
import { publishDurable } from "../../services/shared/durable.js";
import { createPath, itemIds, learningSchool, ok, RIGHT, WRONG, type ItemName, type LearningSchool } from "./learning-sessions.js";
import { bootPlatform, http, systemMeta, unique } from "./platform.js";
import { PROJECTION_MODELS } from "../../services/reporting/projection-models.js";
import type { Account } from "./accounts.js";

export interface ReportingSchool extends LearningSchool {
	pathId: string;
	stepId: string;
}

export const ALL_ITEMS: ItemName[] = ["capital", "sea", "earth", "everest", "rome"];

/** A learning school whose path is assigned to students 0 and 1 directly and to the class (student 2). */
export async function reportingSchool(): Promise<ReportingSchool> {
	const school = await learningSchool();
	const created = await createPath(school.teacher, {
		studentIds: school.students.slice(0, 2).map(s => s.id),
		classIds: [school.classId],
		activate: true,
		steps: [{ title: "All kinds", itemIds: itemIds(school, ...ALL_ITEMS) }],
	});
	return { ...school, pathId: created.id, stepId: created.path.steps[0].id };
}

/** One revision session through HTTP, answering right the items in `right` and wrong the others; answers counts. */
export async function revise(school: ReportingSchool, student: Account, right: readonly ItemName[]): Promise<{ answered: number; correct: number; sessionId: string }> {
	const nameOf = new Map(ALL_ITEMS.map(n => [school.items[n].id, n]));
	const started = await ok(http("POST", "/api/revision-sessions", { token: student.token, body: { pathId: school.pathId, stepId: school.stepId } }), 201);
	let served = started.item;
	let answered = 0;
	let correct = 0;
	while (served) {
		const name = nameOf.get(served.id)!;
		const good = right.includes(name);
		const res = await ok(http("POST", `/api/revision-sessions/${started.id}/answers`, { token: student.token, body: { clientId: unique("c"), itemId: served.id, answer: good ? RIGHT[name] : WRONG[name], responseTimeMs: 5000 } }));
		answered++;
		if (good) correct++;
		served = res.next;
	}
	await ok(http("POST", `/api/revision-sessions/${started.id}/end`, { token: student.token }));
	return { answered, correct, sessionId: started.id };
}

/** Publishes a feed message through the real channel, as its owner would. */
export async function publish(channel: string, message: Record<string, unknown> & { schoolId: string | null }): Promise<void> {
	const { broker } = await bootPlatform();
	await publishDurable(broker, channel, message as any);
}

/** Polls `read` until `done` holds (the feed is asynchronous), failing with the last value after `timeoutMs`. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	let last: T;
	for (;;) {
		last = await read();
		if (done(last)) return last;
		if (Date.now() > deadline) throw new Error(`not reached in ${timeoutMs} ms; last: ${JSON.stringify(last).slice(0, 600)}`);
		await new Promise(r => setTimeout(r, 50));
	}
}

/** A school id no school has: the sentinel's facts land there, never in a tested school's figures. */
const SENTINEL_SCHOOL = "5e471e1a15e471e1a15e471e";

/**
 * Waits until the feed has written what was published before: a sentinel fact (for a school that does not
 * exist) goes through the same channel and batcher, then the aggregator is asked to finish its batches.
 */
export async function feedSettled(): Promise<void> {
	const { broker } = await bootPlatform();
	const id = `sentinel:${unique("s")}`;
	await publish("learning.review.recorded", { id, schoolId: SENTINEL_SCHOOL, reviewedAt: "2001-01-01T12:00:00Z", studentId: SENTINEL_SCHOOL, itemId: SENTINEL_SCHOOL, pathId: null, teacherId: null, rating: 3, correct: true, counted: true, first: false, retrievability: null, stability: 1, responseTimeMs: null, source: "solo" });
	const { ReportingMarker } = await import("../../models/reporting-marker.model.js");
	await eventually(() => ReportingMarker.exists({ _id: `${SENTINEL_SCHOOL}|1|${id}` } as any), found => !!found);
	await broker.call("reportingFeed.idle", {}, { meta: systemMeta() });
}

/** Every projection document of a school (registers included), for before/after comparisons. */
export async function projectionSnapshot(schoolId: string): Promise<Record<string, any[]>> {
	const out: Record<string, any[]> = {};
	for (const model of PROJECTION_MODELS) {
		const filter = model.modelName === "ReportingGeneration" || model.modelName === "ReportingSchool" ? { _id: schoolId } : { schoolId };
		const docs = await model.collection.find(filter as any).sort({ _id: 1 }).toArray();
		// Figures only: when a state was last described (a replayed account's time differs from its creation message's) is bookkeeping.
		out[model.modelName] = docs.map((d: any) => {
			if (model.modelName === "ReportingMarker") return { _id: d._id };
			const { at: _at, rolesAt: _r, statusAt: _s, ...figures } = d;
			// Sets of ids keep the order they were added in.
			for (const k of ["st", "te", "ot", "classIds", "studentIds", "teacherIds"]) if (Array.isArray(figures[k])) figures[k] = [...figures[k]].sort();
			return model.modelName === "ReportingLiveSession" ? { ...figures, at: d.at } : figures;
		});
	}
	return out;
}

export async function dashboard(path: string, account: Account | null, status = 200): Promise<any> {
	const res = await http("GET", path, account ? { token: account.token } : {});
	expect(res.status, `${path}: ${JSON.stringify(res.body).slice(0, 400)}`).to.equal(status);
	return res.body;
}
