/**
 * The seed's "Scénario 2 — Session de révision d'un élève", end to end through HTTP:
 * 1 the student picks a step and clicks "Start"; 2 a RevisionSession is started; 3 checks: the student
 * belongs to the path, the step is available, the path is active, the spacing rules hold; 4–5 (the AI agent
 * and the archive of its answers belong to the AI block: covered by the durable message below);
 * 6 the end computes score and time spent and updates the path's progress; 7 asynchronously, the teacher is
 * notified and reporting gets `learning.session.completed`.
 * Time is the shared learning clock, moved by hand to make items due the next day.
 */
import { expect } from "chai";
import { callInSchool } from "../support/learning-content.js";
import {
	createPath,
	durableProbe,
	expectNoAnswerKeys,
	ITEM_BODIES,
	itemIds,
	learningSchool,
	manualLearningClock,
	ok,
	RIGHT,
	waitForNotification,
	WRONG,
	type ItemName,
	type LearningSchool,
} from "../support/learning-sessions.js";
import { bootPlatform, http, systemMeta, unique } from "../support/platform.js";

describe("scenario 2: a student revises a step", function () {
	this.timeout(60_000);
	let school: LearningSchool;
	let other: LearningSchool;
	let clock: ReturnType<typeof manualLearningClock>;
	let probe: Awaited<ReturnType<typeof durableProbe>>;
	let pathId: string;
	let steps: { revise: string; quiz: string; later: string };
	const nameOf = new Map<string, ItemName>();

	before(async () => {
		await bootPlatform();
		probe = await durableProbe("learning.session.completed");
		// mid-morning in Paris, so the day's boundaries are far from the moves below
		clock = manualLearningClock(Date.parse("2031-03-12T09:00:00Z"));
		school = await learningSchool();
		other = await learningSchool();
		for (const name of Object.keys(ITEM_BODIES) as ItemName[]) nameOf.set(school.items[name].id, name);
		const created = await createPath(school.teacher, {
			studentIds: [school.students[0].id, school.students[1].id],
			classIds: [school.classId],
			activate: true,
			steps: [
				{ title: "Capitals and seas", itemIds: itemIds(school, "capital", "sea", "earth", "everest", "rome") },
				{ title: "Quiz", kind: "evaluation", itemIds: itemIds(school, "capital", "sea"), prerequisites: [0] },
				{ title: "Summer", itemIds: itemIds(school, "sea"), availableFrom: "2031-07-01T00:00:00Z" },
			],
		});
		pathId = created.id;
		const [revise, quiz, later] = created.path.steps.map((s: any) => s.id);
		steps = { revise, quiz, later };
	});
	after(async () => {
		clock?.restore();
		await probe?.stop();
	});

	const start = (token: string, body: Record<string, unknown>) => http("POST", "/api/revision-sessions", { token, body });
	const states = (studentId: string) => callInSchool(school.school.id, "memory.states", { studentId, itemIds: itemIds(school, "capital", "sea", "earth", "everest", "rome") });

	it("steps 1–7: starts a session, serves and grades items, ends it, updates progress, notifies the teacher and reporting", async () => {
		const student = school.students[0];
		// steps 1–3: start on the step (all checks pass); the first item arrives without its answer key
		const started = await ok(start(student.token, { pathId, stepId: steps.revise }), 201);
		expect(started).to.include({ status: "active", mode: "normal", queue: 5 });
		expect(started.item.id).to.be.a("string");
		expectNoAnswerKeys(started, school, new Set(), "start");
		const sessionId = started.id;

		// the session: answer each item as served; the capital question wrong, the rest right
		const answered = new Set<string>();
		let served = started.item;
		let first: any;
		for (let i = 0; served; i++) {
			const name = nameOf.get(served.id)!;
			clock.advance(10, "s");
			const body = { clientId: `c-${i}`, itemId: served.id, answer: name === "capital" ? WRONG.capital : RIGHT[name], responseTimeMs: 15_000 };
			const res = await ok(http("POST", `/api/revision-sessions/${sessionId}/answers`, { token: student.token, body }));
			answered.add(served.id);
			expectNoAnswerKeys(res, school, answered, `answer ${i}`);
			expect(res.correct, name).to.equal(name !== "capital");
			// a first answer is never Easy from speed alone (the Everest question is answered fast)
			expect(res.rating, name).to.equal(name === "capital" ? 1 : 3);
			if (name === "capital") expect(res.feedback.expected).to.deep.equal({ accepted: ["Paris"] });
			if (name === "rome") expect(res.feedback.back).to.equal(ITEM_BODIES.rome.back);
			if (i === 0) first = { body, res };
			if (res.next) {
				const next = await ok(http("GET", `/api/revision-sessions/${sessionId}/next`, { token: student.token }));
				expect(next.item).to.deep.equal(res.next);
				expectNoAnswerKeys(next, school, answered, "next");
			}
			served = res.next;
		}
		expect(answered.size).to.equal(5);
		// every item is in a learning step (the failed one: 1 minute; the others: 10): the session waits for the first
		const waiting = await ok(http("GET", `/api/revision-sessions/${sessionId}/next`, { token: student.token }));
		expect(waiting).to.include({ done: false, waiting: true, remaining: 5 });
		expect(new Date(waiting.nextAt).getTime()).to.equal(clock.now().getTime() + 20_000);
		// once its step has elapsed, the failed item comes back within the session
		clock.advance(20, "s");
		const back = await ok(http("GET", `/api/revision-sessions/${sessionId}/next`, { token: student.token }));
		expect(back.item.id).to.equal(school.items.capital.id);
		expectNoAnswerKeys(back, school, new Set([...answered].filter(id => id !== school.items.capital.id)), "next, the failed item again");

		// a retry of an answer returns the first result and records nothing twice
		const before = await states(student.id);
		const retry = await ok(http("POST", `/api/revision-sessions/${sessionId}/answers`, { token: student.token, body: first.body }));
		expect(retry).to.include({ correct: first.res.correct, rating: first.res.rating, duplicate: true });
		expect(await states(student.id)).to.deep.equal(before);
		expect(before.every((s: any) => s.reps === 1)).to.equal(true);

		// step 6: the end (the student leaves before answering it again: it stays due at its step time): score, success rate, time spent, progress
		clock.advance(30, "s");
		const ended = await ok(http("POST", `/api/revision-sessions/${sessionId}/end`, { token: student.token }));
		expect(ended).to.include({ status: "completed", answered: 5, successRate: 0.8, score: 0.8 });
		expect(ended.timeSpentMs).to.equal(100_000);
		const progress = await ok(http("GET", "/api/progress/me", { token: student.token }));
		expectNoAnswerKeys(progress, school, answered, "progress");
		const onPath = progress.paths.find((p: any) => p.pathId === pathId);
		expect(onPath.steps[0]).to.include({ stepId: steps.revise, completed: true, sessions: 1, lastScore: 0.8 });
		expect(onPath.steps[0].mastery).to.be.greaterThan(0.8);
		expect(onPath.steps[1].completed).to.equal(false);
		expect(onPath.nextDueAt).to.be.a("string");
		expect(progress.streak).to.equal(1);

		// step 7: the teacher is told in-app, reporting gets the durable message
		const note = await waitForNotification(school.teacher, n => n.data?.sessionId === sessionId);
		expect(note).to.include({ type: "learning.session.completed" });
		const message = await probe.waitFor(m => m.sessionId === sessionId);
		expect(message).to.include({ schoolId: school.school.id, studentId: student.id, pathId, stepId: steps.revise, status: "completed", answered: 5, successRate: 0.8 });
		// ending again is harmless
		expect(await ok(http("POST", `/api/revision-sessions/${sessionId}/end`, { token: student.token }))).to.include({ status: "completed", answered: 5 });
		const pathProgress = await ok(http("GET", `/api/learning-paths/${pathId}/progress`, { token: school.teacher.token }));
		const row = pathProgress.students.find((s: any) => s.student.id === student.id);
		expect(row.sessions).to.equal(1);
	});

	it("spacing: the same day only the failed item is due again (its 1-minute learning step); then nothing (409); the next day, due items come first, weakest first", async () => {
		const student = school.students[0];
		const again = await ok(start(student.token, { pathId, stepId: steps.revise }), 201);
		expect(again.queue, "only the item failed a minute ago is due").to.equal(1);
		expect(again.item.id).to.equal(school.items.capital.id);
		await answerAll(student, again);

		const refused = await start(student.token, { pathId, stepId: steps.revise });
		expect(refused.status, JSON.stringify(refused.body)).to.equal(409);
		expect(refused.body.error.type).to.equal("NOTHING_TO_REVIEW");
		expect(refused.body.error.data.nextDueAt).to.be.a("string");

		clock.advance(1, "d");
		const next = await ok(start(student.token, { pathId, stepId: steps.revise }), 201);
		// the capital question was failed once: lowest probability of recall, served first
		expect(next.item.id).to.equal(school.items.capital.id);
		const session = await ok(http("GET", `/api/revision-sessions/${next.id}`, { token: student.token }));
		expect(session.queue.every((q: any) => q.kind === "due")).to.equal(true);
		// yesterday's session ended before the 10-minute steps: all five are due today (a fast first answer, the
		// Everest question's, is not Easy, so it did not skip its steps to a long first interval)
		expect(session.queue.map((q: any) => q.itemId)).to.have.members(itemIds(school, "capital", "sea", "earth", "everest", "rome"));
		await answerAll(student, next);
	});

	/** Answers every item of a session right as it is served, then ends it. */
	async function answerAll(student: { token: string }, started: any) {
		let served = started.item;
		while (served) {
			clock.advance(10, "s");
			const res = await ok(
				http("POST", `/api/revision-sessions/${started.id}/answers`, {
					token: student.token,
					body: { clientId: unique("c"), itemId: served.id, answer: RIGHT[nameOf.get(served.id)!], responseTimeMs: 9000 },
				}),
			);
			served = res.next;
		}
		return ok(http("POST", `/api/revision-sessions/${started.id}/end`, { token: student.token }));
	}

	it("step 3 refusals: not assigned (403), step locked or not open (409), path inactive (409), practice not allowed (403), another school (404)", async () => {
		const outsider = school.students[3];
		const viaClass = school.students[2];
		const expectError = async (res: Promise<{ status: number; body: any }>, status: number, type?: string) => {
			const r = await res;
			expect(r.status, JSON.stringify(r.body)).to.equal(status);
			if (type) expect(r.body.error.type).to.equal(type);
		};
		const sessionsBefore = (await ok(http("GET", "/api/revision-sessions", { token: school.admin.token }))).total;
		await expectError(start(outsider.token, { pathId, stepId: steps.revise }), 403, "NOT_ASSIGNED");
		await expectError(start(viaClass.token, { pathId, stepId: steps.quiz }), 409, "STEP_LOCKED");
		await expectError(start(viaClass.token, { pathId, stepId: steps.later }), 409, "STEP_NOT_AVAILABLE");
		await expectError(start(viaClass.token, { pathId, stepId: steps.revise, mode: "practice" }), 403, "FORBIDDEN");
		await expectError(start(viaClass.token, { pathId, stepId: "0123456789abcdef01234567" }), 404);
		await expectError(start(viaClass.token, { pathId, stepId: "nope" }), 422);
		await expectError(start(school.teacher.token, { pathId, stepId: steps.revise }), 403, "FORBIDDEN_ROLE");
		const draft = await createPath(school.teacher, { studentIds: [viaClass.id], steps: [{ title: "d", itemIds: itemIds(school, "sea") }] });
		await expectError(start(viaClass.token, { pathId: draft.id, stepId: draft.path.steps[0].id }), 409, "PATH_INACTIVE");
		const theirs = await createPath(other.teacher, { studentIds: [other.students[0].id], activate: true, steps: [{ title: "t", itemIds: itemIds(other, "sea") }] });
		await expectError(start(viaClass.token, { pathId: theirs.id, stepId: theirs.path.steps[0].id }), 404);
		expect((await ok(http("GET", "/api/revision-sessions", { token: school.admin.token }))).total, "a refused start stored a session").to.equal(sessionsBefore);
	});

	it("practice mode, once the teacher allows it, reviews ahead of time without changing the memory model", async () => {
		const student = school.students[0];
		// every item was answered just now: nothing is due
		const refused = await start(student.token, { pathId, stepId: steps.revise, mode: "practice" });
		expect(refused.status).to.equal(403);
		await ok(http("PATCH", `/api/learning-paths/${pathId}`, { token: school.teacher.token, body: { settings: { practiceAllowed: true } } }));
		const before = await states(student.id);
		const practice = await ok(start(student.token, { pathId, stepId: steps.revise, mode: "practice" }), 201);
		expect(practice.mode).to.equal("practice");
		const res = await ok(
			http("POST", `/api/revision-sessions/${practice.id}/answers`, {
				token: student.token,
				body: { clientId: unique("p"), itemId: practice.item.id, answer: RIGHT[nameOf.get(practice.item.id)!], responseTimeMs: 5000 },
			}),
		);
		expect(res.counted).to.equal(false);
		expect(await states(student.id)).to.deep.equal(before);
		await ok(http("POST", `/api/revision-sessions/${practice.id}/end`, { token: student.token }));
	});

	it("an idle session is abandoned by the periodic job after the timeout, with the same effects as an end", async () => {
		const student = school.students[2];
		const started = await ok(start(student.token, { pathId, stepId: steps.revise }), 201);
		await ok(
			http("POST", `/api/revision-sessions/${started.id}/answers`, {
				token: student.token,
				body: { clientId: "only", itemId: started.item.id, answer: RIGHT[nameOf.get(started.item.id)!], responseTimeMs: 4000 },
			}),
		);
		const { broker } = await bootPlatform();
		clock.advance(10, "m");
		await broker.call("revisions.expireIdle", {}, { meta: systemMeta() });
		expect((await ok(http("GET", `/api/revision-sessions/${started.id}`, { token: student.token }))).status).to.equal("active");
		clock.advance(25, "m");
		const result: any = await broker.call("revisions.expireIdle", {}, { meta: systemMeta() });
		expect(result.abandoned).to.be.at.least(1);
		const session = await ok(http("GET", `/api/revision-sessions/${started.id}`, { token: student.token }));
		expect(session.status).to.equal("abandoned");
		expect(session.summary).to.include({ answered: 1, timeSpentMs: 0 });
		const message = await probe.waitFor(m => m.sessionId === started.id);
		expect(message.status).to.equal("abandoned");
		await waitForNotification(school.teacher, n => n.data?.sessionId === started.id && n.data?.status === "abandoned");
		const late = await http("POST", `/api/revision-sessions/${started.id}/answers`, {
			token: student.token,
			body: { clientId: "late", itemId: started.item.id, answer: {}, responseTimeMs: 1 },
		});
		expect(late.status).to.equal(409);
	});

	it("tenancy: another school's session id is 404 for every session route", async () => {
		const theirs = await createPath(other.teacher, { studentIds: [other.students[0].id], activate: true, steps: [{ title: "t", itemIds: itemIds(other, "sea") }] });
		const session = await ok(start(other.students[0].token, { pathId: theirs.id, stepId: theirs.path.steps[0].id }), 201);
		const mine = school.students[0].token;
		expect((await http("GET", `/api/revision-sessions/${session.id}`, { token: mine })).status).to.equal(404);
		expect((await http("GET", `/api/revision-sessions/${session.id}`, { token: school.admin.token })).status).to.equal(404);
		expect((await http("GET", `/api/revision-sessions/${session.id}/next`, { token: mine })).status).to.equal(404);
		expect((await http("POST", `/api/revision-sessions/${session.id}/end`, { token: mine })).status).to.equal(404);
		const answer = await http("POST", `/api/revision-sessions/${session.id}/answers`, {
			token: mine,
			body: { clientId: "x", itemId: session.item.id, answer: { choiceId: "baltic" }, responseTimeMs: 1 },
		});
		expect(answer.status).to.equal(404);
		expect((await ok(http("GET", `/api/revision-sessions/${session.id}`, { token: other.students[0].token }))).answers).to.deep.equal([]);
	});
});
