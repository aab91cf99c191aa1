import { expect } from "chai";
import { callInSchool } from "../support/learning-content.js";
import {
	createPath,
	expectNoAnswerKeys,
	ITEM_BODIES,
	itemIds,
	learningSchool,
	manualLearningClock,
	ok,
	RIGHT,
	WRONG,
	type ItemName,
	type LearningSchool,
} from "../support/learning-sessions.js";
import { bootPlatform, http, unique } from "../support/platform.js";
import { invite } from "../support/accounts.js";
import { ReviewLog } from "../../models/review-log.model.js";
import { RevisionSession } from "../../models/revision-session.model.js";

describe("revision sessions", function () {
	this.timeout(60_000);
	let school: LearningSchool;
	let clock: ReturnType<typeof manualLearningClock>;
	let pathId: string;
	let stepId: string;
	let quizId: string;
	const nameOf = new Map<string, ItemName>();

	before(async () => {
		await bootPlatform();
		clock = manualLearningClock(Date.parse("2031-05-06T08:00:00Z"));
		school = await learningSchool();
		for (const name of Object.keys(ITEM_BODIES) as ItemName[]) nameOf.set(school.items[name].id, name);
		const created = await createPath(school.teacher, {
			studentIds: school.students.slice(0, 2).map(s => s.id),
			activate: true,
			steps: [
				{ title: "All kinds", itemIds: itemIds(school, "capital", "sea", "earth", "everest", "rome") },
				{ title: "Quiz", kind: "evaluation", itemIds: itemIds(school, "capital", "sea", "earth", "everest") },
			],
		});
		pathId = created.id;
		stepId = created.path.steps[0].id;
		quizId = created.path.steps[1].id;
	});
	after(() => clock?.restore());

	it("answer keys never reach a student before they answer, on any student-facing route", async () => {
		const student = school.students[0];
		const answered = new Set<string>();
		const check = (body: unknown, where: string) => expectNoAnswerKeys(body, school, answered, where);
		check(await ok(http("GET", "/api/learning-paths", { token: student.token })), "paths.list");
		check(await ok(http("GET", `/api/learning-paths/${pathId}`, { token: student.token })), "paths.get");
		const started = await ok(http("POST", "/api/revision-sessions", { token: student.token, body: { pathId, stepId } }), 201);
		check(started, "revisions.start");
		expect(started.queue).to.equal(5);
		let served = started.item;
		while (served) {
			check(await ok(http("GET", `/api/revision-sessions/${started.id}/next`, { token: student.token })), "revisions.next");
			check(await ok(http("GET", `/api/revision-sessions/${started.id}`, { token: student.token })), "revisions.get");
			check(await ok(http("GET", "/api/revision-sessions", { token: student.token })), "revisions.list");
			const body = { clientId: unique("c"), itemId: served.id, answer: RIGHT[nameOf.get(served.id)!], responseTimeMs: 8000 };
			const res = await ok(http("POST", `/api/revision-sessions/${started.id}/answers`, { token: student.token, body }));
			answered.add(served.id);
			// the answer's own feedback carries its key; the next item must not
			check(res, "revisions.answer");
			expect(res.feedback.id).to.equal(served.id);
			served = res.next;
		}
		check(await ok(http("POST", `/api/revision-sessions/${started.id}/end`, { token: student.token })), "revisions.end");
		check(await ok(http("GET", "/api/progress/me", { token: student.token })), "progress.me");

		// the evaluation's questions, none answered in it yet: no key before submission
		const quizAnswered = new Set<string>();
		const attempt = await ok(http("POST", "/api/evaluations", { token: student.token, body: { pathId, stepId: quizId } }), 201);
		expectNoAnswerKeys(attempt, school, quizAnswered, "evaluations.start");
		expect(attempt.items).to.have.length(4);
		expectNoAnswerKeys(await ok(http("GET", `/api/evaluations/${attempt.id}`, { token: student.token })), school, quizAnswered, "evaluations.get");
		expectNoAnswerKeys(await ok(http("GET", "/api/evaluations", { token: student.token })), school, quizAnswered, "evaluations.list");
	});

	it("learning steps run within the session: an item answered Again comes back once its relearning step has elapsed", async () => {
		const student = await invite(school.admin, "student");
		const names: ItemName[] = ["capital", "sea", "earth"];
		const created = await createPath(school.teacher, { studentIds: [student.id], activate: true, steps: [{ title: "Steps", itemIds: itemIds(school, ...names) }] });
		const step = created.path.steps[0].id;
		const start = () => ok(http("POST", "/api/revision-sessions", { token: student.token, body: { pathId: created.id, stepId: step } }), 201);
		const next = (id: string) => ok(http("GET", `/api/revision-sessions/${id}/next`, { token: student.token }));
		const answer = (id: string, itemId: string, right: boolean) =>
			ok(http("POST", `/api/revision-sessions/${id}/answers`, { token: student.token, body: { clientId: unique("c"), itemId, answer: (right ? RIGHT : WRONG)[nameOf.get(itemId)!], responseTimeMs: 6000 } }));
		const states = () => callInSchool<any[]>(school.school.id, "memory.states", { studentId: student.id, itemIds: itemIds(school, ...names) });

		// Day 0: three new items answered right, each put in its 10-minute learning step: they come back in the session
		clock.advance(10, "d");
		const first = await start();
		expect(first.queue).to.equal(3);
		let served = first.item;
		for (let k = 0; k < 3; k++) {
			const res = await answer(first.id, served.id, true);
			expect(res.rating, "a first answer is never Easy").to.be.oneOf([2, 3]);
			served = res.next;
		}
		expect(served).to.equal(null);
		const waiting = await next(first.id);
		expect(waiting).to.deep.include({ done: false, waiting: true, remaining: 3 });
		expect(new Date(waiting.nextAt).getTime()).to.equal(clock.now().getTime() + 10 * 60_000);
		clock.advance(10, "m");
		for (let k = 0; k < 3; k++) {
			const again = await next(first.id);
			expect(again.done, JSON.stringify(again)).to.equal(false);
			await answer(first.id, again.item.id, true);
		}
		expect(await next(first.id)).to.deep.include({ done: true });
		await ok(http("POST", `/api/revision-sessions/${first.id}/end`, { token: student.token }));
		expect((await states()).map(st => st.state)).to.deep.equal([2, 2, 2]); // all graduated to Review

		// When they fall due: the capital is forgotten (Again) and comes back after its 10-minute relearning step
		const due = Math.max(...(await states()).map(st => new Date(st.due).getTime()));
		clock.set(due + 60_000);
		const second = await start();
		expect(second.queue).to.equal(3);
		const capital = school.items.capital.id;
		let item = second.item;
		let lapsed: any;
		for (let k = 0; k < 3; k++) {
			const res = await answer(second.id, item.id, item.id !== capital);
			if (item.id === capital) lapsed = res;
			item = res.next;
		}
		expect(lapsed).to.include({ correct: false, rating: 1, counted: true });
		// answered ahead of its step: refused; the session waits for it
		const early = await http("POST", `/api/revision-sessions/${second.id}/answers`, { token: student.token, body: { clientId: unique("c"), itemId: capital, answer: RIGHT.capital } });
		expect(early.status).to.equal(409);
		const wait = await next(second.id);
		expect(wait).to.deep.include({ done: false, waiting: true, remaining: 1 });
		const [capitalState] = (await states()).filter(st => st.itemId === capital);
		expect(capitalState.state).to.equal(3); // Relearning
		expect(new Date(wait.nextAt).getTime()).to.equal(new Date(capitalState.due).getTime());
		clock.set(new Date(wait.nextAt).getTime());
		const back = await next(second.id);
		expect(back.item.id).to.equal(capital);
		const relearnt = await answer(second.id, capital, true);
		expect(relearnt.remaining).to.equal(0);
		expect(relearnt.next).to.equal(null);
		expect(relearnt.nextAt).to.equal(null);
		// two reviews of the capital in this session, each under its own key
		const logs = await ReviewLog.find({ schoolId: school.school.id, studentId: student.id, itemId: capital, reviewKey: { $regex: `^revision:${second.id}:` } }).sort({ reviewedAt: 1 }).lean();
		expect(logs.map((l: any) => l.reviewKey)).to.deep.equal([`revision:${second.id}:${capital}`, `revision:${second.id}:${capital}:2`]);
		expect(logs.map((l: any) => l.rating)).to.deep.equal([1, 3]);
		const stored = await ok(http("GET", `/api/revision-sessions/${second.id}`, { token: student.token }));
		expect(stored.queue.map((q: any) => q.kind)).to.deep.equal(["due", "due", "due", "step"]);
		expect(stored.answers.map((a: any) => a.itemId).filter((id: string) => id === capital)).to.have.length(2);
		await ok(http("POST", `/api/revision-sessions/${second.id}/end`, { token: student.token }));

		// Ended before the step: the item is due at its step time, for the next session
		const [again] = (await states()).filter(st => st.itemId === capital);
		clock.set(new Date(again.due).getTime() + 60_000);
		const third = await start();
		expect(third.item.id).to.equal(capital);
		await answer(third.id, capital, false);
		await ok(http("POST", `/api/revision-sessions/${third.id}/end`, { token: student.token }));
		const [pending] = (await states()).filter(st => st.itemId === capital);
		expect(new Date(pending.due).getTime()).to.equal(clock.now().getTime() + 10 * 60_000);
		const tooSoon = await http("POST", "/api/revision-sessions", { token: student.token, body: { pathId: created.id, stepId: step } });
		expect(tooSoon.status).to.equal(409);
		expect(new Date(tooSoon.body.error.data.nextDueAt).getTime()).to.equal(new Date(pending.due).getTime());
		clock.advance(10, "m");
		const fourth = await start();
		expect(fourth.item.id).to.equal(capital);
	});

	it("answer keys: the check itself fails on a full item of each kind (so the test above can fail)", () => {
		for (const name of Object.keys(ITEM_BODIES) as ItemName[]) {
			expect(() => expectNoAnswerKeys({ item: school.items[name] }, school), name).to.throw();
		}
		expect(() => expectNoAnswerKeys({ choices: [{ id: "a", text: "A", correct: true }] }, school)).to.throw();
	});

	it("refuses malformed answers, unknown items and another student's session, storing nothing", async () => {
		const [student, classmate] = school.students;
		clock.advance(2, "d");
		const started = await ok(http("POST", "/api/revision-sessions", { token: classmate.token, body: { pathId, stepId } }), 201);
		const item = started.item;
		const before = await callInSchool(school.school.id, "memory.states", { studentId: classmate.id, itemIds: itemIds(school, "capital", "sea", "earth", "everest", "rome") });
		const post = (body: Record<string, unknown>, token = classmate.token) => http("POST", `/api/revision-sessions/${started.id}/answers`, { token, body });
		const bad: [Record<string, unknown>, number][] = [
			[{ clientId: "a", itemId: item.id, answer: { nonsense: 1 } }, 422],
			[{ clientId: "b", itemId: item.id }, 422],
			[{ clientId: "", itemId: item.id, answer: {} }, 422],
			[{ clientId: "c", itemId: "0123456789abcdef01234567", answer: {} }, 404],
			[{ clientId: "d", itemId: school.draftItemId, answer: { text: "x" } }, 422],
			[{ clientId: "e", itemId: item.id, answer: RIGHT[nameOf.get(item.id)!], responseTimeMs: -1 }, 422],
		];
		for (const [body, status] of bad) expect((await post(body)).status, JSON.stringify(body)).to.equal(status);
		expect((await post({ clientId: "f", itemId: item.id, answer: RIGHT[nameOf.get(item.id)!] }, student.token)).status).to.equal(404);
		const session = await ok(http("GET", `/api/revision-sessions/${started.id}`, { token: classmate.token }));
		expect(session.answers).to.deep.equal([]);
		expect(await callInSchool(school.school.id, "memory.states", { studentId: classmate.id, itemIds: itemIds(school, "capital", "sea", "earth", "everest", "rome") })).to.deep.equal(before);

		// a second client id for an answered item is a second answer: 409, and the first stands
		await ok(post({ clientId: "g", itemId: item.id, answer: RIGHT[nameOf.get(item.id)!], responseTimeMs: 5000 }));
		const second = await post({ clientId: "h", itemId: item.id, answer: RIGHT[nameOf.get(item.id)!] });
		expect(second.status).to.equal(409);
		expect(second.body.error.type).to.equal("ALREADY_ANSWERED");
		expect((await ok(http("GET", `/api/revision-sessions/${started.id}`, { token: classmate.token }))).answers).to.have.length(1);

		// the teacher reads the session; another student and the teacher cannot answer it
		expect((await ok(http("GET", `/api/revision-sessions/${started.id}`, { token: school.teacher.token }))).studentId).to.equal(classmate.id);
		expect((await http("GET", `/api/revision-sessions/${started.id}`, { token: student.token })).status).to.equal(404);
		expect((await post({ clientId: "i", itemId: item.id, answer: {} }, school.teacher.token)).status).to.equal(403);
		const teacherList = await ok(http("GET", `/api/revision-sessions?pathId=${pathId}`, { token: school.teacher.token }));
		expect(teacherList.rows.map((r: any) => r.id)).to.include(started.id);
	});

	describe("concurrent requests on one session", () => {
		let racePathId: string;
		let raceStepId: string;
		before(async () => {
			const created = await createPath(school.teacher, {
				studentIds: [school.students[2].id, school.students[3].id],
				activate: true,
				steps: [{ title: "Race", itemIds: itemIds(school, "capital", "sea", "earth", "everest", "rome") }],
			});
			racePathId = created.id;
			raceStepId = created.path.steps[0].id;
		});
		const answer = (token: string, sessionId: string, itemId: string, right: boolean, clientId = unique("c")) =>
			http("POST", `/api/revision-sessions/${sessionId}/answers`, {
				token,
				body: { clientId, itemId, answer: (right ? RIGHT : WRONG)[nameOf.get(itemId)!], responseTimeMs: 8000 },
			});

		it("keeps exactly one of racing answers to one item, and memory records that one; retries and other items all go through", async () => {
			const student = school.students[3];
			const started = await ok(http("POST", "/api/revision-sessions", { token: student.token, body: { pathId: racePathId, stepId: raceStepId } }), 201);
			const first = started.item.id;
			const racing = await Promise.all(Array.from({ length: 6 }, (_, k) => answer(student.token, started.id, first, k % 2 === 0)));
			const won = racing.filter(r => r.status === 200);
			expect(won, JSON.stringify(racing.map(r => r.body))).to.have.length(1);
			for (const r of racing.filter(r => r.status !== 200)) expect([r.status, r.body.error.type]).to.deep.equal([409, "ALREADY_ANSWERED"]);
			const log = (await ReviewLog.findOne({ schoolId: school.school.id, reviewKey: `revision:${started.id}:${first}` }).lean()) as any;
			expect(log.rating, "memory holds the kept answer").to.equal(won[0].body.rating);

			// The other items at once, each sent twice under one client id (a retry racing its first request).
			const queued = ((await RevisionSession.findById(started.id).lean()) as any).queue.map((q: any) => q.itemId) as string[];
			const rest = queued.filter(id => id !== first);
			expect(rest.length, "the items to race on").to.be.at.least(3);
			const sent = rest.flatMap(itemId => {
				const clientId = unique("c");
				return [answer(student.token, started.id, itemId, true, clientId), answer(student.token, started.id, itemId, true, clientId)];
			});
			const answered = await Promise.all(sent);
			for (const r of answered) expect(r.status, JSON.stringify(r.body)).to.equal(200);
			expect(answered.filter(r => r.body.duplicate === false)).to.have.length(rest.length);
			const stored = (await RevisionSession.findById(started.id).lean()) as any;
			expect(stored.answers.map((a: any) => a.itemId).sort()).to.deep.equal([first, ...rest].sort());
			expect(await ReviewLog.countDocuments({ schoolId: school.school.id, reviewKey: { $regex: `^revision:${started.id}:` } })).to.equal(rest.length + 1);

			const ends = await Promise.all([1, 2, 3].map(() => http("POST", `/api/revision-sessions/${started.id}/end`, { token: student.token })));
			for (const e of ends) expect(e.status, JSON.stringify(e.body)).to.equal(200);
			expect(new Set(ends.map(e => JSON.stringify(e.body))).size, "every end answers the same summary").to.equal(1);
			expect(ends[0].body.answered).to.equal(rest.length + 1);
		});

		it("an end racing answers sums exactly the answers kept; later ones are refused (409 SESSION_CLOSED)", async () => {
			const student = school.students[2];
			const started = await ok(http("POST", "/api/revision-sessions", { token: student.token, body: { pathId: racePathId, stepId: raceStepId } }), 201);
			const items = ((await RevisionSession.findById(started.id).lean()) as any).queue.map((q: any) => q.itemId) as string[];
			expect(items.length).to.be.at.least(3);
			const [ended, ...answers] = await Promise.all([
				http("POST", `/api/revision-sessions/${started.id}/end`, { token: student.token }),
				...items.map(itemId => answer(student.token, started.id, itemId, true)),
			]);
			expect(ended.status, JSON.stringify(ended.body)).to.equal(200);
			const kept = answers.filter(r => r.status === 200);
			for (const r of answers.filter(r => r.status !== 200)) expect([r.status, r.body.error.type]).to.deep.equal([409, "SESSION_CLOSED"]);
			const stored = (await RevisionSession.findById(started.id).lean()) as any;
			expect(stored.status).to.equal("completed");
			expect(stored.answers).to.have.length(kept.length);
			expect(stored.summary.answered).to.equal(kept.length);
			expect(ended.body.answered).to.equal(kept.length);
		});
	});
});
