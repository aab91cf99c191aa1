import { expect } from "chai";
import { createPlatformAdmin, createUsernameStudent, invite, login, PASSWORD, signupSchool, type Account, type SchoolFixture } from "../support/accounts.js";
import { bootPlatform, http, unique } from "../support/platform.js";

async function seatsUsed(admin: Account): Promise<number> {
	const res = await http("GET", "/api/subscription", { token: admin.token });
	expect(res.status, JSON.stringify(res.body)).to.equal(200);
	return res.body.seatsUsed;
}

async function limitSeats(schoolId: string, seatLimit: number): Promise<void> {
	const root = await createPlatformAdmin();
	const current = await http("GET", `/api/schools/${schoolId}`, { token: root.token });
	expect(current.status).to.equal(200);
	const res = await http("PATCH", `/api/schools/${schoolId}/subscription`, { token: root.token, body: { plan: "trial", seatLimit } });
	expect(res.status, JSON.stringify(res.body)).to.equal(200);
}

async function userCount(admin: Account, q?: string): Promise<number> {
	const res = await http("GET", `/api/users?pageSize=100${q ? `&q=${encodeURIComponent(q)}` : ""}`, { token: admin.token });
	expect(res.status).to.equal(200);
	return res.body.total;
}

const PRIVATE = ["passwordHash", "loginKey", "usernameKey"];

