/**
 * `web tenancy`: the web client's own endpoints. GET /api/contacts names the people a member may write to,
 * from their own classes only: nothing of another school (whatever ids or school the query names), and a
 * student learns only their teachers, never their classmates. GET /api/client-config is public and the
 * same for everyone. Neither takes input that changes anything; stray query parameters are dropped.
 */
import { expect } from "chai";
import { createPlatformAdmin, invite, type Account } from "../support/accounts.js";
import { schoolWithClass, type ChatSchool } from "../support/chat.js";
import { bootPlatform, http, unique } from "../support/platform.js";

const names = (rows: any[]) => rows.map(r => `${r.firstName} ${r.lastName}`);

async function rename(account: Account, prefix: string) {
	const body = { firstName: unique(`${prefix}F`), lastName: unique(`${prefix}L`) };
	const res = await http("PATCH", "/api/me", { token: account.token, body });
	expect(res.status, JSON.stringify(res.body)).to.equal(200);
	return `${body.firstName} ${body.lastName}`;
}

describe("web tenancy", function () {
	this.timeout(60_000);
	let a: ChatSchool;
	let b: ChatSchool;
	let aOtherTeacher: Account;
	let aClassmate: Account;
	const label: Record<string, string> = {};

	before(async () => {
		await bootPlatform();
		[a, b] = await Promise.all([schoolWithClass(), schoolWithClass()]);
		aOtherTeacher = await invite(a.admin, "teacher");
		aClassmate = await invite(a.admin, "student");
		const enrolled = await http("POST", `/api/classes/${a.classId}/students`, { token: a.admin.token, body: { studentIds: [aClassmate.id] } });
		expect(enrolled.status, JSON.stringify(enrolled.body)).to.equal(200);
		for (const [key, account] of Object.entries({ aTeacher: a.teacher, aStudent: a.student, aOtherTeacher, aClassmate, bTeacher: b.teacher, bStudent: b.student })) {
			label[key] = await rename(account, key);
		}
	});

	it("a student sees the teachers of their classes, with the class, and nobody else", async () => {
		const res = await http("GET", "/api/contacts", { token: a.student.token });
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
		expect(names(res.body.rows)).to.deep.equal([label.aTeacher]);
		expect(res.body.rows[0]).to.include({ id: a.teacher.id, role: "teacher" });
		expect(res.body.rows[0].classes).to.have.length(1);
		expect(JSON.stringify(res.body)).to.not.include(aClassmate.id).and.not.include(aOtherTeacher.id);
	});

	it("a teacher sees the students of the classes they teach; a school admin everyone in the school's classes", async () => {
		const teacher = await http("GET", "/api/contacts", { token: a.teacher.token });
		expect(names(teacher.body.rows).sort()).to.deep.equal([label.aStudent, label.aClassmate].sort());
		const other = await http("GET", "/api/contacts", { token: aOtherTeacher.token });
		expect(other.body.rows, "a teacher without classes has no contacts here").to.deep.equal([]);
		const admin = await http("GET", "/api/contacts", { token: a.admin.token });
		expect(names(admin.body.rows).sort()).to.deep.equal([label.aTeacher, label.aStudent, label.aClassmate].sort());
	});

	it("never lists anyone of another school, whatever the query names", async () => {
		for (const account of [a.admin, a.teacher, a.student]) {
			const plain = await http("GET", "/api/contacts", { token: account.token });
			for (const query of [`schoolId=${b.school.id}`, `userId=${b.student.id}`, `classId=${b.classId}`, `ids=${b.teacher.id}`]) {
				const res = await http("GET", `/api/contacts?${query}`, { token: account.token });
				expect(res.status, `${query}: ${JSON.stringify(res.body)}`).to.equal(200);
				expect(res.body, query).to.deep.equal(plain.body);
				const text = JSON.stringify(res.body);
				for (const leak of [b.teacher.id, b.student.id, label.bTeacher, label.bStudent]) expect(text, query).to.not.include(leak);
			}
			// A Mongo operator in the query is refused by the gateway before any service sees it.
			const operator = await http("GET", "/api/contacts?schoolId[$ne]=x", { token: account.token });
			expect(operator.status).to.equal(400);
			expect(operator.body.error.type).to.be.a("string");
		}
	});

	it("is for school members: anonymous 401, platform staff 403", async () => {
		const anonymous = await http("GET", "/api/contacts");
		expect(anonymous.status).to.equal(401);
		expect(anonymous.body.error.type).to.be.a("string");
		const root = await createPlatformAdmin();
		const staff = await http("GET", "/api/contacts", { token: root.token });
		expect(staff.status).to.equal(403);
	});

	it("client-config is public, the same for every caller and school, and names no school", async () => {
		const anonymous = await http("GET", "/api/client-config");
		expect(anonymous.status).to.equal(200);
		expect(anonymous.body).to.have.keys("realtime");
		expect(anonymous.body.realtime.port).to.be.a("number").greaterThan(0);
		for (const token of [a.student.token, b.teacher.token]) {
			const res = await http("GET", `/api/client-config?schoolId=${b.school.id}&page=2`, { token });
			expect(res.status).to.equal(200);
			expect(res.body).to.deep.equal(anonymous.body);
		}
	});
});
