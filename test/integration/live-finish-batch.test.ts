/**
 * `live finish batch`: ending a live group session records every student in one batch
 * (liveSessions.finish → revisions.recordGroupSessions → progress.recordSessions) with the guarantees the
 * student-by-student recording had: one RevisionSession (mode group) and one progress count per student,
 * a repeated finish stores nothing new and answers the same ids, one durable `learning.session.completed` per
 * student under the same id; a batch naming a student who is not of the school is refused whole, before any
 * write; a finish racing other recordings of the same students' progress loses none of them (optimistic
 * concurrency: a student whose progress moved meanwhile is tallied again).
 */
import { expect } from "chai";
import { Types } from "mongoose";
import { PathProgress } from "../../models/path-progress.model.js";
import { RevisionSession } from "../../models/revision-session.model.js";
import { invite, signupSchool, type Account } from "../support/accounts.js";
import { callInSchool } from "../support/learning-content.js";
import { createPath, durableProbe } from "../support/learning-sessions.js";
import { liveSchool, LIVE_ITEMS, openLive, type LiveSchool } from "../support/live.js";
import { bootPlatform, http } from "../support/platform.js";

/** What `promise` rejects with; fails the test when it resolves. */
async function thrown(promise: Promise<unknown>): Promise<any> {
	try {
		await promise;
	} catch (err) {
		return err;
	}
	throw new Error("expected a rejection");
}

