import { expect } from "chai";
import { invite } from "../support/accounts.js";
import { createPath, itemIds, learningSchool, manualLearningClock, ok, RIGHT, type LearningSchool } from "../support/learning-sessions.js";
import { bootPlatform, http, unique } from "../support/platform.js";

describe("progress", function () {
	this.timeout(60_000);
	let school: LearningSchool;
	let other: LearningSchool;
	let clock: ReturnType<typeof manualLearningClock>;
	let pathId: string;
	let stepId: string;

	before(async () => {
		await bootPlatform();
		// 21:30 UTC is 23:30 in Paris (summer): a day boundary in the school's zone comes before UTC's
		clock = manualLearningClock(Date.parse("2031-06-10T21:30:00Z"));
		school = await learningSchool();
		other = await learningSchool();
		const created = await createPath(school.teacher, {
			studentIds: [school.students[0].id],
			classIds: [school.classId],
			activate: true,
			steps: [{ title: "Sea", itemIds: itemIds(school, "sea"), completion: { type: "mastery", threshold: 0.85 } }],
		});
		pathId = created.id;
		stepId = created.path.steps[0].id;
	});
	after(() => clock?.restore());

	/** One session answering the sea question right, at the clock's time. */
	async function revise(student: { token: string }) {
		const started = await ok(http("POST", "/api/revision-sessions", { token: student.token, body: { pathId, stepId, mode: "normal" } }), 201);
		await ok(http("POST", `/api/revision-sessions/${started.id}/answers`, { token: student.token, body: { clientId: unique("c"), itemId: started.item.id, answer: RIGHT.sea, responseTimeMs: 9000 } }));
		return ok(http("POST", `/api/revision-sessions/${started.id}/end`, { token: student.token }));
	}

	it("per student: mastery (mean recall now), step completion by mastery, next due date, streak in the school's time zone", async () => {
		const student = school.students[0];
		const fresh = await ok(http("GET", "/api/progress/me", { token: student.token }));
		expect(fresh.streak).to.equal(0);
		const empty = fresh.paths.find((p: any) => p.pathId === pathId);
		expect(empty).to.include({ mastery: 0, completedSteps: 0, totalSteps: 1, nextDueAt: null, sessions: 0 });

		await revise(student); // 23:30 in Paris on the 10th
		const first = await ok(http("GET", "/api/progress/me", { token: student.token }));
		expect(first.today).to.equal("2031-06-10");
		expect(first.streak).to.equal(1);
		const onPath = first.paths.find((p: any) => p.pathId === pathId);
		expect(onPath.mastery).to.be.greaterThan(0.85);
		expect(onPath.steps[0]).to.include({ completed: true, sessions: 1 });
		expect(Date.parse(onPath.nextDueAt)).to.be.greaterThan(clock.now().getTime());

		// mastery decays with time, but a completed step stays completed
		clock.advance(60, "d");
		const decayed = (await ok(http("GET", "/api/progress/me", { token: student.token }))).paths.find((p: any) => p.pathId === pathId);
		expect(decayed.mastery).to.be.lessThan(onPath.mastery);
		expect(decayed.steps[0].completed).to.equal(true);
		expect(decayed.dueNow).to.equal(1);
	});

	it("streak: consecutive days with a review, counted in the school's time zone, broken by a day without", async () => {
		const student = school.students[1];
		clock.set(Date.parse("2031-08-20T21:30:00Z")); // 23:30 in Paris on the 20th
		const path = await createPath(school.teacher, { studentIds: [student.id], activate: true, steps: [{ title: "Earth", itemIds: itemIds(school, "earth") }] });
		// a wrong answer keeps the item due a minute later, so there is something to revise whenever we want
		const reviseWrong = async () => {
			const started = await ok(http("POST", "/api/revision-sessions", { token: student.token, body: { pathId: path.id, stepId: path.path.steps[0].id } }), 201);
			await ok(http("POST", `/api/revision-sessions/${started.id}/answers`, { token: student.token, body: { clientId: unique("c"), itemId: started.item.id, answer: { value: true } } }));
			await ok(http("POST", `/api/revision-sessions/${started.id}/end`, { token: student.token }));
		};
		const streak = async () => (await ok(http("GET", "/api/progress/me", { token: student.token }))).streak;
		await reviseWrong();
		expect(await streak()).to.equal(1);
		clock.advance(70, "m"); // 00:40 in Paris on the 21st, still the 20th in UTC
		expect(await streak(), "yesterday's review keeps the streak alive until the day ends").to.equal(1);
		await reviseWrong();
		expect(await streak()).to.equal(2);
		clock.advance(1, "d");
		await reviseWrong();
		expect(await streak()).to.equal(3);
		clock.advance(2, "d");
		expect(await streak()).to.equal(0);
	});

	it("per path, for its teacher: each student (directly and through the class); 403 for another teacher, 404 for another school", async () => {
		const res = await ok(http("GET", `/api/learning-paths/${pathId}/progress`, { token: school.teacher.token }));
		const ids = res.students.map((s: any) => s.student.id);
		expect(ids).to.have.members([school.students[0].id, school.students[2].id]);
		const active = res.students.find((s: any) => s.student.id === school.students[0].id);
		expect(active.sessions).to.equal(1);
		expect(active.mastery).to.be.greaterThan(0);
		expect(res.students.find((s: any) => s.student.id === school.students[2].id)).to.include({ sessions: 0, mastery: 0 });
		await ok(http("GET", `/api/learning-paths/${pathId}/progress`, { token: school.admin.token }));
		const colleague = await invite(school.admin, "teacher");
		expect((await http("GET", `/api/learning-paths/${pathId}/progress`, { token: colleague.token })).status).to.equal(403);
		expect((await http("GET", `/api/learning-paths/${pathId}/progress`, { token: other.teacher.token })).status).to.equal(404);
		expect((await http("GET", `/api/learning-paths/${pathId}/progress`, { token: school.students[0].token })).status).to.equal(403);
	});

	it("per class: each student on each path of the class; the teacher of the class or an admin only", async () => {
		await revise(school.students[2]).catch(() => undefined);
		const res = await ok(http("GET", `/api/classes/${school.classId}/progress`, { token: school.teacher.token }));
		expect(res.paths.map((p: any) => p.pathId)).to.deep.equal([pathId]);
		expect(res.students.map((s: any) => s.student.id)).to.deep.equal([school.students[2].id]);
		expect(res.students[0].paths[0]).to.include({ pathId, totalSteps: 1 });
		await ok(http("GET", `/api/classes/${school.classId}/progress`, { token: school.admin.token }));
		const colleague = await invite(school.admin, "teacher");
		expect((await http("GET", `/api/classes/${school.classId}/progress`, { token: colleague.token })).status).to.equal(403);
		expect((await http("GET", `/api/classes/${school.classId}/progress`, { token: other.admin.token })).status).to.equal(404);
		expect((await http("GET", `/api/classes/nope/progress`, { token: school.admin.token })).status).to.equal(422);
	});
});
