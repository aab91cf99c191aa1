import { expect } from "chai";
import { invite } from "../support/accounts.js";
import { callInSchool } from "../support/learning-content.js";
import { createPath, itemIds, learningSchool, ok, waitForNotification, type LearningSchool } from "../support/learning-sessions.js";
import { bootPlatform, http } from "../support/platform.js";

describe("learning paths", function () {
	this.timeout(60_000);
	let school: LearningSchool;
	let other: LearningSchool;

	before(async () => {
		await bootPlatform();
		school = await learningSchool();
		other = await learningSchool();
	});

	const get = (id: string, token = school.teacher.token) => ok(http("GET", `/api/learning-paths/${id}`, { token }));

	it("edits name, objectives and settings; only the owner or an admin (403 for another teacher, 404 for another school)", async () => {
		const { id } = await createPath(school.teacher, {});
		const edited = await ok(http("PATCH", `/api/learning-paths/${id}`, { token: school.teacher.token, body: { name: "Renamed", objectives: ["one"], settings: { practiceAllowed: true } } }));
		expect(edited).to.include({ name: "Renamed" });
		expect(edited.settings.practiceAllowed).to.equal(true);
		await ok(http("PATCH", `/api/learning-paths/${id}`, { token: school.admin.token, body: { name: "By admin" } }));
		const colleague = await invite(school.admin, "teacher");
		expect((await http("PATCH", `/api/learning-paths/${id}`, { token: colleague.token, body: { name: "Mine" } })).status).to.equal(403);
		expect((await http("PATCH", `/api/learning-paths/${id}`, { token: other.teacher.token, body: { name: "Mine" } })).status).to.equal(404);
		expect((await http("PATCH", `/api/learning-paths/${id}`, { token: school.teacher.token, body: { name: "x".repeat(300) } })).status).to.equal(422);
		expect((await get(id)).name).to.equal("By admin");
	});

	it("activates exactly as many paths as the plan allows when activations race (the per-school lease)", async () => {
		const fresh = await learningSchool();
		const { maxActivePaths } = await callInSchool(fresh.school.id, "subscriptions.limits", {});
		const drafts = await Promise.all(Array.from({ length: maxActivePaths + 3 }, () => createPath(fresh.teacher, { steps: [{ title: "s", itemIds: itemIds(fresh, "capital") }] })));
		const results = await Promise.all(drafts.map(d => http("POST", `/api/learning-paths/${d.id}/activate`, { token: fresh.teacher.token })));
		expect(results.filter(r => r.status === 200)).to.have.length(maxActivePaths);
		const refused = results.filter(r => r.status !== 200);
		expect(refused.map(r => r.body.error?.type)).to.deep.equal(Array(3).fill("ACTIVE_PATH_LIMIT_REACHED"));
		const active = await ok(http("GET", "/api/learning-paths?status=active&pageSize=100", { token: fresh.admin.token }));
		expect(active.total).to.equal(maxActivePaths);
	});

	it("replaces the steps keeping known ids, reorders them, and refuses bad steps with nothing changed", async () => {
		const { id, path } = await createPath(school.teacher, { steps: [{ title: "A", itemIds: itemIds(school, "capital") }, { title: "B", prerequisites: [0] }] });
		const [a, b] = path.steps;
		const replaced = await ok(
			http("PUT", `/api/learning-paths/${id}/steps`, {
				token: school.teacher.token,
				body: { steps: [{ id: a.id, title: "A2", itemIds: itemIds(school, "capital", "sea") }, { title: "C", prerequisites: [a.id], completion: { type: "mastery", threshold: 0.9 } }] },
			}),
		);
		expect(replaced.steps.map((s: any) => s.title)).to.deep.equal(["A2", "C"]);
		expect(replaced.steps[0].id).to.equal(a.id);
		expect(replaced.steps[1].id).not.to.equal(b.id);
		const c = replaced.steps[1];
		const reordered = await ok(http("POST", `/api/learning-paths/${id}/steps/reorder`, { token: school.teacher.token, body: { order: [c.id, a.id] } }));
		expect(reordered.steps.map((s: any) => s.id)).to.deep.equal([c.id, a.id]);

		const before = await get(id);
		const bad = [
			{ steps: [{ id: b.id, title: "removed step id" }] },
			{ steps: [{ title: "x", itemIds: itemIds(other, "sea") }] },
			{ steps: [{ title: "x", prerequisites: [0] }] },
			{ steps: "none" },
		];
		for (const body of bad) expect((await http("PUT", `/api/learning-paths/${id}/steps`, { token: school.teacher.token, body })).status, JSON.stringify(body)).to.equal(422);
		expect((await http("POST", `/api/learning-paths/${id}/steps/reorder`, { token: school.teacher.token, body: { order: [a.id] } })).status).to.equal(422);
		expect(await get(id)).to.deep.equal(before);
	});

	it("activates only when every item is validated (409 otherwise), then refuses draft items in its steps (422); archiving hides it from students", async () => {
		const student = school.students[0];
		const { id, path } = await createPath(school.teacher, { studentIds: [student.id], steps: [{ title: "A", itemIds: [school.draftItemId] }] });
		const refused = await http("POST", `/api/learning-paths/${id}/activate`, { token: school.teacher.token });
		expect(refused.status).to.equal(409);
		expect(refused.body.error.type).to.equal("CONTENT_NOT_VALIDATED");
		expect((await get(id)).status).to.equal("draft");
		await ok(http("PUT", `/api/learning-paths/${id}/steps`, { token: school.teacher.token, body: { steps: [{ id: path.steps[0].id, title: "A", itemIds: itemIds(school, "sea") }] } }));
		const active = await ok(http("POST", `/api/learning-paths/${id}/activate`, { token: school.teacher.token }));
		expect(active.status).to.equal("active");
		await waitForNotification(student, n => n.data?.pathId === id);
		const draftIn = await http("PUT", `/api/learning-paths/${id}/steps`, { token: school.teacher.token, body: { steps: [{ title: "B", itemIds: [school.draftItemId] }] } });
		expect(draftIn.status).to.equal(422);
		expect(draftIn.body.error.type).to.equal("CONTENT_NOT_VALIDATED");

		// items of an active path are "in use" (what content checks before an item leaves validated)
		const inUse = await callInSchool(school.school.id, "paths.itemInUse", { itemIds: [...itemIds(school, "sea", "earth"), school.draftItemId] });
		expect(inUse.inUse).to.deep.equal(itemIds(school, "sea"));
		expect((await callInSchool(other.school.id, "paths.itemInUse", { itemIds: itemIds(school, "sea") })).inUse).to.deep.equal([]);

		expect((await get(id, student.token)).status).to.equal("active");
		expect((await ok(http("POST", `/api/learning-paths/${id}/archive`, { token: school.teacher.token }))).status).to.equal("archived");
		expect((await http("GET", `/api/learning-paths/${id}`, { token: student.token })).status).to.equal(404);
		expect((await http("POST", `/api/learning-paths/${id}/activate`, { token: school.teacher.token })).status).to.equal(409);
		expect((await callInSchool(school.school.id, "paths.itemInUse", { itemIds: itemIds(school, "sea") })).inUse).to.deep.equal([]);
	});

	it("assigns and unassigns students and classes; refuses unknown students and classes the teacher does not teach", async () => {
		const [s0, s1, viaClass] = school.students;
		const { id } = await createPath(school.teacher, { activate: true, studentIds: [s0.id], steps: [{ title: "A", itemIds: itemIds(school, "sea") }] });
		const assigned = await ok(http("POST", `/api/learning-paths/${id}/students`, { token: school.teacher.token, body: { studentIds: [s1.id], classIds: [school.classId] } }));
		expect(assigned.studentIds).to.have.members([s0.id, s1.id]);
		expect(assigned.classIds).to.deep.equal([school.classId]);
		await waitForNotification(viaClass, n => n.data?.pathId === id);
		expect((await get(id, viaClass.token)).id).to.equal(id);

		expect((await http("POST", `/api/learning-paths/${id}/students`, { token: school.teacher.token, body: { studentIds: [other.students[0].id] } })).status).to.equal(422);
		expect((await http("POST", `/api/learning-paths/${id}/students`, { token: school.teacher.token, body: { classIds: [other.classId] } })).status).to.equal(403);
		expect((await http("POST", `/api/learning-paths/${id}/students`, { token: school.teacher.token, body: {} })).status).to.equal(422);

		await ok(http("DELETE", `/api/learning-paths/${id}/students/${s1.id}`, { token: school.teacher.token }));
		expect((await get(id)).studentIds).to.deep.equal([s0.id]);
		expect((await http("GET", `/api/learning-paths/${id}`, { token: s1.token })).status).to.equal(404);
		expect((await http("DELETE", `/api/learning-paths/${id}/students/${s1.id}`, { token: school.teacher.token })).status).to.equal(404);
	});

	it("lists: a teacher their own, an admin all, a student the active ones assigned to them", async () => {
		const mine = await createPath(school.teacher, { activate: true, studentIds: [school.students[1].id], steps: [{ title: "A", itemIds: itemIds(school, "earth") }] });
		const colleague = await invite(school.admin, "teacher");
		const theirs = await createPath(colleague, {});
		const ids = async (token: string, query = "") => (await ok(http("GET", `/api/learning-paths?pageSize=100${query}`, { token }))).rows.map((p: any) => p.id);
		expect(await ids(school.teacher.token)).to.include(mine.id).and.not.include(theirs.id);
		expect(await ids(school.admin.token)).to.include.members([mine.id, theirs.id]);
		expect(await ids(school.students[1].token)).to.include(mine.id).and.not.include(theirs.id);
		expect(await ids(school.admin.token, "&status=draft")).to.include(theirs.id).and.not.include(mine.id);
		expect(await ids(other.admin.token)).not.to.include(mine.id);
		expect((await http("GET", "/api/learning-paths?status=bogus", { token: school.admin.token })).status).to.equal(422);
	});
});
