import { expect } from "chai";
import { Invitation } from "../../models/invitation.model.js";
import { invite, latestMail, login, PASSWORD, signupSchool, tokenFrom, type Account, type SchoolFixture } from "../support/accounts.js";
import { bootPlatform, http, settings, systemMeta, unique } from "../support/platform.js";

const seatsUsed = async (admin: Account) => (await http("GET", "/api/subscription", { token: admin.token })).body.seatsUsed as number;
const invitations = async (admin: Account, status?: string) =>
	(await http("GET", `/api/invitations${status ? `?status=${status}` : ""}`, { token: admin.token })).body;
const create = (admin: Account, body: Record<string, unknown>) => http("POST", "/api/invitations", { token: admin.token, body });
const accept = (token: string, extra: Record<string, unknown> = {}) =>
	http("POST", "/api/invitations/accept", { body: { token, password: PASSWORD, firstName: "Inès", lastName: "Vitée", ...extra } });

describe("invitations", () => {
	let s: SchoolFixture;
	let teacher: Account;

	before(async () => {
		s = await signupSchool();
		teacher = await invite(s.admin, "teacher");
	});

	it("invites by email: a pending invitation, a seat, a mail with a single-use link, an audit line", async () => {
		const before = await seatsUsed(s.admin);
		const email = `${unique("Stu")}@School.test`;
		const res = await create(s.admin, { email, role: "student", firstName: "Sam" });
		expect(res.status, JSON.stringify(res.body)).to.equal(201);
		expect(res.body).to.include({ email: email.toLowerCase(), role: "student", status: "pending" });
		expect(res.body).to.have.property("expiresAt");
		expect(res.body).to.not.have.property("tokenHash");
		const hours = (Date.parse(res.body.expiresAt) - Date.now()) / 3_600_000;
		expect(hours).to.be.closeTo(settings().invitationTtlHours, 0.1);
		expect(await seatsUsed(s.admin)).to.equal(before + 1);
		const mail = await latestMail(email.toLowerCase(), "invitation");
		expect(mail.text).to.contain(`${settings().publicUrl}/accept-invitation?token=${tokenFrom(mail)}`);
		const audit = await http("GET", `/api/audit?action=invitations.created`, { token: s.admin.token });
		expect(audit.body.rows.some((r: any) => r.targetId === res.body.id && r.actorId === s.admin.id)).to.equal(true);
	});

	it("lets a school admin invite another admin without taking a seat", async () => {
		const before = await seatsUsed(s.admin);
		const admin2 = await invite(s.admin, "school_admin");
		expect(admin2.roles).to.deep.equal(["school_admin"]);
		expect(await seatsUsed(s.admin)).to.equal(before);
	});

	it("refuses anonymous callers (401), other roles (403) and bad input (422), storing nothing", async () => {
		const before = (await invitations(s.admin)).total;
		const body = { email: `${unique("x")}@school.test`, role: "student" };
		expect((await http("POST", "/api/invitations", { body })).status).to.equal(401);
		expect((await create(teacher, body)).status).to.equal(403);
		expect((await create(s.admin, { ...body, role: "platform_admin" })).status).to.equal(422);
		expect((await create(s.admin, { ...body, email: "nope" })).status).to.equal(422);
		expect((await create(s.admin, { ...body, classIds: ["65a000000000000000000001"] })).status).to.equal(422);
		expect((await create(s.admin, { ...body, role: "school_admin", classIds: ["65a000000000000000000001"] })).status).to.equal(422);
		expect((await invitations(s.admin)).total).to.equal(before);
	});

	it("refuses an email an account already has (409 EMAIL_TAKEN) and a second pending invitation (409 CONFLICT)", async () => {
		const taken = await create(s.admin, { email: teacher.email!.toUpperCase(), role: "teacher" });
		expect(taken.status).to.equal(409);
		expect(taken.body.error.type).to.equal("EMAIL_TAKEN");
		const email = `${unique("twice")}@school.test`;
		expect((await create(s.admin, { email, role: "student" })).status).to.equal(201);
		const before = await seatsUsed(s.admin);
		const again = await create(s.admin, { email, role: "teacher" });
		expect(again.status).to.equal(409);
		expect(again.body.error.type).to.equal("CONFLICT");
		expect(await seatsUsed(s.admin)).to.equal(before);
		expect((await invitations(s.admin, "pending")).rows.filter((r: any) => r.email === email)).to.have.length(1);
	});

	it("turns an invitation into a verified account of that role, once", async () => {
		const email = `${unique("t")}@school.test`;
		expect((await create(s.admin, { email, role: "teacher" })).status).to.equal(201);
		const token = tokenFrom(await latestMail(email, "invitation"));
		const res = await accept(token);
		expect(res.status, JSON.stringify(res.body)).to.equal(201);
		expect(res.body.user).to.include({ email, schoolId: s.school.id });
		expect(res.body.user.roles).to.deep.equal(["teacher"]);
		const session = await login({ email, password: PASSWORD });
		expect(session.user.roles).to.deep.equal(["teacher"]);
		const used = await accept(token);
		expect(used.status).to.equal(410);
		expect(used.body.error.type).to.equal("TOKEN_USED");
		const row = (await invitations(s.admin, "accepted")).rows.find((r: any) => r.email === email);
		expect(row).to.include({ userId: res.body.user.id });
	});

	it("lets exactly one of several simultaneous accepts win", async () => {
		const email = `${unique("race")}@school.test`;
		await create(s.admin, { email, role: "student" });
		const token = tokenFrom(await latestMail(email, "invitation"));
		const results = await Promise.all(Array.from({ length: 5 }, () => accept(token)));
		expect(results.map(r => r.status).sort()).to.deep.equal([201, 410, 410, 410, 410]);
		for (const r of results.filter(r => r.status === 410)) expect(r.body.error.type).to.equal("TOKEN_USED");
		expect((await invitations(s.admin, "accepted")).rows.filter((r: any) => r.email === email)).to.have.length(1);
	});

	it("answers 404 to an unknown token and 422 to a malformed one", async () => {
		expect((await accept("A".repeat(43))).status).to.equal(404);
		expect((await accept("short")).status).to.equal(422);
	});

	it("keeps the invitation pending when the account is refused, so it can be redeemed later", async () => {
		const email = `${unique("weak")}@school.test`;
		await create(s.admin, { email, role: "student" });
		const token = tokenFrom(await latestMail(email, "invitation"));
		const weak = await accept(token, { password: "123" });
		expect(weak.status).to.equal(422);
		expect((await invitations(s.admin, "pending")).rows.some((r: any) => r.email === email)).to.equal(true);
		const noName = await http("POST", "/api/invitations/accept", { body: { token, password: PASSWORD } });
		expect(noName.status).to.equal(422);
		expect((await accept(token)).status).to.equal(201);
	});

	it("uses the names given at invitation when the invitee leaves them out", async () => {
		const email = `${unique("named")}@school.test`;
		await create(s.admin, { email, role: "student", firstName: "Nina", lastName: "Named" });
		const res = await http("POST", "/api/invitations/accept", { body: { token: tokenFrom(await latestMail(email, "invitation")), password: PASSWORD } });
		expect(res.status, JSON.stringify(res.body)).to.equal(201);
		expect(res.body.user).to.include({ firstName: "Nina", lastName: "Named" });
	});

	it("refuses an expired token (410) and the purge job frees its seat", async () => {
		const email = `${unique("late")}@school.test`;
		await create(s.admin, { email, role: "student" });
		const token = tokenFrom(await latestMail(email, "invitation"));
		await Invitation.updateOne({ email, schoolId: s.school.id }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
		const expired = await accept(token);
		expect(expired.status).to.equal(410);
		expect(expired.body.error.type).to.equal("TOKEN_EXPIRED");
		const before = await seatsUsed(s.admin);
		const { broker } = await bootPlatform();
		const purged: any = await broker.call("invitations.purgeExpired", {}, { meta: systemMeta() });
		expect(purged.expired).to.be.at.least(1);
		expect(await seatsUsed(s.admin)).to.equal(before - 1);
		expect((await invitations(s.admin, "expired")).rows.some((r: any) => r.email === email)).to.equal(true);
		expect((await accept(token)).body.error.type).to.equal("TOKEN_EXPIRED");
		// The email is free for a new invitation.
		expect((await create(s.admin, { email, role: "student" })).status).to.equal(201);
	});

	it("refuses the purge job to users", async () => {
		const { broker } = await bootPlatform();
		let err: any;
		try {
			// The permission guard may throw before a promise exists.
			await broker.call("invitations.purgeExpired", {}, { meta: { user: { id: s.admin.id, schoolId: s.school.id, roles: ["school_admin"] } } });
		} catch (e) {
			err = e;
		}
		expect(err?.code).to.equal(403);
	});

	it("revokes a pending invitation: seat freed, token dead, a second revoke refused", async () => {
		const email = `${unique("rev")}@school.test`;
		const created = await create(s.admin, { email, role: "teacher" });
		const token = tokenFrom(await latestMail(email, "invitation"));
		const before = await seatsUsed(s.admin);
		expect((await http("DELETE", `/api/invitations/${created.body.id}`, { token: teacher.token })).status).to.equal(403);
		const revoked = await http("DELETE", `/api/invitations/${created.body.id}`, { token: s.admin.token });
		expect(revoked.status).to.equal(200);
		expect(revoked.body.status).to.equal("revoked");
		expect(await seatsUsed(s.admin)).to.equal(before - 1);
		expect((await accept(token)).status).to.equal(410);
		const again = await http("DELETE", `/api/invitations/${created.body.id}`, { token: s.admin.token });
		expect(again.status).to.equal(409);
		expect(await seatsUsed(s.admin)).to.equal(before - 1);
		expect((await http("DELETE", "/api/invitations/65a000000000000000000001", { token: s.admin.token })).status).to.equal(404);
		const other = await signupSchool();
		expect((await http("DELETE", `/api/invitations/${created.body.id}`, { token: other.admin.token })).status).to.equal(404);
	});

	it("enrolls the invitee in the classes named on the invitation", async () => {
		const cls = await http("POST", "/api/classes", { token: s.admin.token, body: { name: unique("5A") } });
		expect(cls.status, JSON.stringify(cls.body)).to.equal(201);
		const student = await invite(s.admin, "student", { classIds: [cls.body.id] });
		const tutor = await invite(s.admin, "teacher", { classIds: [cls.body.id] });
		const after = await http("GET", `/api/classes/${cls.body.id}`, { token: student.token });
		expect(after.status).to.equal(200);
		expect(after.body.studentIds).to.deep.equal([student.id]);
		expect(after.body.teacherIds).to.deep.equal([tutor.id]);
	});

	it("lists the school's invitations, newest first, filtered by status", async () => {
		const page = await http("GET", "/api/invitations?pageSize=2", { token: s.admin.token });
		expect(page.status).to.equal(200);
		expect(page.body.rows).to.have.length(2);
		expect(page.body.total).to.be.greaterThan(2);
		expect(Date.parse(page.body.rows[0].createdAt)).to.be.at.least(Date.parse(page.body.rows[1].createdAt));
		const other = await signupSchool();
		expect((await invitations(other.admin)).total).to.equal(0);
		expect((await http("GET", "/api/invitations?status=lost", { token: s.admin.token })).status).to.equal(422);
	});
});
