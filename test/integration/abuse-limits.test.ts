/**
 * `abuse limits` (issue 9 §2): login throttling decided atomically before the password is checked, no
 * lock-out of a student by whoever knows their username, throttled mail-sending requests, reset links that
 * survive a second request, one seat per user in live rooms sized by their class, enrolment by the school's
 * rule, the chat policy on every message, and what happens while Redis is down.
 */
import type { Room } from "@colyseus/sdk";
import { matchMaker } from "@colyseus/core";
import { expect } from "chai";
import { SEAT_HEADROOM } from "../../rooms/group.room.js";
import { ROOM_CLOSE } from "../../rooms/protocol.js";
import { openRateLimits } from "../../services/users/rate-limits.js";
import { createUsernameStudent, invite, latestMail, login, PASSWORD, signupSchool, tokenFrom } from "../support/accounts.js";
import { Inbox, joinChat, openConversation, schoolWithClass } from "../support/chat.js";
import { joinByRoomId, liveSchool, openLive, Wire } from "../support/live.js";
import { bootPlatform, http, unique } from "../support/platform.js";
import { withSettings } from "../support/settings-override.js";

/** The test client reaches the gateway over loopback; trusting it lets a test speak from any address (X-Forwarded-For). */
const LOOPBACK = ["127.0.0.1", "::1"];
const from = (address: string) => ({ "x-forwarded-for": address });
const statuses = (results: { status: number }[]) => results.map(r => r.status);
const count = (list: number[], status: number) => list.filter(s => s === status).length;

async function clearAddresses(...ips: string[]): Promise<void> {
	const { broker } = await bootPlatform();
	for (const ip of [...LOOPBACK, ...ips]) await (broker.getLocalService("auth") as any).throttle.clearAddress(ip);
}

/** How many counts the auth service's limiter had to take in memory because Redis did not answer. */
async function fallbacks(): Promise<number> {
	const { broker } = await bootPlatform();
	return (broker.getLocalService("auth") as any).limits.fallbackCount;
}

async function signupBody(email: string) {
	return { school: { name: unique("School "), timezone: "Europe/Paris" }, admin: { email, password: PASSWORD, firstName: "Ada", lastName: "Admin" } };
}