describe("users", () => {
	let fx: SchoolFixture;
	let teacher: Account;
	let student: Account;

	before(async () => {
		fx = await signupSchool();
		teacher = await invite(fx.admin, "teacher");
		student = await invite(fx.admin, "student");
	});

	describe("profiles (/me)", () => {
		it("shows the caller's own account without secrets", async () => {
			const res = await http("GET", "/api/me", { token: student.token });
			expect(res.status).to.equal(200);
			expect(res.body).to.include({ id: student.id, schoolId: fx.school.id, email: student.email, status: "active" });
			expect(res.body).to.not.have.any.keys(...PRIVATE);
			expect((await http("GET", "/api/me")).status).to.equal(401);
		});

		it("lets a student set their levels and preferences, merging preference keys", async () => {
			const first = await http("PATCH", "/api/me", {
				token: student.token,
				body: { firstName: "Zoe", studentProfile: { levels: [{ subject: "maths", level: "B1" }], preferences: { dailyGoalMinutes: 20 } } },
			});
			expect(first.status, JSON.stringify(first.body)).to.equal(200);
			const second = await http("PATCH", "/api/me", { token: student.token, body: { studentProfile: { preferences: { reminders: true } } } });
			expect(second.status).to.equal(200);
			expect(second.body.firstName).to.equal("Zoe");
			expect(second.body.studentProfile.levels).to.deep.equal([{ subject: "maths", level: "B1" }]);
			expect(second.body.studentProfile.preferences).to.deep.equal({ dailyGoalMinutes: 20, reminders: true });
		});

		it("refuses roles, status, school, accommodations or a teacher profile from a student, changing nothing", async () => {
			const before = (await http("GET", "/api/me", { token: student.token })).body;
			for (const body of [
				{ roles: ["school_admin"] },
				{ status: "active", firstName: "Eve" },
				{ schoolId: "65a000000000000000000001" },
				{ studentProfile: { accommodations: { extraTimePercent: 50 } } },
				{ teacherProfile: { subjects: ["maths"] } },
				{ studentProfile: { preferences: { dailyGoalMinutes: 9999 } } },
			]) {
				const res = await http("PATCH", "/api/me", { token: student.token, body });
				expect(res.status, JSON.stringify(body)).to.equal(422);
			}
			const after = (await http("GET", "/api/me", { token: student.token })).body;
			expect({ ...after, updatedAt: null }).to.deep.equal({ ...before, updatedAt: null });
		});

		it("lets a teacher set their subjects", async () => {
			const res = await http("PATCH", "/api/me", { token: teacher.token, body: { teacherProfile: { subjects: ["maths", "physics"] } } });
			expect(res.status).to.equal(200);
			expect(res.body.teacherProfile).to.deep.equal({ subjects: ["maths", "physics"] });
		});

		it("works for platform staff, who have no school", async () => {
			const root = await createPlatformAdmin();
			const res = await http("GET", "/api/me", { token: root.token });
			expect(res.status).to.equal(200);
			expect(res.body.schoolId).to.equal(null);
			expect(res.body.roles).to.deep.equal(["platform_admin"]);
			expect(res.body.emailVerified).to.equal(true);
		});
	});

	describe("listing", () => {
		it("shows a school admin everyone of the school, with search and role filters", async () => {
			const res = await http("GET", "/api/users?pageSize=100", { token: fx.admin.token });
			expect(res.status).to.equal(200);
			const ids = res.body.rows.map((u: any) => u.id);
			expect(ids).to.include.members([fx.admin.id, teacher.id, student.id]);
			for (const row of res.body.rows) expect(row).to.not.have.any.keys(...PRIVATE);
			const teachers = await http("GET", "/api/users?role=teacher", { token: fx.admin.token });
			expect(teachers.body.rows.map((u: any) => u.id)).to.deep.equal([teacher.id]);
			const search = await http("GET", `/api/users?q=${encodeURIComponent(student.email!.slice(0, 12).toUpperCase())}`, { token: fx.admin.token });
			expect(search.body.rows.map((u: any) => u.id)).to.deep.equal([student.id]);
		});

		it("shows a teacher students and teachers only, without admin-only fields", async () => {
			const res = await http("GET", "/api/users?pageSize=100", { token: teacher.token });
			expect(res.status).to.equal(200);
			const ids = res.body.rows.map((u: any) => u.id);
			expect(ids).to.include.members([teacher.id, student.id]);
			expect(ids).to.not.include(fx.admin.id);
			for (const row of res.body.rows) expect(row).to.not.have.any.keys("lastLoginAt", "emailVerified", ...PRIVATE);
			expect((await http("GET", `/api/users/${fx.admin.id}`, { token: teacher.token })).status).to.equal(404);
			expect((await http("GET", `/api/users/${student.id}`, { token: teacher.token })).status).to.equal(200);
		});

		it("refuses students and unknown or malformed ids", async () => {
			expect((await http("GET", "/api/users", { token: student.token })).status).to.equal(403);
			expect((await http("GET", "/api/users/65a000000000000000000001", { token: fx.admin.token })).status).to.equal(404);
			expect((await http("GET", "/api/users/nope", { token: fx.admin.token })).status).to.equal(422);
		});
	});

	describe("students without email", () => {
		it("are created by a teacher, take a seat and can log in with the school code", async () => {
			const seats = await seatsUsed(fx.admin);
			const pupil = await createUsernameStudent(teacher, fx.school.code);
			expect(pupil.roles).to.deep.equal(["student"]);
			expect(pupil.email).to.equal(undefined);
			expect(await seatsUsed(fx.admin)).to.equal(seats + 1);
		});

		it("refuses a username already taken in the school (any case), taking no seat", async () => {
			const username = unique("dup");
			const body = { username, password: PASSWORD, firstName: "A", lastName: "B" };
			expect((await http("POST", "/api/users/students", { token: fx.admin.token, body })).status).to.equal(201);
			const seats = await seatsUsed(fx.admin);
			const again = await http("POST", "/api/users/students", { token: fx.admin.token, body: { ...body, username: username.toUpperCase() } });
			expect(again.status).to.equal(409);
			expect(again.body.error.type).to.equal("USERNAME_TAKEN");
			expect(await seatsUsed(fx.admin)).to.equal(seats);
		});

		it("allows the same username in another school", async () => {
			const other = await signupSchool();
			const username = unique("twin");
			for (const admin of [fx.admin, other.admin]) {
				const res = await http("POST", "/api/users/students", { token: admin.token, body: { username, password: PASSWORD, firstName: "T", lastName: "W" } });
				expect(res.status).to.equal(201);
			}
		});

		it("refuses bad input and students creating students", async () => {
			expect((await http("POST", "/api/users/students", { token: fx.admin.token, body: { username: "a b", password: PASSWORD, firstName: "A", lastName: "B" } })).status).to.equal(422);
			expect((await http("POST", "/api/users/students", { token: fx.admin.token, body: { username: unique("p"), password: "short", firstName: "A", lastName: "B" } })).status).to.equal(422);
			expect((await http("POST", "/api/users/students", { token: student.token, body: { username: unique("p"), password: PASSWORD, firstName: "A", lastName: "B" } })).status).to.equal(403);
		});

		it("refuses with 409 SEAT_LIMIT_REACHED when the school has no seat left, creating nothing", async () => {
			const school = await signupSchool();
			await limitSeats(school.school.id, 0);
			const username = unique("noseat");
			const res = await http("POST", "/api/users/students", { token: school.admin.token, body: { username, password: PASSWORD, firstName: "N", lastName: "S" } });
			expect(res.status).to.equal(409);
			expect(res.body.error.type).to.equal("SEAT_LIMIT_REACHED");
			expect(await userCount(school.admin, username)).to.equal(0);
		});
	});

	describe("CSV import", () => {
		const header = "username,firstName,lastName,password,email";

		it("valid_only creates the good rows and reports the others line by line", async () => {
			const school = await signupSchool();
			const [a, b, c] = [unique("imp"), unique("imp"), unique("imp")];
			const csv = [header, `${a},Ann,One,${PASSWORD},`, `${b},Bob,Two,short,`, `"${c}","Cy, Jr","Three","${PASSWORD}",${c}@school.test`, `${a},Dup,Four,${PASSWORD},`].join("\r\n");
			const seats = await seatsUsed(school.admin);
			const res = await http("POST", "/api/users/students/import", { token: school.admin.token, body: { csv, mode: "valid_only" } });
			expect(res.status, JSON.stringify(res.body)).to.equal(201);
			expect(res.body.created.map((u: any) => u.username).sort()).to.deep.equal([a, c].sort());
			expect(res.body.created.find((u: any) => u.username === c)).to.include({ firstName: "Cy, Jr", email: `${c}@school.test` });
			expect(res.body.errors).to.deep.include({ line: 3, field: "password", message: "at least 10 characters" });
			expect(res.body.errors.map((e: any) => [e.line, e.field])).to.deep.equal([[3, "password"], [5, "username"]]);
			expect(await seatsUsed(school.admin)).to.equal(seats + 2);
			await login({ schoolCode: school.school.code, username: a, password: PASSWORD });
		});

		it("imports 500 students within the action's own timeout", async function () {
			this.timeout(180_000);
			const school = await signupSchool();
			await limitSeats(school.school.id, 600);
			const prefix = unique("bulk");
			const csv = `${header}\n${Array.from({ length: 500 }, (_, i) => `${prefix}${i},A,B,${PASSWORD},`).join("\n")}\n`;
			const { broker } = await bootPlatform();
			const admin = { id: school.admin.id, schoolId: school.school.id, roles: ["school_admin"] };
			const began = Date.now();
			// No timeout in the call: the action's own (longer than a request's) applies, as it does behind the gateway.
			const res: any = await broker.call("users.importStudents", { csv, mode: "all_or_nothing" }, { meta: { user: admin } });
			const ms = Date.now() - began;
			expect(res.created).to.have.length(500);
			expect(res.errors).to.deep.equal([]);
			expect(await seatsUsed(school.admin)).to.equal(500);
			expect(await userCount(school.admin, prefix)).to.equal(500);
			await login({ schoolCode: school.school.code, username: `${prefix}499`, password: PASSWORD });
			console.log(`      500 students imported in ${ms} ms`);
		});

		it("stores the other rows when a username was taken after the check, naming its line", async () => {
			const school = await signupSchool();
			const [a, b, c] = [unique("race"), unique("race"), unique("race")];
			await http("POST", "/api/users/students", { token: school.admin.token, body: { username: b, password: PASSWORD, firstName: "T", lastName: "K" } });
			const { broker } = await bootPlatform();
			const users = broker.getLocalService("users") as any;
			const ctx = (broker as any).ContextFactory.create(broker, null, {}, { meta: { user: { id: school.admin.id, schoolId: school.school.id, roles: ["school_admin"] } } });
			const rows = [a, b, c].map((username, i) => ({ line: i + 2, username, firstName: "A", lastName: "B", password: PASSWORD }));
			const docs = await Promise.all(rows.map(row => users.newUserDoc({ ...row, schoolId: school.school.id, roles: ["student"] })));
			const { created, failed } = await users.insertImported(ctx, docs, rows);
			expect(created.map((u: any) => u.username).sort()).to.deep.equal([a, c].sort());
			expect(failed).to.deep.equal([{ line: 3, field: "username", message: "This username is taken in the school" }]);
			expect(await userCount(school.admin, "race")).to.equal(3);
		});

		it("reports usernames already in the school", async () => {
			const school = await signupSchool();
			const taken = unique("taken");
			await http("POST", "/api/users/students", { token: school.admin.token, body: { username: taken, password: PASSWORD, firstName: "T", lastName: "K" } });
			const res = await http("POST", "/api/users/students/import", { token: school.admin.token, body: { csv: `${header}\n${taken},A,B,${PASSWORD},\n`, mode: "valid_only" } });
			expect(res.status, "201 like the content import, even when every row was left out").to.equal(201);
			expect(res.body.created).to.have.length(0);
			expect(res.body.errors).to.deep.equal([{ line: 2, field: "username", message: "already taken in the school" }]);
		});

		it("all_or_nothing creates nothing when one row is invalid", async () => {
			const school = await signupSchool();
			const good = unique("aon");
			const csv = `${header}\n${good},A,B,${PASSWORD},\nbad user,A,B,${PASSWORD},\n`;
			const seats = await seatsUsed(school.admin);
			const res = await http("POST", "/api/users/students/import", { token: school.admin.token, body: { csv, mode: "all_or_nothing" } });
			expect(res.status).to.equal(422);
			expect(res.body.error.type).to.equal("IMPORT_INVALID");
			expect(res.body.error.data).to.deep.equal([{ line: 3, field: "username", message: "3 to 50 letters, digits, dots, dashes or underscores, starting with a letter or digit" }]);
			expect(await userCount(school.admin, good)).to.equal(0);
			expect(await seatsUsed(school.admin)).to.equal(seats);
		});

		it("creates nothing when the seats do not cover the valid rows", async () => {
			const school = await signupSchool();
			await limitSeats(school.school.id, 1);
			const [a, b] = [unique("seat"), unique("seat")];
			const res = await http("POST", "/api/users/students/import", {
				token: school.admin.token,
				body: { csv: `${header}\n${a},A,B,${PASSWORD},\n${b},A,B,${PASSWORD},\n`, mode: "all_or_nothing" },
			});
			expect(res.status).to.equal(409);
			expect(res.body.error.type).to.equal("SEAT_LIMIT_REACHED");
			expect(await userCount(school.admin, "seat")).to.equal(0);
		});

		it("refuses a malformed file or header and teachers", async () => {
			const bad = await http("POST", "/api/users/students/import", { token: fx.admin.token, body: { csv: `${header}\n"open,A,B,C,\n`, mode: "valid_only" } });
			expect(bad.status).to.equal(422);
			expect(bad.body.error.type).to.equal("IMPORT_INVALID");
			const wrongHeader = await http("POST", "/api/users/students/import", { token: fx.admin.token, body: { csv: "user,first\na,b\n" } });
			expect(wrongHeader.status).to.equal(422);
			expect(wrongHeader.body.error.type).to.equal("IMPORT_INVALID");
			expect((await http("POST", "/api/users/students/import", { token: teacher.token, body: { csv: `${header}\n` } })).status).to.equal(403);
		});
	});

	describe("roles", () => {
		it("changes roles, ends the user's sessions and audits it", async () => {
			const someone = await invite(fx.admin, "student");
			const res = await http("PATCH", `/api/users/${someone.id}/roles`, { token: fx.admin.token, body: { roles: ["teacher"] } });
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body.roles).to.deep.equal(["teacher"]);
			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: someone.refreshToken } })).status).to.equal(401);
			const relogged = await login({ email: someone.email!, password: PASSWORD });
			expect(relogged.user.roles).to.deep.equal(["teacher"]);
			const audit = await http("GET", "/api/audit?action=user.roles.changed", { token: fx.admin.token });
			expect(audit.body.rows.some((e: any) => e.targetId === someone.id)).to.equal(true);
		});

		it("refuses staff roles, empty lists and non-admins", async () => {
			expect((await http("PATCH", `/api/users/${student.id}/roles`, { token: fx.admin.token, body: { roles: ["platform_admin"] } })).status).to.equal(422);
			expect((await http("PATCH", `/api/users/${student.id}/roles`, { token: fx.admin.token, body: { roles: [] } })).status).to.equal(422);
			expect((await http("PATCH", `/api/users/${student.id}/roles`, { token: teacher.token, body: { roles: ["teacher"] } })).status).to.equal(403);
		});

		it("never leaves a school without an admin", async () => {
			const school = await signupSchool();
			// Nobody changes their own roles (live identity): refused before the last-admin rule is even asked.
			const self = await http("PATCH", `/api/users/${school.admin.id}/roles`, { token: school.admin.token, body: { roles: ["teacher"] } });
			expect(self.status).to.equal(403);
			expect((await http("GET", "/api/me", { token: school.admin.token })).body.roles).to.deep.equal(["school_admin"]);
			const second = await invite(school.admin, "school_admin");
			const demoted = await http("PATCH", `/api/users/${school.admin.id}/roles`, { token: second.token, body: { roles: ["teacher"] } });
			expect(demoted.status, JSON.stringify(demoted.body)).to.equal(200);
		});
	});

	describe("concurrent changes", () => {
		const activeAdmins = async (admin: Account) =>
			(await http("GET", "/api/users?role=school_admin&status=active", { token: admin.token })).body.total as number;

		it("two admins demoting each other at once leave one admin", async () => {
			const school = await signupSchool();
			const second = await invite(school.admin, "school_admin");
			const results = await Promise.all([
				http("PATCH", `/api/users/${second.id}/roles`, { token: school.admin.token, body: { roles: ["teacher"] } }),
				http("PATCH", `/api/users/${school.admin.id}/roles`, { token: second.token, body: { roles: ["teacher"] } }),
			]);
			expect(results.map(r => r.status).sort()).to.deep.equal([200, 409]);
			expect(await activeAdmins(school.admin)).to.equal(1);
		});

		it("two admins suspending each other at once leave one active admin", async () => {
			const school = await signupSchool();
			const second = await invite(school.admin, "school_admin");
			const results = await Promise.all([
				http("POST", `/api/users/${second.id}/suspend`, { token: school.admin.token }),
				http("POST", `/api/users/${school.admin.id}/suspend`, { token: second.token }),
			]);
			expect(results.map(r => r.status).sort()).to.deep.equal([200, 409]);
			expect(await activeAdmins(school.admin)).to.equal(1);
		});

		it("repeated concurrent suspensions and reactivations move one seat each way", async () => {
			const school = await signupSchool();
			const someone = await invite(school.admin, "teacher");
			const seats = await seatsUsed(school.admin);
			const burst = (action: string) =>
				Promise.all(Array.from({ length: 5 }, () => http("POST", `/api/users/${someone.id}/${action}`, { token: school.admin.token })));
			expect((await burst("suspend")).map(r => r.status)).to.deep.equal([200, 200, 200, 200, 200]);
			expect(await seatsUsed(school.admin)).to.equal(seats - 1);
			expect((await burst("reactivate")).map(r => r.status)).to.deep.equal([200, 200, 200, 200, 200]);
			expect(await seatsUsed(school.admin)).to.equal(seats);
		});
	});

	describe("concurrent changes of one member", () => {
		it("role changes racing suspensions and reactivations leave the seat count matching the member", async () => {
			const school = await signupSchool();
			const someone = await invite(school.admin, "teacher");
			const seats = await seatsUsed(school.admin);
			const as = { token: school.admin.token };
			for (let round = 0; round < 3; round++) {
				const results = await Promise.all([
					http("POST", `/api/users/${someone.id}/suspend`, as),
					http("PATCH", `/api/users/${someone.id}/roles`, { ...as, body: { roles: ["school_admin"] } }),
					http("POST", `/api/users/${someone.id}/reactivate`, as),
					http("PATCH", `/api/users/${someone.id}/roles`, { ...as, body: { roles: ["teacher"] } }),
				]);
				// A change that lost to another one on the same member is refused (409), never applied half.
				for (const r of results) expect([200, 409], JSON.stringify(r.body)).to.include(r.status);
				const member = (await http("GET", `/api/users/${someone.id}`, as)).body;
				const holds = member.status === "active" && (member.roles.includes("teacher") || member.roles.includes("student"));
				expect(await seatsUsed(school.admin), JSON.stringify(member)).to.equal(seats - 1 + (holds ? 1 : 0));
			}
		});
	});

	describe("suspension", () => {
		it("suspends: no login, no refresh, the seat is freed; reactivation takes it again", async () => {
			const someone = await invite(fx.admin, "teacher");
			const seats = await seatsUsed(fx.admin);
			const res = await http("POST", `/api/users/${someone.id}/suspend`, { token: fx.admin.token });
			expect(res.status).to.equal(200);
			expect(res.body.status).to.equal("suspended");
			expect(await seatsUsed(fx.admin)).to.equal(seats - 1);
			const denied = await http("POST", "/api/auth/login", { body: { email: someone.email, password: PASSWORD } });
			expect(denied.status).to.equal(403);
			expect(denied.body.error.type).to.equal("ACCOUNT_SUSPENDED");
			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: someone.refreshToken } })).status).to.equal(401);

			const back = await http("POST", `/api/users/${someone.id}/reactivate`, { token: fx.admin.token });
			expect(back.status).to.equal(200);
			expect(back.body.status).to.equal("active");
			expect(await seatsUsed(fx.admin)).to.equal(seats);
			await login({ email: someone.email!, password: PASSWORD });
			const audit = await http("GET", "/api/audit?action=user.suspended", { token: fx.admin.token });
			expect(audit.body.rows.some((e: any) => e.targetId === someone.id)).to.equal(true);
		});

		it("refuses reactivation without a free seat, leaving the user suspended", async () => {
			const school = await signupSchool();
			const someone = await invite(school.admin, "student");
			expect((await http("POST", `/api/users/${someone.id}/suspend`, { token: school.admin.token })).status).to.equal(200);
			await limitSeats(school.school.id, 0);
			const res = await http("POST", `/api/users/${someone.id}/reactivate`, { token: school.admin.token });
			expect(res.status).to.equal(409);
			expect(res.body.error.type).to.equal("SEAT_LIMIT_REACHED");
			expect((await http("GET", `/api/users/${someone.id}`, { token: school.admin.token })).body.status).to.equal("suspended");
		});

		it("refuses suspending oneself and non-admins suspending", async () => {
			expect((await http("POST", `/api/users/${fx.admin.id}/suspend`, { token: fx.admin.token })).status).to.equal(403);
			expect((await http("POST", `/api/users/${student.id}/suspend`, { token: teacher.token })).status).to.equal(403);
			expect((await http("GET", `/api/users/${student.id}`, { token: fx.admin.token })).body.status).to.equal("active");
		});
	});

	describe("student profiles by staff", () => {
		it("lets a teacher set accommodations of a student they teach, within bounds", async () => {
			const cls = await http("POST", "/api/classes", { token: fx.admin.token, body: { name: unique("Profiles"), teacherIds: [teacher.id], studentIds: [student.id] } });
			expect(cls.status, JSON.stringify(cls.body)).to.equal(201);
			const ok = await http("PATCH", `/api/users/${student.id}/student-profile`, { token: teacher.token, body: { accommodations: { extraTimePercent: 50, largeText: true } } });
			expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
			expect(ok.body.studentProfile.accommodations).to.deep.equal({ extraTimePercent: 50, largeText: true });
			const tooMuch = await http("PATCH", `/api/users/${student.id}/student-profile`, { token: teacher.token, body: { accommodations: { extraTimePercent: 250 } } });
			expect(tooMuch.status).to.equal(422);
			const me = await http("GET", "/api/me", { token: student.token });
			expect(me.body.studentProfile.accommodations.extraTimePercent).to.equal(50);
		});

		it("refuses a teacher a student they do not teach (403), changing nothing; the school admin may", async () => {
			const other = await invite(fx.admin, "student");
			const before = (await http("GET", `/api/users/${other.id}`, { token: fx.admin.token })).body.studentProfile ?? null;
			const denied = await http("PATCH", `/api/users/${other.id}/student-profile`, { token: teacher.token, body: { accommodations: { largeText: true } } });
			expect(denied.status).to.equal(403);
			expect(denied.body.error.type).to.equal("FORBIDDEN");
			expect((await http("GET", `/api/users/${other.id}`, { token: fx.admin.token })).body.studentProfile ?? null).to.deep.equal(before);
			const byAdmin = await http("PATCH", `/api/users/${other.id}/student-profile`, { token: fx.admin.token, body: { accommodations: { largeText: true } } });
			expect(byAdmin.status, JSON.stringify(byAdmin.body)).to.equal(200);
			expect(byAdmin.body.studentProfile.accommodations).to.deep.equal({ largeText: true });
		});

		it("only applies to students of the school", async () => {
			expect((await http("PATCH", `/api/users/${teacher.id}/student-profile`, { token: fx.admin.token, body: { accommodations: { largeText: true } } })).status).to.equal(404);
			expect((await http("PATCH", `/api/users/${student.id}/student-profile`, { token: student.token, body: { accommodations: { largeText: true } } })).status).to.equal(403);
		});
	});
});
