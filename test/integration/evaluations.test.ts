import { expect } from "chai";
import { callInSchool } from "../support/learning-content.js";
import { createPath, itemIds, learningSchool, manualLearningClock, ok, RIGHT, WRONG, type LearningSchool } from "../support/learning-sessions.js";
import { bootPlatform, http } from "../support/platform.js";
import { PathProgress } from "../../models/path-progress.model.js";
import { ReviewLog } from "../../models/review-log.model.js";

describe("evaluations", function () {
	this.timeout(60_000);
	let school: LearningSchool;
	let other: LearningSchool;
	let clock: ReturnType<typeof manualLearningClock>;
	let pathId: string;
	let quizId: string;
	let reviseId: string;
	const quizItems = () => itemIds(school, "capital", "sea", "earth", "everest");

	before(async () => {
		await bootPlatform();
		clock = manualLearningClock(Date.parse("2031-09-15T07:00:00Z"));
		school = await learningSchool();
		other = await learningSchool();
		const created = await createPath(school.teacher, {
			studentIds: school.students.slice(0, 3).map(s => s.id),
			activate: true,
			steps: [
				{ title: "Quiz", kind: "evaluation", itemIds: quizItems(), evaluation: { timeLimitSeconds: 300, maxAttempts: 2, passScore: 0.7 } },
				{ title: "After the quiz", itemIds: itemIds(school, "rome"), prerequisites: [0] },
			],
		});
		pathId = created.id;
		[quizId, reviseId] = created.path.steps.map((s: any) => s.id);
	});
	after(() => clock?.restore());

	const begin = (token: string) => http("POST", "/api/evaluations", { token, body: { pathId, stepId: quizId } });
	const submit = (id: string, token: string, answers: unknown[]) => http("POST", `/api/evaluations/${id}/submit`, { token, body: { answers } });

	it("starts a timed attempt, grades it on submission with feedback, feeds memory, and a pass completes the step", async () => {
		const student = school.students[0];
		const attempt = await ok(begin(student.token), 201);
		expect(attempt).to.include({ status: "in_progress", attemptNo: 1, maxAttempts: 2, attemptsLeft: 1 });
		expect(Date.parse(attempt.deadline) - Date.parse(attempt.startedAt)).to.equal(300_000);
		// starting again while it runs resumes it
		expect((await ok(begin(student.token), 201)).id).to.equal(attempt.id);
		// the next step waits for the quiz
		expect((await http("POST", "/api/revision-sessions", { token: student.token, body: { pathId, stepId: reviseId } })).body.error.type).to.equal("STEP_LOCKED");

		clock.advance(2, "m");
		const answers = [
			{ itemId: school.items.capital.id, answer: RIGHT.capital, responseTimeMs: 15_000 },
			{ itemId: school.items.sea.id, answer: RIGHT.sea, responseTimeMs: 15_000 },
			{ itemId: school.items.earth.id, answer: RIGHT.earth, responseTimeMs: 8_000 },
			{ itemId: school.items.everest.id, answer: WRONG.everest, responseTimeMs: 30_000 },
		];
		const result = await ok(submit(attempt.id, student.token, answers));
		expect(result).to.include({ status: "submitted", score: 0.75, passed: true });
		expect(result.results.map((r: any) => r.correct)).to.deep.equal([true, true, true, false]);
		expect(result.results[3].feedback.expected).to.deep.equal({ value: 8849, tolerance: 10, unit: "m" });
		// a retry returns the same result and records nothing twice
		expect(await ok(submit(attempt.id, student.token, answers))).to.deep.equal(result);
		const states = await callInSchool(school.school.id, "memory.states", { studentId: student.id, itemIds: quizItems() });
		expect(states).to.have.length(4);
		expect(states.every((s: any) => s.reps === 1)).to.equal(true);
		const log = await callInSchool(school.school.id, "memory.history", { studentId: student.id, subject: "Geography" });
		expect(log).to.have.length(4);

		const progress = await ok(http("GET", "/api/progress/me", { token: student.token }));
		expect(progress.paths.find((p: any) => p.pathId === pathId).steps[0]).to.include({ completed: true, lastScore: 0.75 });
		await ok(http("POST", "/api/revision-sessions", { token: student.token, body: { pathId, stepId: reviseId } }), 201);
		expect((await ok(http("GET", `/api/evaluations/${attempt.id}`, { token: school.teacher.token }))).score).to.equal(0.75);
	});

	it("allows the set number of attempts (409 NO_ATTEMPTS_LEFT after), and refuses a late submission (409 DEADLINE_PASSED)", async () => {
		const student = school.students[1];
		const first = await ok(begin(student.token), 201);
		const failed = await ok(submit(first.id, student.token, [{ itemId: school.items.sea.id, answer: WRONG.sea }]));
		expect(failed).to.include({ score: 0, passed: false });
		expect(failed.results.filter((r: any) => !r.answered)).to.have.length(3);
		const second = await ok(begin(student.token), 201);
		expect(second).to.include({ attemptNo: 2, attemptsLeft: 0 });
		clock.advance(301 + 31, "s");
		const late = await submit(second.id, student.token, [{ itemId: school.items.sea.id, answer: RIGHT.sea }]);
		expect(late.status).to.equal(409);
		expect(late.body.error.type).to.equal("DEADLINE_PASSED");
		expect((await ok(http("GET", `/api/evaluations/${second.id}`, { token: student.token }))).status).to.equal("expired");
		const third = await begin(student.token);
		expect(third.status).to.equal(409);
		expect(third.body.error.type).to.equal("NO_ATTEMPTS_LEFT");
	});

	it("refuses malformed submissions with nothing stored, and keeps attempts within the school and the student", async () => {
		const student = school.students[2];
		const attempt = await ok(begin(student.token), 201);
		const bad: unknown[][] = [
			[{ itemId: school.items.capital.id, answer: { text: 42 } }],
			[{ itemId: school.items.rome.id, answer: { rating: 3 } }],
			[{ itemId: school.items.sea.id, answer: RIGHT.sea }, { itemId: school.items.sea.id, answer: RIGHT.sea }],
			[{ itemId: "nope", answer: {} }],
		];
		for (const answers of bad) expect((await submit(attempt.id, student.token, answers)).status, JSON.stringify(answers)).to.equal(422);
		expect((await ok(http("GET", `/api/evaluations/${attempt.id}`, { token: student.token }))).status).to.equal("in_progress");
		expect(await callInSchool(school.school.id, "memory.states", { studentId: student.id, itemIds: quizItems() })).to.deep.equal([]);

		expect((await submit(attempt.id, school.students[0].token, [])).status).to.equal(404);
		expect((await http("GET", `/api/evaluations/${attempt.id}`, { token: other.admin.token })).status).to.equal(404);
		expect((await submit(attempt.id, other.students[0].token, [])).status).to.equal(404);
		const outsider = await http("POST", "/api/evaluations", { token: school.students[3].token, body: { pathId, stepId: quizId } });
		expect(outsider.body.error.type).to.equal("NOT_ASSIGNED");
		const notQuiz = await http("POST", "/api/evaluations", { token: student.token, body: { pathId, stepId: reviseId } });
		expect(notQuiz.status).to.equal(409);
	});

	it("racing starts share one attempt; racing submits store one of them, whose answers memory and progress count once", async () => {
		const student = school.students[3];
		const raced = await createPath(school.teacher, {
			studentIds: [student.id],
			activate: true,
			steps: [{ title: "Raced quiz", kind: "evaluation", itemIds: quizItems(), evaluation: { timeLimitSeconds: 300, maxAttempts: 2, passScore: 0.7 } }],
		});
		const stepId = raced.path.steps[0].id;
		const starts = await Promise.all(Array.from({ length: 5 }, () => http("POST", "/api/evaluations", { token: student.token, body: { pathId: raced.id, stepId } })));
		for (const r of starts) expect(r.status, JSON.stringify(r.body)).to.equal(201);
		expect(new Set(starts.map(r => r.body.id)).size, "one attempt").to.equal(1);
		expect(starts[0].body.attemptNo).to.equal(1);

		const id = starts[0].body.id;
		const all = (right: boolean) =>
			(["capital", "sea", "earth", "everest"] as const).map(n => ({ itemId: school.items[n].id, answer: (right ? RIGHT : WRONG)[n], responseTimeMs: 10_000 }));
		const submits = await Promise.all([1, 2, 3, 4].map(k => submit(id, student.token, all(k % 2 === 0))));
		for (const r of submits) expect(r.status, JSON.stringify(r.body)).to.equal(200);
		expect(new Set(submits.map(r => JSON.stringify(r.body))).size, "every submit answers the stored one").to.equal(1);
		const stored = submits[0].body;
		const logs = (await ReviewLog.find({ schoolId: school.school.id, reviewKey: { $regex: `^evaluation:${id}:` } }).lean()) as any[];
		expect(logs).to.have.length(4);
		const ratingOf = new Map(stored.results.map((r: any) => [r.itemId, r.rating]));
		for (const log of logs) expect(log.rating, "memory holds the stored answers").to.equal(ratingOf.get(String(log.itemId)));
		const progress = (await PathProgress.findOne({ schoolId: school.school.id, studentId: student.id, pathId: raced.id }).lean()) as any;
		expect(progress.recordedIds).to.deep.equal([id]);
	});
});
