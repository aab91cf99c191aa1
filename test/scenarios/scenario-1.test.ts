/**
 * The seed's "Scénario 1 — Création d'un parcours par un professeur", end to end through HTTP:
 * 1 the teacher fills in the form and posts it to POST /api/learning-paths/create; 2 the learning service
 * orchestrates; 3 business rules (the teacher's rights, the students exist, the content is valid, the
 * school's plan allows it); 4 the path and its steps are persisted; 5 the answer is {id, status, students};
 * 6 asynchronously, the students are notified in-app and the AI block's durable message is sent.
 */
import { expect } from "chai";
import { createPlatformAdmin, invite, signupSchool } from "../support/accounts.js";
import { validatedItem } from "../support/learning-content.js";
import {
	createPath,
	durableProbe,
	itemIds,
	learningSchool,
	notificationsOf,
	ok,
	SUBJECT,
	waitForNotification,
	type LearningSchool,
} from "../support/learning-sessions.js";
import { bootPlatform, http, unique } from "../support/platform.js";

describe("scenario 1: a teacher creates a learning path", function () {
	let school: LearningSchool;
	let other: LearningSchool;
	let probe: Awaited<ReturnType<typeof durableProbe>>;

	before(async function () {
		this.timeout(60_000);
		await bootPlatform();
		probe = await durableProbe("learning.path.created");
		school = await learningSchool();
		other = await learningSchool();
	});
	after(async () => probe?.stop());

	/** How many paths the school has, read by its admin: what a refused request must leave as it was. */
	async function pathCount(admin = school.admin): Promise<number> {
		return (await ok(http("GET", "/api/learning-paths?pageSize=1", { token: admin.token }))).total;
	}

	it("steps 1–6: creates, persists, answers {id, status, students}, notifies the students and tells the AI block", async () => {
		const [s0, s1, viaClass, outsider] = school.students;
		const name = unique("Europe ");
		// step 1: the form (name, objectives, students, initial steps) posted to the seed's route
		const res = await http("POST", "/api/learning-paths/create", {
			token: school.teacher.token,
			body: {
				name,
				objectives: ["Name the capitals of Europe", "Recognise its seas"],
				subject: SUBJECT,
				studentIds: [s0.id, s1.id],
				classIds: [school.classId],
				steps: [
					{ title: "Capitals", itemIds: itemIds(school, "capital", "rome") },
					{ title: "Seas", itemIds: itemIds(school, "sea"), prerequisites: [0], completion: { type: "mastery", threshold: 0.8 } },
				],
				activate: true,
			},
		});
		// step 5: the answer
		expect(res.status, JSON.stringify(res.body)).to.equal(201);
		expect(res.body).to.have.keys("id", "status", "students");
		expect(res.body.status).to.equal("active");
		expect(res.body.students.map((s: any) => s.id).sort()).to.deep.equal([s0.id, s1.id, viaClass.id].sort());
		const id = res.body.id;

		// step 4: the path and its steps were written together, in order, with their rules
		const path = await ok(http("GET", `/api/learning-paths/${id}`, { token: school.teacher.token }));
		expect(path).to.include({ name, subject: SUBJECT, status: "active", ownerId: school.teacher.id });
		expect(path.objectives).to.deep.equal(["Name the capitals of Europe", "Recognise its seas"]);
		expect(path.steps.map((s: any) => s.title)).to.deep.equal(["Capitals", "Seas"]);
		expect(path.steps[0].itemIds).to.deep.equal(itemIds(school, "capital", "rome"));
		expect(path.steps[1].prerequisites).to.deep.equal([path.steps[0].id]);
		expect(path.steps[1].completion).to.deep.equal({ type: "mastery", threshold: 0.8 });
		expect(path.classIds).to.deep.equal([school.classId]);

		// step 6: in-app notifications to each assigned student (directly or through the class), not to others
		for (const student of [s0, s1, viaClass]) {
			const n = await waitForNotification(student, n => n.data?.pathId === id);
			expect(n.type).to.equal("learning.path.assigned");
			expect(n.title).to.contain(name);
		}
		expect((await notificationsOf(outsider)).filter(n => n.data?.pathId === id)).to.deep.equal([]);
		// step 6: the durable message the AI block will consume to prepare the path's context
		const message = await probe.waitFor(m => m.pathId === id);
		expect(message).to.include({ schoolId: school.school.id, ownerId: school.teacher.id, subject: SUBJECT, status: "active" });
		expect(message.id).to.be.a("string");
		expect(message.itemIds.sort()).to.deep.equal(itemIds(school, "capital", "rome", "sea").sort());
		expect(message.studentIds.sort()).to.deep.equal([s0.id, s1.id, viaClass.id].sort());

		// the students see it: directly assigned, and through the class; the outsider does not
		for (const student of [s0, viaClass]) {
			const list = await ok(http("GET", "/api/learning-paths", { token: student.token }));
			expect(list.rows.map((p: any) => p.id)).to.include(id);
			const seen = await ok(http("GET", `/api/learning-paths/${id}`, { token: student.token }));
			expect(seen.steps[0]).to.not.have.property("itemIds");
			expect(seen.steps[0].itemCount).to.equal(2);
		}
		expect((await ok(http("GET", "/api/learning-paths", { token: outsider.token }))).rows.map((p: any) => p.id)).not.to.include(id);
		expect((await http("GET", `/api/learning-paths/${id}`, { token: outsider.token })).status).to.equal(404);
	});

	it("a path is a draft unless activation is asked for; a draft notifies nobody yet", async () => {
		const created = await createPath(school.teacher, { studentIds: [school.students[0].id], steps: [{ title: "Drafted", itemIds: [school.draftItemId] }] });
		expect(created.status).to.equal("draft");
		const message = await probe.waitFor(m => m.pathId === created.id);
		expect(message.status).to.equal("draft");
		await new Promise(r => setTimeout(r, 100));
		expect((await notificationsOf(school.students[0])).filter(n => n.data?.pathId === created.id)).to.deep.equal([]);
		// a student does not see a draft
		expect((await http("GET", `/api/learning-paths/${created.id}`, { token: school.students[0].token })).status).to.equal(404);
	});

	describe("step 3: each business rule refuses with nothing stored", () => {
		async function refused(token: string, body: Record<string, unknown>, status: number, type?: string) {
			const before = await pathCount();
			const name = unique("refused ");
			const res = await http("POST", "/api/learning-paths/create", { token, body: { name, subject: SUBJECT, ...body } });
			expect(res.status, JSON.stringify(res.body)).to.equal(status);
			if (type) expect(res.body.error.type).to.equal(type);
			expect(await pathCount(), "a path was stored").to.equal(before);
			await new Promise(r => setTimeout(r, 50));
			expect(probe.messages.filter(m => m.name === name), "a durable message was sent").to.deep.equal([]);
		}

		it("403 when the teacher does not teach a class, or is not a teacher", async () => {
			const colleague = await invite(school.admin, "teacher");
			await refused(colleague.token, { classIds: [school.classId] }, 403, "FORBIDDEN");
			await refused(school.students[0].token, {}, 403, "FORBIDDEN_ROLE");
			await refused("", {}, 401);
		});

		it("another school's class is not the teacher's (403) and is unknown to the admin (422)", async () => {
			await refused(school.teacher.token, { classIds: [other.classId] }, 403);
			await refused(school.admin.token, { classIds: [other.classId] }, 422, "VALIDATION_ERROR");
		});

		it("422 for an unknown student, a student of another school, or a teacher given as a student", async () => {
			await refused(school.teacher.token, { studentIds: ["0123456789abcdef01234567"] }, 422, "VALIDATION_ERROR");
			await refused(school.teacher.token, { studentIds: [school.students[0].id, other.students[0].id] }, 422, "VALIDATION_ERROR");
			await refused(school.teacher.token, { studentIds: [school.teacher.id] }, 422, "VALIDATION_ERROR");
		});

		it("422 for an item of another school or an unknown one; only validated items in an active path", async () => {
			await refused(school.teacher.token, { steps: [{ title: "x", itemIds: itemIds(other, "capital") }] }, 422, "VALIDATION_ERROR");
			await refused(school.teacher.token, { steps: [{ title: "x", itemIds: ["0123456789abcdef01234567"] }] }, 422, "VALIDATION_ERROR");
			await refused(school.teacher.token, { activate: true, steps: [{ title: "x", itemIds: [school.draftItemId] }] }, 422, "CONTENT_NOT_VALIDATED");
		});

		it("422 for malformed input: no name, a prerequisite cycle, an inverted window", async () => {
			await refused(school.teacher.token, { name: "" }, 422);
			await refused(school.teacher.token, { steps: [{ title: "a", prerequisites: [1] }, { title: "b", prerequisites: [0] }] }, 422);
			await refused(school.teacher.token, { steps: [{ title: "a", availableFrom: "2030-01-02", availableUntil: "2030-01-01" }] }, 422);
			await refused(school.teacher.token, { studentIds: "everyone" }, 422);
		});

		it("the plan's limit on active paths: 409 ACTIVE_PATH_LIMIT_REACHED once it is reached; drafts still allowed", async function () {
			this.timeout(60_000);
			const small = await signupSchool();
			const root = await createPlatformAdmin();
			await ok(http("PATCH", `/api/schools/${small.school.id}/subscription`, { token: root.token, body: { plan: "trial" } }));
			const limits = await (await bootPlatform()).broker.call("subscriptions.limits", { schoolId: small.school.id }, { meta: { user: { id: "system", schoolId: null, roles: ["system"] } } as any });
			const max = (limits as any).maxActivePaths as number;
			expect(max).to.be.within(1, 20);
			const teacher = await invite(small.admin, "teacher");
			const item = await validatedItem(teacher, { kind: "flashcard", title: "t", subject: SUBJECT, front: "f", back: "b" });
			for (let i = 0; i < max; i++) await createPath(teacher, { activate: true, steps: [{ title: "s", itemIds: [item.id] }] });
			const before = await pathCount(small.admin);
			const res = await http("POST", "/api/learning-paths/create", { token: teacher.token, body: { name: "one too many", subject: SUBJECT, activate: true } });
			expect(res.status, JSON.stringify(res.body)).to.equal(409);
			expect(res.body.error.type).to.equal("ACTIVE_PATH_LIMIT_REACHED");
			expect(await pathCount(small.admin)).to.equal(before);
			// a draft takes no slot, but activating it is refused the same way
			const draft = await createPath(teacher, { steps: [{ title: "s", itemIds: [item.id] }] });
			const activate = await http("POST", `/api/learning-paths/${draft.id}/activate`, { token: teacher.token });
			expect(activate.status).to.equal(409);
			expect((await ok(http("GET", `/api/learning-paths/${draft.id}`, { token: teacher.token }))).status).to.equal("draft");
		});
	});

	it("tenancy: another school's path id is 404 to this school's teacher and admin", async () => {
		const theirs = await createPath(other.teacher, { studentIds: [other.students[0].id] });
		for (const token of [school.teacher.token, school.admin.token, school.students[0].token]) {
			expect((await http("GET", `/api/learning-paths/${theirs.id}`, { token })).status).to.equal(404);
		}
		expect((await http("PATCH", `/api/learning-paths/${theirs.id}`, { token: school.admin.token, body: { name: "mine" } })).status).to.equal(404);
		expect((await ok(http("GET", `/api/learning-paths/${theirs.id}`, { token: other.teacher.token }))).name).to.equal(theirs.path.name);
	});
});
