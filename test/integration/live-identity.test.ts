/**
 * `live identity` (issue 9 §1), one process: every REST call and every room join checks the account and
 * its school as they are now, and a change closes the open sockets with a typed code. The same claims
 * across nodes over NATS are in live-identity-cluster.test.ts.
 */
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { ROOM_CLOSE } from "../../rooms/protocol.js";
import { createPlatformAdmin, invite, latestMail, login, PASSWORD, signupSchool, tokenFrom, type Account, type SchoolFixture } from "../support/accounts.js";
import { joinChat, joinUserRoom, openConversation, schoolWithClass } from "../support/chat.js";
import { http } from "../support/platform.js";

const closedWith = (room: Room) => new Promise<number>(resolve => room.onLeave((code: number) => resolve(code)));

async function joinRefused(join: Promise<Room>): Promise<Error> {
	const outcome = await join.then(
		room => room,
		err => err as Error,
	);
	if (!(outcome instanceof Error)) {
		await outcome.leave(true);
		throw new Error("the join was accepted");
	}
	return outcome;
}

async function auditOf(admin: Account, action: string, targetId: string): Promise<any> {
	const res = await http("GET", `/api/audit?action=${encodeURIComponent(action)}&pageSize=100`, { token: admin.token });
	expect(res.status, JSON.stringify(res.body)).to.equal(200);
	return res.body.rows.find((e: any) => e.targetId === targetId);
}