describe("live finish batch", function () {
	this.timeout(120_000);
	let s: LiveSchool;
	let foreign: Account;
	/** A path whose only step is the four graded items: a student who reviewed them all completes it. */
	let pathId: string;
	let stepId: string;
	let probe: Awaited<ReturnType<typeof durableProbe>>;

	before(async () => {
		await bootPlatform();
		s = await liveSchool({ students: 6 });
		const other = await signupSchool();
		foreign = await invite(other.admin, "student");
		const created = await createPath(s.teacher, { classIds: [s.classId], activate: true, steps: [{ title: "Four questions", itemIds: LIVE_ITEMS.map(n => s.items[n].id) }] });
		pathId = created.id;
		stepId = created.path.steps[0].id;
		probe = await durableProbe("learning.session.completed");
	});

	after(async () => {
		await probe?.stop();
	});

	async function openSession(): Promise<{ id: string; itemIds: string[] }> {
		const opened = await openLive(s, { pathId, stepId, questionCount: 4 });
		expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
		return opened.body;
	}

	/** What a room sends at the end: each student's graded answers (student k answers the first k questions). */
	function finishParams(session: { id: string; itemIds: string[] }, students: { id: string }[], startedAt = new Date(Date.now() - 60_000)) {
		return {
			id: session.id,
			reason: "ended_by_teacher",
			startedAt,
			endedAt: new Date(),
			students: students.map((st, k) => ({
				studentId: st.id,
				joinedAt: startedAt,
				answers: session.itemIds.slice(0, k).map((itemId, i) => ({
					itemId,
					clientId: `c${k}-${i}`,
					correct: i % 2 === 0,
					score: i % 2 === 0 ? 1 : 0,
					rating: i % 2 === 0 ? 3 : 1,
					responseTimeMs: 1500,
					answeredAt: new Date(startedAt.getTime() + (i + 1) * 1000),
				})),
			})),
			leaderboard: [],
		};
	}

	const finish = (params: unknown) => callInSchool(s.school.id, "liveSessions.finish", params as Record<string, unknown>);
	const progressOf = async (studentId: string) => (await PathProgress.findOne({ schoolId: s.school.id, studentId, pathId }).lean()) as any;
	/** Sessions counted so far (none stored yet: 0). */
	const countOf = (progress: any): number => progress?.sessions ?? 0;
	const completedFor = (sessionId: string) => probe.messages.filter(m => m.id === `learning.session.completed:${sessionId}`);

	it("stores one group session and one progress count per student, each learning.session.completed once; a repeat stores nothing new and answers the same ids", async () => {
		const session = await openSession();
		// Student 5 reviewed every question in memory (as the room records each answer): the step completes for them alone.
		const reviewedAt = new Date(Date.now() - 30_000);
		await callInSchool(s.school.id, "memory.recordReviews", {
			reviews: session.itemIds.map(itemId => ({
				reviewKey: `live:${session.id}:${s.students[5].id}:${itemId}`,
				studentId: s.students[5].id,
				itemId,
				pathId,
				teacherId: s.teacher.id,
				rating: 3,
				responseTimeMs: 1000,
				correct: true,
				source: "group",
				reviewedAt,
			})),
		});
		const params = finishParams(session, s.students);

		const first = await finish(params);
		expect(first).to.include({ id: session.id, status: "ended" });
		expect(first.sessions.map((x: any) => x.studentId)).to.deep.equal(s.students.map(st => st.id));
		const stored = (await RevisionSession.find({ liveSessionId: session.id }).lean()) as any[];
		expect(stored).to.have.length(s.students.length);
		for (const [k, st] of s.students.entries()) {
			const doc = stored.find(d => String(d.studentId) === st.id);
			const answered = Math.min(k, session.itemIds.length);
			expect(doc, `the session of student ${k}`).to.include({ mode: "group", status: "completed" });
			expect(String(doc._id)).to.equal(first.sessions[k].revisionSessionId);
			expect(doc.answers).to.have.length(answered);
			expect(doc.summary.answered).to.equal(answered);
			const progress = await progressOf(st.id);
			expect(progress.sessions, `progress of student ${k}`).to.equal(1);
			expect(progress.recordedIds).to.deep.equal([String(doc._id)]);
			expect(progress.steps).to.have.length(1);
			expect(progress.steps[0]).to.include({ stepId, sessions: 1, completed: k === 5 });
		}
		for (const x of first.sessions) await probe.waitFor(m => m.id === `learning.session.completed:${x.revisionSessionId}`);
		await new Promise(r => setTimeout(r, 200));
		for (const [k, x] of first.sessions.entries()) {
			const messages = completedFor(x.revisionSessionId);
			expect(messages, `learning.session.completed of student ${k}`).to.have.length(1);
			expect(messages[0]).to.include({ schoolId: s.school.id, sessionId: x.revisionSessionId, studentId: x.studentId, pathId, stepId, teacherId: s.teacher.id, mode: "group", status: "completed" });
			expect(messages[0].answered).to.equal(Math.min(k, session.itemIds.length));
		}

		// Again (a room retrying its end): the same ids, nothing new stored or counted; the messages go out again
		// under the same ids, which consumers deduplicate.
		const again = await finish(params);
		expect(again.sessions).to.deep.equal(first.sessions);
		expect(await RevisionSession.countDocuments({ liveSessionId: session.id })).to.equal(s.students.length);
		for (const st of s.students) expect((await progressOf(st.id)).sessions).to.equal(1);
		const ids = new Set(first.sessions.map((x: any) => `learning.session.completed:${x.revisionSessionId}`));
		expect(new Set(probe.messages.filter(m => ids.has(m.id)).map(m => m.id))).to.deep.equal(ids);

		// One student alone (revisions.recordGroupSession) is the batch of one: the same id, nothing new.
		const [one] = params.students.slice(2, 3);
		const single = await callInSchool(s.school.id, "revisions.recordGroupSession", {
			liveSessionId: session.id,
			studentId: one.studentId,
			pathId,
			stepId,
			teacherId: s.teacher.id,
			subject: "Geography",
			itemIds: session.itemIds,
			answers: one.answers,
			startedAt: params.startedAt,
			endedAt: params.endedAt,
		});
		expect(single).to.include({ id: first.sessions[2].revisionSessionId, status: "completed", answered: 2 });
		expect(await RevisionSession.countDocuments({ liveSessionId: session.id })).to.equal(s.students.length);
		expect((await progressOf(one.studentId)).sessions).to.equal(1);
	});

	it("refuses the whole batch with 422 before any write when a student is unknown, of another school, or listed twice", async () => {
		const session = await openSession();
		const before = await Promise.all(s.students.map(st => progressOf(st.id)));
		const published = probe.messages.length;
		const cases: [string, { id: string }[], number][] = [
			["another school's student", [...s.students, { id: foreign.id }], 6],
			["an unknown id", [{ id: new Types.ObjectId().toHexString() }, ...s.students], 0],
			["the teacher", [...s.students.slice(0, 2), { id: s.teacher.id }], 2],
			["a student twice", [...s.students, s.students[0]], 6],
		];
		for (const [what, students, bad] of cases) {
			const err = await thrown(finish(finishParams(session, students)));
			expect(err, what).to.include({ code: 422, type: "VALIDATION_ERROR" });
			expect(err.data.map((p: any) => p.field), what).to.deep.equal([`students[${bad}].studentId`]);
		}
		expect(await RevisionSession.countDocuments({ liveSessionId: session.id }), "no session stored").to.equal(0);
		expect(await Promise.all(s.students.map(st => progressOf(st.id))), "no progress counted").to.deep.equal(before);
		await new Promise(r => setTimeout(r, 200));
		expect(probe.messages.length, "nothing published").to.equal(published);
		const record = await http("GET", `/api/live-sessions/${session.id}`, { token: s.teacher.token });
		expect(record.body.status, "the session stays open").to.equal("open");
	});

	it("a finish racing solo recordings of the same students' progress loses none: each student is tallied again on what moved", async () => {
		const session = await openSession();
		const earlier = await Promise.all(s.students.map(st => progressOf(st.id)));
		const solo = (studentId: string) =>
			callInSchool(s.school.id, "progress.recordSession", {
				pathId,
				studentId,
				stepId,
				sessionId: new Types.ObjectId().toHexString(),
				kind: "revision",
				score: 1,
				answered: 4,
				successRate: 1,
				timeSpentMs: 1000,
			});
		// Two solo sessions per student, racing the batch that counts the live session for all of them.
		const [done] = await Promise.all([finish(finishParams(session, s.students)), ...s.students.flatMap(st => [solo(st.id), solo(st.id)])]);
		expect(done.sessions).to.have.length(s.students.length);
		for (const [i, st] of s.students.entries()) {
			const progress = await progressOf(st.id);
			expect(progress.sessions, `progress of student ${i}`).to.equal(countOf(earlier[i]) + 3);
			expect(progress.steps[0].sessions, `step sessions of student ${i}`).to.equal(countOf(earlier[i]) + 3);
			const stored = (await PathProgress.findOne({ schoolId: s.school.id, studentId: st.id, pathId }).lean()) as any;
			expect(new Set(stored.recordedIds).size, "each session recorded once").to.equal(stored.recordedIds.length);
		}
		for (const st of s.students) {
			const own = (await RevisionSession.findOne({ liveSessionId: session.id, studentId: st.id }).lean()) as any;
			await probe.waitFor(m => m.id === `learning.session.completed:${own._id}`);
		}
	});

	it("two finishes racing store each student's session and progress once, and answer the same ids", async () => {
		const session = await openSession();
		const before = await Promise.all(s.students.map(st => progressOf(st.id)));
		const params = finishParams(session, s.students);
		const answered = await Promise.all([finish(params), finish(params)]);
		expect(answered[0].sessions).to.deep.equal(answered[1].sessions);
		expect(await RevisionSession.countDocuments({ liveSessionId: session.id })).to.equal(s.students.length);
		const after = await Promise.all(s.students.map(st => progressOf(st.id)));
		after.forEach((p, i) => expect(p.sessions, `progress of student ${i}`).to.equal(countOf(before[i]) + 1));
	});

	it("progress.recordSessions: answers per session in input order; a session repeated, in the batch or stored, counts once", async () => {
		const [a, b] = s.students;
		const entry = (studentId: string, sessionId: string) => ({ studentId, stepId, sessionId, kind: "revision", score: 0.5, answered: 2, successRate: 0.5, timeSpentMs: 1000 });
		const before = await Promise.all([a, b].map(st => progressOf(st.id)));
		const sa = new Types.ObjectId().toHexString();
		const sb = new Types.ObjectId().toHexString();
		const { results } = await callInSchool(s.school.id, "progress.recordSessions", { pathId, sessions: [entry(a.id, sa), entry(b.id, sb), entry(a.id, sa)] });
		expect(results.map((r: any) => [r.studentId, r.sessionId, r.ok, r.recorded, r.duplicate])).to.deep.equal([
			[a.id, sa, true, true, false],
			[b.id, sb, true, true, false],
			[a.id, sa, true, false, true],
		]);
		const again = await callInSchool(s.school.id, "progress.recordSessions", { pathId, sessions: [entry(b.id, sb)] });
		expect(again.results[0]).to.include({ ok: true, recorded: false, duplicate: true });
		const after = await Promise.all([a, b].map(st => progressOf(st.id)));
		after.forEach((p, i) => {
			expect(p.sessions).to.equal(countOf(before[i]) + 1);
			expect(p.timeSpentMs).to.equal((before[i]?.timeSpentMs ?? 0) + 1000);
		});
		// A path of another school is not found, whatever the batch.
		const foreignPath = await thrown(callInSchool(s.school.id, "progress.recordSessions", { pathId: new Types.ObjectId().toHexString(), sessions: [entry(a.id, sa)] }));
		expect(foreignPath).to.include({ code: 404 });
	});
});
