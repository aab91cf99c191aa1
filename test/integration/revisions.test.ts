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
	type ItemName,
	type LearningSchool,
} from "../support/learning-sessions.js";
import { bootPlatform, http, unique } from "../support/platform.js";

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
});