describe("live identity", () => {
	const rooms: Room[] = [];
	afterEach(async () => {
		await Promise.all(rooms.splice(0).map(r => Promise.race([r.leave(true).catch(() => undefined), new Promise(res => setTimeout(res, 1000))])));
	});

	describe("account status", () => {
		it("a suspended school admin's still-valid token can neither reactivate them, nor give roles back, nor suspend anyone", async () => {
			const fx = await signupSchool();
			const second = await invite(fx.admin, "school_admin");
			const victim = await invite(fx.admin, "teacher");
			expect((await http("POST", `/api/users/${second.id}/suspend`, { token: fx.admin.token })).status).to.equal(200);

			const me = await http("GET", "/api/me", { token: second.token });
			expect(me.status).to.equal(403);
			expect(me.body.error.type).to.equal("ACCOUNT_SUSPENDED");
			for (const [method, path, body] of [
				["POST", `/api/users/${second.id}/reactivate`, undefined],
				["PATCH", `/api/users/${second.id}/roles`, { roles: ["school_admin"] }],
				["POST", `/api/users/${fx.admin.id}/suspend`, undefined],
			] as const) {
				const res = await http(method, path, { token: second.token, body });
				expect(res.status, `${method} ${path}`).to.equal(403);
				expect(res.body.error.type).to.equal("ACCOUNT_SUSPENDED");
			}
			expect((await http("GET", `/api/users/${fx.admin.id}`, { token: fx.admin.token })).body.status).to.equal("active");
			expect((await http("GET", "/api/me", { token: victim.token })).status).to.equal(200);
		});

		it("closes a suspended user's sockets (4403), refuses their joins, and lets them in again once reactivated", async () => {
			const s = await schoolWithClass();
			const conv = await openConversation(s.student, s.teacher);
			const [chat, channel] = [await joinChat(s.student, conv.id), await joinUserRoom(s.student)];
			rooms.push(chat, channel);
			const closed = [closedWith(chat), closedWith(channel)];

			expect((await http("POST", `/api/users/${s.student.id}/suspend`, { token: s.admin.token })).status).to.equal(200);
			expect(await Promise.all(closed)).to.deep.equal([ROOM_CLOSE.ACCOUNT_CHANGED, ROOM_CLOSE.ACCOUNT_CHANGED]);
			expect((await joinRefused(joinUserRoom(s.student))).message).to.match(/not active/i);

			expect((await http("POST", `/api/users/${s.student.id}/reactivate`, { token: s.admin.token })).status).to.equal(200);
			// The token from before the suspension stays dead; a new login works at once.
			const stale = await http("GET", "/api/me", { token: s.student.token });
			expect(stale.status).to.equal(401);
			expect(stale.body.error.type).to.equal("SESSION_ENDED");
			const fresh = await login({ email: s.student.email!, password: PASSWORD });
			expect((await http("GET", "/api/me", { token: fresh.accessToken })).status).to.equal(200);
			rooms.push(await joinUserRoom({ ...s.student, token: fresh.accessToken }));
		});

		it("audits suspensions and reactivations with the account before and after", async () => {
			const fx = await signupSchool();
			const teacher = await invite(fx.admin, "teacher");
			await http("POST", `/api/users/${teacher.id}/suspend`, { token: fx.admin.token });
			await http("POST", `/api/users/${teacher.id}/reactivate`, { token: fx.admin.token });
			const suspended = await auditOf(fx.admin, "user.suspended", teacher.id);
			expect(suspended.actorId).to.equal(fx.admin.id);
			expect(suspended.data).to.deep.include({ before: { roles: ["teacher"], status: "active" }, after: { roles: ["teacher"], status: "suspended" } });
			const reactivated = await auditOf(fx.admin, "user.reactivated", teacher.id);
			expect(reactivated.data).to.deep.include({ before: { roles: ["teacher"], status: "suspended" }, after: { roles: ["teacher"], status: "active" } });
		});
	});

	describe("roles", () => {
		it("ends the tokens that carry the old roles (401 SESSION_ENDED, sockets 4403); a refresh carries the new ones", async () => {
			const fx = await signupSchool();
			const teacher = await invite(fx.admin, "teacher");
			const channel = await joinUserRoom(teacher);
			rooms.push(channel);
			const closed = closedWith(channel);
			const res = await http("PATCH", `/api/users/${teacher.id}/roles`, { token: fx.admin.token, body: { roles: ["teacher", "school_admin"] } });
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(await closed).to.equal(ROOM_CLOSE.ACCOUNT_CHANGED);
			const stale = await http("GET", "/api/me", { token: teacher.token });
			expect(stale.status).to.equal(401);
			expect(stale.body.error.type).to.equal("SESSION_ENDED");
			const relogged = await login({ email: teacher.email!, password: PASSWORD });
			expect(relogged.user.roles.sort()).to.deep.equal(["school_admin", "teacher"]);
			expect((await http("GET", "/api/users?pageSize=1", { token: relogged.accessToken })).status).to.equal(200);
			const audit = await auditOf(fx.admin, "user.roles.changed", teacher.id);
			expect(audit.data).to.deep.include({ before: { roles: ["teacher"], status: "active" }, after: { roles: ["school_admin", "teacher"], status: "active" } });
		});

		it("lets nobody change their own roles or status", async () => {
			const fx = await signupSchool();
			const second = await invite(fx.admin, "school_admin");
			for (const [method, path, body] of [
				["PATCH", `/api/users/${second.id}/roles`, { roles: ["school_admin", "teacher"] }],
				["POST", `/api/users/${second.id}/suspend`, undefined],
				["POST", `/api/users/${second.id}/reactivate`, undefined],
			] as const) {
				const res = await http(method, path, { token: second.token, body });
				expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).to.equal(403);
				expect(res.body.error.type).to.equal("FORBIDDEN");
			}
			expect((await http("GET", "/api/me", { token: second.token })).body).to.include({ status: "active" });
		});

		it("keeps the last active school admin against everyone but platform staff, who name the school", async () => {
			const fx: SchoolFixture = await signupSchool();
			const teacher = await invite(fx.admin, "teacher");
			const root = await createPlatformAdmin();
			// Within the school: the last admin stays (the school has no other to ask).
			const second = await invite(fx.admin, "school_admin");
			expect((await http("POST", `/api/users/${second.id}/suspend`, { token: fx.admin.token })).status).to.equal(200);
			const refused = await http("PATCH", `/api/users/${fx.admin.id}/roles`, { token: fx.admin.token, body: { roles: ["teacher"] } });
			expect(refused.status).to.equal(403);

			const noSchool = await http("POST", `/api/users/${fx.admin.id}/suspend`, { token: root.token });
			expect(noSchool.status).to.equal(422);
			const otherSchool = await signupSchool();
			const wrongSchool = await http("POST", `/api/users/${fx.admin.id}/suspend`, { token: root.token, body: { schoolId: otherSchool.school.id } });
			expect(wrongSchool.status).to.equal(404);
			// A school admin naming another school acts on their own school only.
			const foreign = await http("POST", `/api/users/${teacher.id}/suspend`, { token: otherSchool.admin.token, body: { schoolId: fx.school.id } });
			expect(foreign.status).to.equal(404);

			const demoted = await http("PATCH", `/api/users/${fx.admin.id}/roles`, { token: root.token, body: { roles: ["teacher"], schoolId: fx.school.id } });
			expect(demoted.status, JSON.stringify(demoted.body)).to.equal(200);
			expect(demoted.body.roles).to.deep.equal(["teacher"]);
			const back = await http("POST", `/api/users/${second.id}/reactivate`, { token: root.token, body: { schoolId: fx.school.id } });
			expect(back.status, JSON.stringify(back.body)).to.equal(200);
			const secondNow = await login({ email: second.email!, password: PASSWORD });
			const audit = await auditOf({ ...second, token: secondNow.accessToken }, "user.roles.changed", fx.admin.id);
			expect(audit).to.include({ actorId: root.id, schoolId: fx.school.id });
			expect(audit.data).to.deep.include({ before: { roles: ["school_admin"], status: "active" }, after: { roles: ["teacher"], status: "active" } });
		});
	});

	describe("sessions", () => {
		it("a logout ends the account's access tokens at once and closes its sockets (4401); the refresh token of another device still works", async () => {
			const s = await schoolWithClass();
			const laptop = await login({ email: s.student.email!, password: PASSWORD });
			const channel = await joinUserRoom({ ...s.student, token: laptop.accessToken });
			rooms.push(channel);
			const closed = closedWith(channel);
			expect((await http("POST", "/api/auth/logout", { token: s.student.token, body: { refreshToken: s.student.refreshToken } })).status).to.equal(200);
			expect(await closed).to.equal(ROOM_CLOSE.SESSION_ENDED);
			for (const token of [s.student.token, laptop.accessToken]) {
				const res = await http("GET", "/api/me", { token });
				expect(res.status).to.equal(401);
				expect(res.body.error.type).to.equal("SESSION_ENDED");
			}
			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: s.student.refreshToken } })).status).to.equal(401);
			const refreshed = await http("POST", "/api/auth/refresh", { body: { refreshToken: laptop.refreshToken } });
			expect(refreshed.status).to.equal(200);
			expect((await http("GET", "/api/me", { token: refreshed.body.accessToken })).status).to.equal(200);
		});

		it("a password change ends the other tokens and sockets; the new pair works", async () => {
			const s = await schoolWithClass();
			const other = await login({ email: s.teacher.email!, password: PASSWORD });
			const channel = await joinUserRoom({ ...s.teacher, token: other.accessToken });
			rooms.push(channel);
			const closed = closedWith(channel);
			const changed = await http("POST", "/api/auth/password", { token: s.teacher.token, body: { currentPassword: PASSWORD, newPassword: "a brand new passphrase" } });
			expect(changed.status, JSON.stringify(changed.body)).to.equal(200);
			expect(await closed).to.equal(ROOM_CLOSE.SESSION_ENDED);
			expect((await http("GET", "/api/me", { token: other.accessToken })).status).to.equal(401);
			expect((await http("GET", "/api/me", { token: s.teacher.token })).status).to.equal(401);
			expect((await http("GET", "/api/me", { token: changed.body.accessToken })).status).to.equal(200);
		});

		it("a password reset ends every access token", async () => {
			const fx = await signupSchool();
			const teacher = await invite(fx.admin, "teacher");
			expect((await http("POST", "/api/auth/password-reset/request", { body: { email: teacher.email } })).status).to.equal(202);
			const token = tokenFrom(await latestMail(teacher.email!, "password-reset"));
			expect((await http("POST", "/api/auth/password-reset/confirm", { body: { token, password: "a brand new passphrase" } })).status).to.equal(200);
			const res = await http("GET", "/api/me", { token: teacher.token });
			expect(res.status).to.equal(401);
			expect(res.body.error.type).to.equal("SESSION_ENDED");
		});
	});

	describe("school status", () => {
		it("a suspended school's members are refused on every call and join, their sockets closed (4423); reactivation lets them log in again", async () => {
			const s = await schoolWithClass();
			const root = await createPlatformAdmin();
			const conv = await openConversation(s.student, s.teacher);
			const [chat, teacherChannel] = [await joinChat(s.student, conv.id), await joinUserRoom(s.teacher)];
			rooms.push(chat, teacherChannel);
			const closed = [closedWith(chat), closedWith(teacherChannel)];

			const suspended = await http("POST", `/api/schools/${s.school.id}/suspend`, { token: root.token, body: { reason: "unpaid" } });
			expect(suspended.status, JSON.stringify(suspended.body)).to.equal(200);
			expect(await Promise.all(closed)).to.deep.equal([ROOM_CLOSE.SCHOOL_SUSPENDED, ROOM_CLOSE.SCHOOL_SUSPENDED]);
			for (const member of [s.admin, s.teacher, s.student]) {
				const res = await http("GET", "/api/me", { token: member.token });
				expect(res.status).to.equal(403);
				expect(res.body.error.type).to.equal("SCHOOL_SUSPENDED");
			}
			expect((await http("POST", `/api/conversations/${conv.id}/messages`, { token: s.teacher.token, body: { clientId: "x1", text: "still here?" } })).status).to.equal(403);
			expect((await joinRefused(joinUserRoom(s.teacher))).message).to.match(/suspended/i);
			const audit = await http("GET", `/api/audit?action=school.suspended&schoolId=${s.school.id}`, { token: root.token });
			expect(audit.body.rows[0].data).to.deep.include({ reason: "unpaid", before: { status: "active" }, after: { status: "suspended" } });

			expect((await http("POST", `/api/schools/${s.school.id}/reactivate`, { token: root.token })).status).to.equal(200);
			const back = await login({ email: s.teacher.email!, password: PASSWORD });
			expect((await http("GET", "/api/me", { token: back.accessToken })).status).to.equal(200);
		});
	});
});