describe("abuse limits", () => {
	before(() => clearAddresses());
	after(() => clearAddresses());

	describe("login throttling", () => {
		beforeEach(() => clearAddresses());
		it("gives 25 parallel wrong passwords no more verdicts than configured", async () => {
			const fx = await signupSchool();
			const before = await fallbacks();
			await withSettings({ loginMaxFailures: 5 }, async () => {
				const results = await Promise.all(Array.from({ length: 25 }, () => http("POST", "/api/auth/login", { body: { email: fx.admin.email, password: "wrong password 123" } })));
				const codes = statuses(results);
				expect(await fallbacks(), "every count taken in Redis").to.equal(before);
				expect(count(codes, 401), "verdicts").to.equal(5);
				expect(count(codes, 429), "refused before any password check").to.equal(20);
				const refused = results.find(r => r.status === 429)!;
				expect(Number(refused.headers.get("retry-after"))).to.be.greaterThan(0);
			});
		});

		it("lets none of 40 parallel tries in when the right password comes last", async () => {
			const fx = await signupSchool();
			const before = await fallbacks();
			await withSettings({ loginMaxFailures: 5 }, async () => {
				const wrong = Array.from({ length: 39 }, () => http("POST", "/api/auth/login", { body: { email: fx.admin.email, password: "wrong password 123" } }));
				await new Promise(r => setImmediate(r));
				const right = http("POST", "/api/auth/login", { body: { email: fx.admin.email, password: PASSWORD } });
				const codes = statuses(await Promise.all([...wrong, right]));
				expect(await fallbacks(), "every count taken in Redis").to.equal(before);
				expect(codes[39], "the right password, last").to.equal(429);
				expect(count(codes, 200)).to.equal(0);
				expect(count(codes, 401)).to.be.at.most(5);
			});
		});

		it("does not let whoever knows a student's username lock the student out: the guesser blocks only themselves", async () => {
			const fx = await signupSchool();
			const pupil = await createUsernameStudent(fx.admin, fx.school.code);
			const attacker = "203.0.113.7";
			const home = "198.51.100.9";
			await withSettings({ trustedProxies: LOOPBACK, loginMaxFailures: 3, loginWindowSeconds: 60 }, async () => {
				const guess = { schoolCode: fx.school.code, username: pupil.username, password: "not the password 1" };
				const codes = [];
				for (let i = 0; i < 5; i++) codes.push((await http("POST", "/api/auth/login", { body: guess, headers: from(attacker) })).status);
				expect(codes).to.deep.equal([401, 401, 401, 429, 429]);
				const blocked = await http("POST", "/api/auth/login", { body: { ...guess, password: PASSWORD }, headers: from(attacker) });
				expect(blocked.status).to.equal(429);
				expect(Number(blocked.headers.get("retry-after"))).to.be.within(55, 60);
				// The student, from home, gets in all along.
				const own = await http("POST", "/api/auth/login", { body: { ...guess, password: PASSWORD }, headers: from(home) });
				expect(own.status, JSON.stringify(own.body)).to.equal(200);
			});
			await clearAddresses(attacker, home);
		});

		it("keeps a generous per-account ceiling against guesses spread over many addresses", async () => {
			const fx = await signupSchool();
			await withSettings({ trustedProxies: LOOPBACK, loginAccountMaxFailures: 6 }, async () => {
				const addresses = Array.from({ length: 6 }, (_, i) => `192.0.2.${i + 10}`);
				for (const address of addresses) {
					expect((await http("POST", "/api/auth/login", { body: { email: fx.admin.email, password: "wrong password 123" }, headers: from(address) })).status).to.equal(401);
				}
				const locked = await http("POST", "/api/auth/login", { body: { email: fx.admin.email, password: PASSWORD }, headers: from("192.0.2.99") });
				expect(locked.status).to.equal(429);
				expect(Number(locked.headers.get("retry-after"))).to.be.within(1, 3600);
				await clearAddresses(...addresses, "192.0.2.99");
			});
		});

		it("keeps throttling logins, in memory and with a warning, while Redis is down", async () => {
			const { broker } = await bootPlatform();
			const auth = broker.getLocalService("auth") as any;
			const original = auth.throttle;
			const warnings: string[] = [];
			const down = await openRateLimits((message: string) => warnings.push(message), { redisUrl: "redis://127.0.0.1:1", prefix: "lp:test:down:", waitMs: 100 });
			const { LoginThrottle } = await import("../../services/users/login-throttle.js");
			auth.throttle = new LoginThrottle(down, () => ({ maxFailures: 2, windowSeconds: 60, ipMaxFailures: 100, accountMaxFailures: 100, accountWindowSeconds: 60, maxBlockSeconds: 60 }));
			try {
				const fx = await signupSchool();
				const results = await Promise.all(Array.from({ length: 6 }, () => http("POST", "/api/auth/login", { body: { email: fx.admin.email, password: "wrong password 123" } })));
				expect(count(statuses(results), 401), "verdicts, counted in this process").to.equal(2);
				expect(count(statuses(results), 429)).to.equal(4);
				expect(down.fallbackCount).to.be.greaterThan(0);
				expect(warnings).to.include("Rate limits: Redis unavailable, counting in this process only");
			} finally {
				auth.throttle = original;
				await down.close();
			}
		});
	});

	describe("requests that send mail", () => {
		it("throttles signups per address and per email", async () => {
			await withSettings({ trustedProxies: LOOPBACK, signupMaxPerAddress: 2, signupMaxPerEmail: 1 }, async () => {
				const address = "198.51.100.20";
				for (let i = 0; i < 2; i++) {
					expect((await http("POST", "/api/schools/signup", { body: await signupBody(`${unique("s")}@school.test`), headers: from(address) })).status).to.equal(201);
				}
				const third = await http("POST", "/api/schools/signup", { body: await signupBody(`${unique("s")}@school.test`), headers: from(address) });
				expect(third.status).to.equal(429);
				expect(third.body.error.type).to.equal("TOO_MANY_REQUESTS");
				expect(Number(third.headers.get("retry-after"))).to.be.greaterThan(0);

				const email = `${unique("again")}@school.test`;
				expect((await http("POST", "/api/schools/signup", { body: await signupBody(email), headers: from("198.51.100.21") })).status).to.equal(201);
				const same = await http("POST", "/api/schools/signup", { body: await signupBody(email.toUpperCase()), headers: from("198.51.100.22") });
				expect(same.status).to.equal(429);
			});
		});

		it("throttles password-reset requests per email (known or not) and per address", async () => {
			const fx = await signupSchool();
			await withSettings({ trustedProxies: LOOPBACK, resetMaxPerEmail: 2, resetMaxPerAddress: 3 }, async () => {
				const ask = (email: string, address: string) => http("POST", "/api/auth/password-reset/request", { body: { email }, headers: from(address) });
				expect(statuses([await ask(fx.admin.email!, "198.51.100.30"), await ask(fx.admin.email!, "198.51.100.31")])).to.deep.equal([202, 202]);
				expect((await ask(fx.admin.email!, "198.51.100.32")).status).to.equal(429);
				const ghost = `${unique("ghost")}@school.test`;
				expect(statuses([await ask(ghost, "198.51.100.33"), await ask(ghost, "198.51.100.33"), await ask(ghost, "198.51.100.33")])).to.deep.equal([202, 202, 429]);
				const spray = "198.51.100.34";
				const sprayed = [];
				for (let i = 0; i < 4; i++) sprayed.push((await ask(`${unique("any")}@school.test`, spray)).status);
				expect(sprayed).to.deep.equal([202, 202, 202, 429]);
			});
		});

		it("keeps an earlier reset link valid after a second request; using one spends the others; a cap retires the oldest", async () => {
			const fx = await signupSchool();
			const links = async (n: number) => {
				const tokens: string[] = [];
				for (let i = 0; i < n; i++) {
					const before = tokens.length ? tokens[tokens.length - 1] : undefined;
					expect((await http("POST", "/api/auth/password-reset/request", { body: { email: fx.admin.email } })).status).to.equal(202);
					for (;;) {
						const token = tokenFrom(await latestMail(fx.admin.email!, "password-reset"));
						if (token !== before) {
							tokens.push(token);
							break;
						}
						await new Promise(r => setTimeout(r, 20));
					}
				}
				return tokens;
			};
			await withSettings({ resetMaxOutstanding: 2, resetMaxPerEmail: 10 }, async () => {
				const [first, second, third] = await links(3);
				const retired = await http("POST", "/api/auth/password-reset/confirm", { body: { token: first, password: "a new passphrase 1" } });
				expect(retired.status, "beyond the cap, the oldest is retired").to.equal(410);
				const used = await http("POST", "/api/auth/password-reset/confirm", { body: { token: second, password: "a new passphrase 2" } });
				expect(used.status, "the earlier of two outstanding links still works").to.equal(200);
				const spent = await http("POST", "/api/auth/password-reset/confirm", { body: { token: third, password: "a new passphrase 3" } });
				expect(spent.status).to.equal(410);
				expect(spent.body.error.type).to.equal("TOKEN_USED");
			});
			await login({ email: fx.admin.email!, password: "a new passphrase 2" });
		});

		it("throttles invitations per invited email and per address", async () => {
			const fx = await signupSchool();
			await withSettings({ trustedProxies: LOOPBACK, inviteMaxPerEmail: 1, inviteMaxPerAddress: 3 }, async () => {
				const email = `${unique("invitee")}@school.test`;
				const first = await http("POST", "/api/invitations", { token: fx.admin.token, body: { email, role: "teacher" }, headers: from("198.51.100.40") });
				expect(first.status).to.equal(201);
				expect((await http("DELETE", `/api/invitations/${first.body.id}`, { token: fx.admin.token })).status).to.equal(200);
				const again = await http("POST", "/api/invitations", { token: fx.admin.token, body: { email, role: "teacher" }, headers: from("198.51.100.41") });
				expect(again.status).to.equal(429);
				const address = "198.51.100.42";
				const codes = [];
				for (let i = 0; i < 4; i++) codes.push((await http("POST", "/api/invitations", { token: fx.admin.token, body: { email: `${unique("i")}@school.test`, role: "student" }, headers: from(address) })).status);
				expect(codes).to.deep.equal([201, 201, 201, 429]);
			});
		});

		it("keeps throttling signups, in memory and with a warning, while Redis is down", async () => {
			const { broker } = await bootPlatform();
			const schools = broker.getLocalService("schools") as any;
			const original = schools.limits;
			const warnings: string[] = [];
			schools.limits = await openRateLimits((message: string) => warnings.push(message), { redisUrl: "redis://127.0.0.1:1", prefix: "lp:test:down:", waitMs: 100 });
			try {
				await withSettings({ trustedProxies: LOOPBACK, signupMaxPerAddress: 1 }, async () => {
					const address = "198.51.100.50";
					expect((await http("POST", "/api/schools/signup", { body: await signupBody(`${unique("s")}@school.test`), headers: from(address) })).status).to.equal(201);
					expect((await http("POST", "/api/schools/signup", { body: await signupBody(`${unique("s")}@school.test`), headers: from(address) })).status).to.equal(429);
				});
				expect(warnings).to.include("Rate limits: Redis unavailable, counting in this process only");
			} finally {
				await schools.limits.close();
				schools.limits = original;
			}
		});
	});

	describe("live rooms", () => {
		const rooms: Room[] = [];
		afterEach(async () => {
			await Promise.all(rooms.splice(0).map(r => Promise.race([r.leave(true).catch(() => undefined), new Promise(res => setTimeout(res, 1000))])));
		});

		it("gives each user one seat: a second join replaces the first (4409), and one student cannot fill a session", async () => {
			const s = await liveSchool({ students: 2 });
			const opened = await openLive(s);
			expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
			const roomId = opened.body.roomId;
			const server = () => matchMaker.getLocalRoomById(roomId) as any;
			// Sized by the class: a teacher and two students, plus the headroom for replacements in flight.
			expect(server().maxClients).to.equal(1 + 2 + SEAT_HEADROOM);

			const first = await joinByRoomId(s.students[0], roomId);
			new Wire(first);
			const replaced = new Promise<number>(resolve => first.onLeave((code: number) => resolve(code)));
			const second = await joinByRoomId(s.students[0], roomId);
			new Wire(second);
			rooms.push(second);
			expect(await replaced).to.equal(ROOM_CLOSE.REPLACED);

			// A flood of joins by one student: whatever got through, they end with one seat.
			const flood = await Promise.allSettled(Array.from({ length: 30 }, () => joinByRoomId(s.students[0], roomId)));
			for (const r of flood) if (r.status === "fulfilled") (new Wire(r.value), rooms.push(r.value));
			const seatsOf = (id: string) => server().clients.filter((c: any) => c.auth?.id === id).length;
			for (let i = 0; i < 100 && seatsOf(s.students[0].id) > 1; i++) await new Promise(r => setTimeout(r, 20));
			expect(seatsOf(s.students[0].id)).to.equal(1);
			// The rest of the class still gets in.
			const other = await joinByRoomId(s.students[1], roomId);
			new Wire(other);
			rooms.push(other);
			const teacher = await joinByRoomId(s.teacher, roomId);
			new Wire(teacher);
			rooms.push(teacher);
			expect(server().clients.length).to.equal(3);
		});
	});

	describe("enrolment and chat policy", () => {
		it("by default only school admins enrol students: a teacher cannot pull a student in to reach their data or chat", async () => {
			const s = await schoolWithClass();
			const stranger = await invite(s.admin, "student");
			const pulled = await http("POST", `/api/classes/${s.classId}/students`, { token: s.teacher.token, body: { studentIds: [stranger.id] } });
			expect(pulled.status).to.equal(403);
			const viaNewClass = await http("POST", "/api/classes", { token: s.teacher.token, body: { name: unique("Mine "), studentIds: [stranger.id] } });
			expect(viaNewClass.status).to.equal(403);
			expect((await http("PATCH", `/api/users/${stranger.id}/student-profile`, { token: s.teacher.token, body: { accommodations: { largeText: true } } })).status).to.equal(403);
			expect((await http("POST", "/api/conversations", { token: s.teacher.token, body: { userId: stranger.id } })).status).to.equal(403);
			const cls = await http("GET", `/api/classes/${s.classId}`, { token: s.admin.token });
			expect(cls.body.studentIds).to.deep.equal([s.student.id]);

			// The school may let class teachers enrol; teachers cannot change that setting themselves.
			expect((await http("PATCH", "/api/school", { token: s.teacher.token, body: { settings: { classes: { enrolment: "class_teachers" } } } })).status).to.equal(403);
			expect((await http("PATCH", "/api/school", { token: s.admin.token, body: { settings: { classes: { enrolment: "anyone" } } } })).status).to.equal(422);
			expect((await http("PATCH", "/api/school", { token: s.admin.token, body: { settings: { classes: { enrolment: "class_teachers" } } } })).status).to.equal(200);
			expect((await http("POST", `/api/classes/${s.classId}/students`, { token: s.teacher.token, body: { studentIds: [stranger.id] } })).status).to.equal(200);
		});

		it("checks the chat policy on every message, over REST and in the room, not only when the conversation opened", async () => {
			const s = await schoolWithClass();
			const conv = await openConversation(s.student, s.teacher);
			const say = (text: string) => http("POST", `/api/conversations/${conv.id}/messages`, { token: s.student.token, body: { clientId: unique("c"), text } });
			expect((await say("hello")).status).to.equal(201);

			// The student leaves the class: they no longer share one with the teacher (policy own_teachers).
			expect((await http("DELETE", `/api/classes/${s.classId}/students/${s.student.id}`, { token: s.admin.token })).status).to.equal(200);
			const refused = await say("still there?");
			expect(refused.status).to.equal(403);
			const teacherSays = await http("POST", `/api/conversations/${conv.id}/messages`, { token: s.teacher.token, body: { clientId: unique("t"), text: "hello?" } });
			expect(teacherSays.status).to.equal(403);
			const room = await joinChat(s.student, conv.id);
			const errors = new Inbox(room, "error");
			room.send("send", { clientId: "room-1", text: "from the room" });
			const error = await errors.next(e => e.clientId === "room-1");
			expect(error).to.include({ type: "FORBIDDEN", command: "send" });
			await room.leave(true);

			// Back in the class, but the school closes student-teacher chat: refused again.
			expect((await http("POST", `/api/classes/${s.classId}/students`, { token: s.admin.token, body: { studentIds: [s.student.id] } })).status).to.equal(200);
			expect((await say("back")).status).to.equal(201);
			expect((await http("PATCH", "/api/school", { token: s.admin.token, body: { settings: { chat: { studentsMayContact: "none" } } } })).status).to.equal(200);
			expect((await say("and now?")).status).to.equal(403);
		});
	});
});
