import { expect } from "chai";
import { createUsernameStudent, invite, signupSchool, type Account, type SchoolFixture } from "../support/accounts.js";
import { bootPlatform, http, systemMeta, unique } from "../support/platform.js";

const post = (by: Account, path: string, body: unknown) => http("POST", path, { token: by.token, body });
const classCount = async (admin: Account) => (await http("GET", "/api/classes", { token: admin.token })).body.total as number;

describe("classes", () => {
	let s: SchoolFixture;
	let t1: Account;
	let t2: Account;
	let s1: Account;
	let s2: Account;
	let other: SchoolFixture;
	let outsider: Account;

	before(async function () {
		this.timeout(60_000);
		s = await signupSchool();
		[t1, t2, s1, s2] = await Promise.all([invite(s.admin, "teacher"), invite(s.admin, "teacher"), invite(s.admin, "student"), invite(s.admin, "student")]);
		other = await signupSchool();
		outsider = await invite(other.admin, "student");
	});

	it("lets a school admin create a class with teachers and students", async () => {
		const res = await post(s.admin, "/api/classes", { name: unique("6B"), subject: "Maths", year: "2025-2026", teacherIds: [t1.id], studentIds: [s1.id] });
		expect(res.status, JSON.stringify(res.body)).to.equal(201);
		expect(res.body).to.include({ schoolId: s.school.id, subject: "Maths", year: "2025-2026" });
		expect(res.body.teacherIds).to.deep.equal([t1.id]);
		expect(res.body.studentIds).to.deep.equal([s1.id]);
	});

	it("assigns a teacher to the class they create", async () => {
		const res = await post(t2, "/api/classes", { name: unique("Club") });
		expect(res.status).to.equal(201);
		expect(res.body.teacherIds).to.deep.equal([t2.id]);
	});

	it("refuses students (403), anonymous callers (401) and bad input (422)", async () => {
		const before = await classCount(s.admin);
		expect((await post(s1, "/api/classes", { name: unique("x") })).status).to.equal(403);
		expect((await http("POST", "/api/classes", { body: { name: "x" } })).status).to.equal(401);
		expect((await post(s.admin, "/api/classes", { name: "" })).status).to.equal(422);
		expect((await post(s.admin, "/api/classes", { name: "x", teacherIds: ["nope"] })).status).to.equal(422);
		expect(await classCount(s.admin)).to.equal(before);
	});

	it("checks members: right role, same school (422), storing nothing", async () => {
		const before = await classCount(s.admin);
		const wrongRole = await post(s.admin, "/api/classes", { name: unique("x"), teacherIds: [s1.id] });
		expect(wrongRole.status).to.equal(422);
		expect(wrongRole.body.error.data[0]).to.include({ field: "teacherIds" });
		const foreign = await post(s.admin, "/api/classes", { name: unique("x"), studentIds: [outsider.id] });
		expect(foreign.status).to.equal(422);
		const unknown = await post(s.admin, "/api/classes", { name: unique("x"), studentIds: ["65a000000000000000000001"] });
		expect(unknown.status).to.equal(422);
		expect(await classCount(s.admin)).to.equal(before);
	});

	it("refuses a second class with the same name and year (409), not in another year", async () => {
		const name = unique("7C");
		expect((await post(s.admin, "/api/classes", { name, year: "2025" })).status).to.equal(201);
		const dup = await post(s.admin, "/api/classes", { name, year: "2025" });
		expect(dup.status).to.equal(409);
		expect((await post(s.admin, "/api/classes", { name, year: "2026" })).status).to.equal(201);
		// The same name in another school is that school's business.
		expect((await post(other.admin, "/api/classes", { name, year: "2025" })).status).to.equal(201);
	});

	describe("with a class taught by t1 and attended by s1", () => {
		let cls: any;
		beforeEach(async () => {
			const res = await post(s.admin, "/api/classes", { name: unique("8D"), teacherIds: [t1.id], studentIds: [s1.id] });
			expect(res.status).to.equal(201);
			cls = res.body;
		});

		it("lists to teachers and students only their own classes, to admins all", async () => {
			const ids = async (who: Account) => (await http("GET", "/api/classes?pageSize=100", { token: who.token })).body.rows.map((c: any) => c.id);
			expect(await ids(s.admin)).to.include(cls.id);
			expect(await ids(t1)).to.include(cls.id);
			expect(await ids(s1)).to.include(cls.id);
			expect(await ids(t2)).to.not.include(cls.id);
			expect(await ids(s2)).to.not.include(cls.id);
			for (const c of (await http("GET", "/api/classes?pageSize=100", { token: t2.token })).body.rows) expect(c.teacherIds).to.include(t2.id);
		});

		it("searches by name", async () => {
			const res = await http("GET", `/api/classes?q=${encodeURIComponent(cls.name.toUpperCase())}`, { token: s.admin.token });
			expect(res.body.rows.map((c: any) => c.id)).to.deep.equal([cls.id]);
			expect((await http("GET", "/api/classes?q=(((", { token: s.admin.token })).status).to.equal(200);
		});

		it("shows a class to its members (200), not to others (403) nor other schools (404)", async () => {
			expect((await http("GET", `/api/classes/${cls.id}`, { token: s1.token })).status).to.equal(200);
			expect((await http("GET", `/api/classes/${cls.id}`, { token: t1.token })).status).to.equal(200);
			expect((await http("GET", `/api/classes/${cls.id}`, { token: s2.token })).status).to.equal(403);
			expect((await http("GET", `/api/classes/${cls.id}`, { token: other.admin.token })).status).to.equal(404);
			expect((await http("GET", "/api/classes/65a000000000000000000001", { token: s.admin.token })).status).to.equal(404);
		});

		it("lets its teacher rename it, not another teacher (403, unchanged)", async () => {
			const refused = await http("PATCH", `/api/classes/${cls.id}`, { token: t2.token, body: { name: "hijacked" } });
			expect(refused.status).to.equal(403);
			expect(refused.body.error.type).to.equal("FORBIDDEN");
			expect((await http("PATCH", `/api/classes/${cls.id}`, { token: s1.token, body: { name: "x" } })).status).to.equal(403);
			const renamed = await http("PATCH", `/api/classes/${cls.id}`, { token: t1.token, body: { name: `${cls.name}-b`, level: "5e" } });
			expect(renamed.status).to.equal(200);
			expect(renamed.body).to.include({ name: `${cls.name}-b`, level: "5e" });
			const cleared = await http("PATCH", `/api/classes/${cls.id}`, { token: s.admin.token, body: { level: "" } });
			expect(cleared.body.level).to.equal(null);
			expect((await http("GET", `/api/classes/${cls.id}`, { token: s.admin.token })).body.name).to.equal(`${cls.name}-b`);
		});

		it("lets its teacher enroll (where the school lets teachers enrol) and unenroll students, not another teacher", async () => {
			const setting = await http("PATCH", "/api/school", { token: s.admin.token, body: { settings: { classes: { enrolment: "class_teachers" } } } });
			expect(setting.status, JSON.stringify(setting.body)).to.equal(200);
			const refused = await post(t2, `/api/classes/${cls.id}/students`, { studentIds: [s2.id] });
			expect(refused.status).to.equal(403);
			const enrolled = await post(t1, `/api/classes/${cls.id}/students`, { studentIds: [s2.id, s1.id] });
			expect(enrolled.status).to.equal(200);
			expect(enrolled.body.studentIds).to.have.members([s1.id, s2.id]);
			expect((await post(t1, `/api/classes/${cls.id}/students`, { studentIds: [t2.id] })).status).to.equal(422);
			expect((await post(t1, `/api/classes/${cls.id}/students`, { studentIds: [outsider.id] })).status).to.equal(422);
			expect((await http("DELETE", `/api/classes/${cls.id}/students/${s1.id}`, { token: t2.token })).status).to.equal(403);
			const left = await http("DELETE", `/api/classes/${cls.id}/students/${s1.id}`, { token: t1.token });
			expect(left.status).to.equal(200);
			expect(left.body.studentIds).to.deep.equal([s2.id]);
		});

		it("lets only admins assign and remove teachers", async () => {
			expect((await post(t1, `/api/classes/${cls.id}/teachers`, { teacherIds: [t2.id] })).status).to.equal(403);
			expect((await post(s.admin, `/api/classes/${cls.id}/teachers`, { teacherIds: [s2.id] })).status).to.equal(422);
			const assigned = await post(s.admin, `/api/classes/${cls.id}/teachers`, { teacherIds: [t2.id] });
			expect(assigned.status).to.equal(200);
			expect(assigned.body.teacherIds).to.have.members([t1.id, t2.id]);
			const removed = await http("DELETE", `/api/classes/${cls.id}/teachers/${t1.id}`, { token: s.admin.token });
			expect(removed.body.teacherIds).to.deep.equal([t2.id]);
			// t1 no longer teaches it.
			expect((await http("PATCH", `/api/classes/${cls.id}`, { token: t1.token, body: { level: "x" } })).status).to.equal(403);
		});

		it("answers which classes a user teaches and attends (internal)", async () => {
			const { broker } = await bootPlatform();
			const t1Classes: any = await broker.call("classes.membership", { userId: t1.id, schoolId: s.school.id }, { meta: systemMeta() });
			expect(t1Classes.teaches).to.include(cls.id);
			expect(t1Classes.attends).to.deep.equal([]);
			const s1Classes: any = await broker.call("classes.membership", { userId: s1.id, schoolId: s.school.id }, { meta: systemMeta() });
			expect(s1Classes.attends).to.include(cls.id);
			// A user of another school asking about the same id learns nothing from this school.
			const fromOther: any = await broker.call("classes.membership", { userId: s1.id }, { meta: { user: { id: outsider.id, schoolId: other.school.id, roles: ["student"] } }, caller: "reports" } as any);
			expect(fromOther).to.deep.equal({ teaches: [], attends: [] });
		});

		it("lets only admins remove it", async () => {
			expect((await http("DELETE", `/api/classes/${cls.id}`, { token: t1.token })).status).to.equal(403);
			expect((await http("DELETE", `/api/classes/${cls.id}`, { token: other.admin.token })).status).to.equal(404);
			expect((await http("DELETE", `/api/classes/${cls.id}`, { token: s.admin.token })).status).to.equal(200);
			expect((await http("GET", `/api/classes/${cls.id}`, { token: s.admin.token })).status).to.equal(404);
		});
	});

	describe("CSV import", () => {
		const csv = (...lines: string[]) => ["name,subject,level,year,teachers,students", ...lines].join("\n");
		const importCsv = (text: string, mode: string, by = s.admin) => post(by, "/api/classes/import", { csv: text, mode });

		it("creates the valid lines and reports the others by line (valid_only)", async () => {
			const a = unique("IA");
			const b = unique("IB");
			const res = await importCsv(
				csv(`${a},Maths,6e,2025,${t1.id},${s1.id};${s2.id}`, `,Maths,,,,`, `${b},,,2025,${s1.id},`, `${unique("IC")},,,,,nobody@nowhere.test`),
				"valid_only",
			);
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body.created.map((c: any) => c.name)).to.deep.equal([a]);
			expect(res.body.created[0].studentIds).to.have.members([s1.id, s2.id]);
			expect(res.body.updated).to.deep.equal([]);
			expect(res.body.errors.map((e: any) => [e.line, e.field])).to.deep.equal([
				[3, "name"],
				[4, "teachers"],
				[5, "students"],
			]);
			const names = (await http("GET", "/api/classes?pageSize=100", { token: s.admin.token })).body.rows.map((c: any) => c.name);
			expect(names).to.include(a).and.not.include(b);
		});

		it("adds members to a class already there (same name and year)", async () => {
			const name = unique("IU");
			expect((await importCsv(csv(`${name},,,2025,${t1.id},`), "valid_only")).body.created).to.have.length(1);
			const res = await importCsv(csv(`${name},History,,2025,${t2.id},${s1.id}`), "all_or_nothing");
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body.created).to.deep.equal([]);
			expect(res.body.updated[0]).to.include({ name, subject: "History" });
			expect(res.body.updated[0].teacherIds).to.have.members([t1.id, t2.id]);
		});

		it("resolves teachers by email and students by username or email, only within the school", async () => {
			const pupil = await createUsernameStudent(s.admin, s.school.code);
			const name = unique("IL");
			const res = await importCsv(
				csv(
					`${name},,,2025,${t1.email!.toUpperCase()},${pupil.username!.toUpperCase()};${s2.email}`,
					`${unique("IM")},,,2025,,${t1.email}`,
					`${unique("IN")},,,2025,${outsider.email},`,
					`${unique("IO")},,,2025,,${unique("ghost")}`,
				),
				"valid_only",
			);
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body.created.map((c: any) => c.name)).to.deep.equal([name]);
			expect(res.body.created[0].teacherIds).to.deep.equal([t1.id]);
			expect(res.body.created[0].studentIds).to.have.members([pupil.id, s2.id]);
			expect(res.body.errors.map((e: any) => [e.line, e.field, e.message.replace(/"[^"]*"/, "X")])).to.deep.equal([
				[3, "students", "X is not a student"],
				[4, "teachers", "no user X in this school"],
				[5, "students", "no user X in this school"],
			]);
		});

		it("writes nothing when a line is wrong (all_or_nothing, 422)", async () => {
			const before = await classCount(s.admin);
			const good = unique("IG");
			const res = await importCsv(csv(`${good},,,,,`, `${unique("IH")},,,,${outsider.id},`), "all_or_nothing");
			expect(res.status).to.equal(422);
			expect(res.body.error.type).to.equal("IMPORT_INVALID");
			expect(res.body.error.data).to.deep.equal([{ line: 3, field: "teachers", message: `no user "${outsider.id}" in this school` }]);
			expect(await classCount(s.admin)).to.equal(before);
		});

		it("refuses a malformed file or header (422) and non-admins (403)", async () => {
			const before = await classCount(s.admin);
			const badHeader = await importCsv("title,year\nx,2025", "valid_only");
			expect(badHeader.status).to.equal(422);
			expect(badHeader.body.error.type).to.equal("IMPORT_INVALID");
			expect((await importCsv('name\n"unclosed', "valid_only")).status).to.equal(422);
			expect((await importCsv(csv("x,,,,,"), "valid_only", t1)).status).to.equal(403);
			expect(await classCount(s.admin)).to.equal(before);
		});
	});
});
