/**
 * `chat`: conversations over REST and the chat room over the real SDK, on the platform booted once.
 */
import { matchMaker } from "@colyseus/core";
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { Message } from "../../models/message.model.js";
import { presenceKey } from "../../rooms/chat.room.js";
import { roomContext } from "../../rooms/context.js";
import { createPlatformAdmin, invite, signupSchool } from "../support/accounts.js";
import { eventually, Inbox, joinChat, joinUserRoom, leaveAll, openConversation, schoolWithClass, type ChatSchool } from "../support/chat.js";
import { http, unique } from "../support/platform.js";

const notificationsOf = async (token: string, type: string) => {
	const res = await http("GET", "/api/notifications?pageSize=100", { token });
	expect(res.status).to.equal(200);
	return (res.body.rows as any[]).filter(n => n.type === type);
};

describe("chat", function () {
	this.timeout(30_000);
	let s: ChatSchool;
	let conversation: any;
	const rooms: Room[] = [];

	before(async () => {
		s = await schoolWithClass();
		conversation = await openConversation(s.student, s.teacher);
	});

	afterEach(async () => {
		await leaveAll(rooms.splice(0));
	});

	describe("conversations (REST)", () => {
		it("creates a conversation once, whoever opens it, even concurrently", async () => {
			const fresh = await schoolWithClass();
			const [a, b] = await Promise.all([
				http("POST", "/api/conversations", { token: fresh.student.token, body: { userId: fresh.teacher.id } }),
				http("POST", "/api/conversations", { token: fresh.teacher.token, body: { userId: fresh.student.id } }),
			]);
			expect([a.status, b.status].sort(), JSON.stringify([a.body, b.body])).to.satisfy((s: number[]) => s.every(x => x === 200 || x === 201));
			expect(a.body.id).to.equal(b.body.id);
			expect(a.body.kind).to.equal("student_teacher");
			const again = await http("POST", "/api/conversations", { token: fresh.student.token, body: { userId: fresh.teacher.id } });
			expect(again.status).to.equal(200);
			expect(again.body.id).to.equal(a.body.id);
			const list = await http("GET", "/api/conversations", { token: fresh.teacher.token });
			expect(list.body.rows.map((c: any) => c.id)).to.deep.equal([a.body.id]);
		});

		it("applies the right to contact: own teachers only by default, per school setting", async () => {
			const otherTeacher = await invite(s.admin, "teacher");
			const refused = await http("POST", "/api/conversations", { token: s.student.token, body: { userId: otherTeacher.id } });
			expect(refused.status).to.equal(403);
			const both = await http("POST", "/api/conversations", { token: otherTeacher.token, body: { userId: s.student.id } });
			expect(both.status, "the rule binds teachers too").to.equal(403);

			const allTeachers = await http("PATCH", "/api/school", { token: s.admin.token, body: { settings: { chat: { studentsMayContact: "all_teachers" } } } });
			expect(allTeachers.status, JSON.stringify(allTeachers.body)).to.equal(200);
			expect(allTeachers.body.settings.chat.studentsMayContact).to.equal("all_teachers");
			const allowed = await http("POST", "/api/conversations", { token: s.student.token, body: { userId: otherTeacher.id } });
			expect(allowed.status).to.equal(201);

			await http("PATCH", "/api/school", { token: s.admin.token, body: { settings: { chat: { studentsMayContact: "none" } } } });
			const closed = await http("POST", "/api/conversations", { token: s.student.token, body: { userId: s.teacher.id } });
			expect(closed.status).to.equal(403);
			const badSetting = await http("PATCH", "/api/school", { token: s.admin.token, body: { settings: { chat: { studentsMayContact: "everyone" } } } });
			expect(badSetting.status).to.equal(422);
			await http("PATCH", "/api/school", { token: s.admin.token, body: { settings: { chat: { studentsMayContact: "own_teachers" } } } });
		});

		it("refuses student ↔ student, yourself, and hides users of other schools (404)", async () => {
			const classmate = await invite(s.admin, "student");
			expect((await http("POST", "/api/conversations", { token: s.student.token, body: { userId: classmate.id } })).status).to.equal(403);
			expect((await http("POST", "/api/conversations", { token: s.student.token, body: { userId: s.student.id } })).status).to.equal(422);
			const other = await signupSchool();
			const cross = await http("POST", "/api/conversations", { token: s.admin.token, body: { userId: other.admin.id } });
			expect(cross.status).to.equal(404);
			expect((await http("POST", "/api/conversations", { token: s.student.token, body: { userId: "0".repeat(24) } })).status).to.equal(404);
			expect((await http("POST", "/api/conversations", { token: s.student.token, body: { userId: "nope" } })).status).to.equal(422);
			expect((await http("POST", "/api/conversations", { body: { userId: s.teacher.id } })).status).to.equal(401);
		});

		it("opens teacher ↔ school admin and support conversations (support sees only those)", async () => {
			const ta = await http("POST", "/api/conversations", { token: s.teacher.token, body: { userId: s.admin.id } });
			expect(ta.status).to.equal(201);
			expect(ta.body.kind).to.equal("teacher_admin");
			const root = await createPlatformAdmin();
			const { broker } = await import("../support/platform.js").then(m => m.bootPlatform());
			const { systemMeta } = await import("../support/platform.js");
			const email = `${unique("support")}@platform.test`;
			await broker.call("users.createPlatformAdmin", { email, password: "correct horse battery staple", firstName: "Sue", lastName: "Port", role: "support" }, { meta: systemMeta() });
			const login = await http("POST", "/api/auth/login", { body: { email, password: "correct horse battery staple" } });
			const support = { id: login.body.user.id, token: login.body.accessToken };
			const sc = await http("POST", "/api/conversations", { token: s.student.token, body: { userId: support.id } });
			expect(sc.status, JSON.stringify(sc.body)).to.equal(201);
			expect(sc.body.kind).to.equal("support");
			expect(sc.body.schoolId).to.equal(s.school.id);
			const sent = await http("POST", `/api/conversations/${sc.body.id}/messages`, { token: s.student.token, body: { clientId: "s1", text: "I need help" } });
			expect(sent.status).to.equal(201);
			const supportList = await http("GET", "/api/conversations", { token: support.token });
			expect(supportList.body.rows.every((c: any) => c.kind === "support")).to.equal(true);
			// A platform admin is "anyone": it may write to support, not to a school's student.
			expect((await http("POST", "/api/conversations", { token: root.token, body: { userId: s.student.id } })).status).to.equal(404);
			expect((await http("POST", "/api/conversations", { token: root.token, body: { userId: support.id } })).status).to.equal(201);
			// The support user's notification lands in its school-less inbox.
			const notes = await eventually(async () => {
				const rows = await notificationsOf(support.token, "chat.message");
				return rows.length > 0 ? rows : undefined;
			}, "the support user's notification");
			expect(notes[0].schoolId).to.equal(null);
		});

		it("checks the content: empty, too long, moderated; nothing stored", async () => {
			const path = `/api/conversations/${conversation.id}/messages`;
			const before = await Message.countDocuments({ conversationId: conversation.id });
			for (const text of ["   ", "x".repeat(4001), "tu es un connard"]) {
				const res = await http("POST", path, { token: s.student.token, body: { clientId: unique("c"), text } });
				expect(res.status, text.slice(0, 20)).to.equal(422);
				expect(res.body.error.type).to.equal("VALIDATION_ERROR");
			}
			expect((await http("POST", path, { token: s.student.token, body: { clientId: "bad id!", text: "hi" } })).status).to.equal(422);
			expect(await Message.countDocuments({ conversationId: conversation.id })).to.equal(before);
		});

		it("keeps a conversation to its members (404 to others, even of the same school)", async () => {
			const otherTeacher = await invite(s.admin, "teacher");
			for (const [method, path, body] of [
				["GET", `/api/conversations/${conversation.id}`, undefined],
				["GET", `/api/conversations/${conversation.id}/messages`, undefined],
				["POST", `/api/conversations/${conversation.id}/messages`, { clientId: "x1", text: "hi" }],
			] as const) {
				const res = await http(method, path, { token: otherTeacher.token, body });
				expect(res.status, `${method} ${path}`).to.equal(404);
			}
		});

		it("pages the history newest first with before/limit", async () => {
			const fresh = await schoolWithClass();
			const conv = await openConversation(fresh.student, fresh.teacher);
			for (let i = 1; i <= 5; i++) {
				const r = await http("POST", `/api/conversations/${conv.id}/messages`, { token: fresh.student.token, body: { clientId: `m${i}`, text: `message ${i}` } });
				expect(r.status).to.equal(201);
			}
			const first = await http("GET", `/api/conversations/${conv.id}/messages?limit=2`, { token: fresh.teacher.token });
			expect(first.body.rows.map((m: any) => m.text)).to.deep.equal(["message 5", "message 4"]);
			expect(first.body.hasMore).to.equal(true);
			const second = await http("GET", `/api/conversations/${conv.id}/messages?limit=2&before=${first.body.nextBefore}`, { token: fresh.teacher.token });
			expect(second.body.rows.map((m: any) => m.text)).to.deep.equal(["message 3", "message 2"]);
			const last = await http("GET", `/api/conversations/${conv.id}/messages?limit=2&before=${second.body.nextBefore}`, { token: fresh.teacher.token });
			expect(last.body.rows.map((m: any) => m.text)).to.deep.equal(["message 1"]);
			expect(last.body.hasMore).to.equal(false);
			expect((await http("GET", `/api/conversations/${conv.id}/messages?limit=101`, { token: fresh.teacher.token })).status).to.equal(422);
		});
	});

	describe("chat room", () => {
		it("persisted before broadcast: the message is stored when the teacher receives it", async () => {
			const teacherRoom = await joinChat(s.teacher, conversation.id);
			const studentRoom = await joinChat(s.student, conversation.id);
			rooms.push(teacherRoom, studentRoom);
			expect(studentRoom.roomId).to.equal(teacherRoom.roomId);
			const storedAtArrival = new Promise<boolean>(resolve => {
				teacherRoom.onMessage("message", (m: any) => {
					// Checked the moment the broadcast arrives, before anything else runs.
					Message.exists({ _id: m.id }).then(found => resolve(!!found));
				});
			});
			const sent = new Inbox(studentRoom, "sent");
			studentRoom.send("send", { clientId: "persist-1", text: "Bonjour, j'ai une question" });
			expect(await storedAtArrival).to.equal(true);
			const ack = await sent.next(m => m.clientId === "persist-1");
			expect(ack.duplicate).to.equal(false);
			expect(ack.message.text).to.equal("Bonjour, j'ai une question");
			const history = await http("GET", `/api/conversations/${conversation.id}/messages?limit=1`, { token: s.teacher.token });
			expect(history.body.rows[0].id).to.equal(ack.message.id);
		});

		it("delivers a message sent over REST to the members in the room", async () => {
			const teacherRoom = await joinChat(s.teacher, conversation.id);
			rooms.push(teacherRoom);
			const inbox = new Inbox(teacherRoom, "message");
			const res = await http("POST", `/api/conversations/${conversation.id}/messages`, { token: s.student.token, body: { clientId: "rest-1", text: "Sent over REST" } });
			expect(res.status).to.equal(201);
			const got = await inbox.next(m => m.clientId === "rest-1");
			expect(got.id).to.equal(res.body.message.id);
			expect(got.senderId).to.equal(s.student.id);
		});

		it("notifies a member who is not in the room (in-app, live on their user room), not one who is", async () => {
			const fresh = await schoolWithClass();
			const conv = await openConversation(fresh.student, fresh.teacher);
			const teacherChannel = await joinUserRoom(fresh.teacher);
			rooms.push(teacherChannel);
			const live = new Inbox(teacherChannel, "notification");

			// The teacher is in the chat room: no notification for this one.
			const teacherRoom = await joinChat(fresh.teacher, conv.id);
			const present = await http("POST", `/api/conversations/${conv.id}/messages`, { token: fresh.student.token, body: { clientId: "seen-1", text: "You are here" } });
			expect(present.status).to.equal(201);
			await teacherRoom.leave(true);
			await eventually(async () => ((await matchMaker.presence.exists(presenceKey(conv.id, fresh.teacher.id))) ? undefined : true), "presence cleared");

			const absent = await http("POST", `/api/conversations/${conv.id}/messages`, { token: fresh.student.token, body: { clientId: "away-1", text: "You are away" } });
			const pushed = await live.next(n => n.data?.messageId === absent.body.message.id, 5000, "the live notification");
			expect(pushed.type).to.equal("chat.message");
			expect(pushed.body).to.equal("You are away");
			const stored = await notificationsOf(fresh.teacher.token, "chat.message");
			expect(stored.map(n => n.data.messageId)).to.deep.equal([absent.body.message.id]);
			expect(live.received.some(n => n.data?.messageId === present.body.message.id)).to.equal(false);
			// The sender is never notified of their own message.
			expect(await notificationsOf(fresh.student.token, "chat.message")).to.have.length(0);
		});

		it("stores a retried client id once and answers the retry with the stored message", async () => {
			const teacherRoom = await joinChat(s.teacher, conversation.id);
			let studentRoom = await joinChat(s.student, conversation.id);
			rooms.push(teacherRoom);
			const delivered = new Inbox(teacherRoom, "message");
			const first = new Inbox(studentRoom, "sent");
			studentRoom.send("send", { clientId: "dup-1", text: "Only once" });
			const original = await first.next(m => m.clientId === "dup-1");
			expect(original.duplicate).to.equal(false);

			// The client reconnects and retries, over the room and then over REST.
			await studentRoom.leave(true);
			studentRoom = await joinChat(s.student, conversation.id);
			rooms.push(studentRoom);
			const retried = new Inbox(studentRoom, "sent");
			studentRoom.send("send", { clientId: "dup-1", text: "Only once" });
			const second = await retried.next(m => m.clientId === "dup-1");
			expect(second.duplicate).to.equal(true);
			expect(second.message.id).to.equal(original.message.id);
			const rest = await http("POST", `/api/conversations/${conversation.id}/messages`, { token: s.student.token, body: { clientId: "dup-1", text: "Only once" } });
			expect(rest.status).to.equal(200);
			expect(rest.body).to.deep.include({ duplicate: true });
			expect(rest.body.message.id).to.equal(original.message.id);

			expect(await Message.countDocuments({ conversationId: conversation.id, clientId: "dup-1" })).to.equal(1);
			// A marker message proves delivery order: by the time it arrives, a second copy would have too.
			studentRoom.send("send", { clientId: "dup-marker", text: "marker" });
			await delivered.next(m => m.clientId === "dup-marker");
			expect(delivered.received.filter(m => m.clientId === "dup-1")).to.have.length(1);
			// The same client id from the other member is another message.
			const teacherSame = await http("POST", `/api/conversations/${conversation.id}/messages`, { token: s.teacher.token, body: { clientId: "dup-1", text: "Mine" } });
			expect(teacherSame.status).to.equal(201);
		});

		it("answers bad messages with typed errors and keeps the room and the client alive", async () => {
			const studentRoom = await joinChat(s.student, conversation.id);
			rooms.push(studentRoom);
			const errors = new Inbox(studentRoom, "error");
			const left = new Promise<number>(resolve => studentRoom.onLeave((code: number) => resolve(code)));
			let closedCode: number | undefined;
			left.then(code => (closedCode = code));

			studentRoom.send("send", { clientId: "bad-1", text: 42 });
			expect(await errors.next(e => e.clientId === "bad-1")).to.include({ type: "VALIDATION_ERROR", command: "send" });
			studentRoom.send("send", "not an object");
			expect((await errors.next(e => e.command === "send" && !e.clientId)).type).to.equal("VALIDATION_ERROR");
			studentRoom.send("send", { clientId: "bad-2", text: "   " });
			expect(await errors.next(e => e.clientId === "bad-2")).to.include({ type: "VALIDATION_ERROR" });
			studentRoom.send("send", { clientId: "bad-3", text: "x".repeat(4001) });
			expect(await errors.next(e => e.clientId === "bad-3")).to.include({ type: "VALIDATION_ERROR" });
			studentRoom.send("send", { clientId: "bad-4", text: "quelle salope" });
			expect(await errors.next(e => e.clientId === "bad-4")).to.include({ type: "VALIDATION_ERROR" });
			studentRoom.send("read", { messageId: "0".repeat(24) });
			expect(await errors.next(e => e.command === "read")).to.include({ type: "NOT_FOUND" });
			studentRoom.send("dance", { please: true });
			expect(await errors.next(e => e.command === "dance")).to.include({ type: "UNKNOWN_MESSAGE" });

			// A request gets the same typed error as its rejection.
			const rejected = await studentRoom.request("send", { clientId: "bad-5" }).then(
				() => null,
				(e: any) => e,
			);
			expect(JSON.stringify(rejected)).to.match(/VALIDATION_ERROR/);

			const sent = new Inbox(studentRoom, "sent");
			studentRoom.send("send", { clientId: "good-after-bad", text: "Still here" });
			expect((await sent.next(m => m.clientId === "good-after-bad")).message.text).to.equal("Still here");
			expect(closedCode, "the client stays connected").to.equal(undefined);
			for (const clientId of ["bad-1", "bad-2", "bad-3", "bad-4", "bad-5"]) {
				expect(await Message.countDocuments({ conversationId: conversation.id, clientId }), clientId).to.equal(0);
			}
		});

		it("survives an unexpected failure: INTERNAL_ERROR to the client, onUncaughtException for timers", async () => {
			const studentRoom = await joinChat(s.student, conversation.id);
			rooms.push(studentRoom);
			const errors = new Inbox(studentRoom, "error");
			const broker = roomContext().broker as any;
			const original = broker.call;
			broker.call = function (this: unknown, action: string, ...rest: unknown[]) {
				if (action === "conversations.send") return Promise.reject(new Error("database exploded"));
				return original.call(this, action, ...rest);
			};
			try {
				studentRoom.send("send", { clientId: "boom-1", text: "hello" });
				const err = await errors.next(e => e.clientId === "boom-1");
				expect(err).to.include({ type: "INTERNAL_ERROR", message: "Something went wrong" });
			} finally {
				broker.call = original;
			}
			// Colyseus routes a failing timer to onUncaughtException, which logs it instead of crashing.
			const serverRoom: any = matchMaker.getLocalRoomById(studentRoom.roomId);
			const logger = roomContext().logger as any;
			const logged: string[] = [];
			const error = logger.error;
			logger.error = (...args: unknown[]) => void logged.push(String(args[0]));
			try {
				serverRoom.clock.setTimeout(() => {
					throw new Error("timer failure");
				}, 0);
				await eventually(async () => (logged.length > 0 ? true : undefined), "the timer failure to be reported");
			} finally {
				logger.error = error;
			}
			expect(logged[0]).to.match(/failed in setTimeout/);
			const sent = new Inbox(studentRoom, "sent");
			studentRoom.send("send", { clientId: "after-boom", text: "Still working" });
			expect((await sent.next(m => m.clientId === "after-boom")).duplicate).to.equal(false);
		});

		it("rate-limits a client with RATE_LIMITED, without storing the refused messages", async () => {
			const studentRoom = await joinChat(s.student, conversation.id);
			rooms.push(studentRoom);
			const errors = new Inbox(studentRoom, "error");
			const sent = new Inbox(studentRoom, "sent");
			const ids = Array.from({ length: 20 }, (_, i) => `burst-${i}`);
			for (const clientId of ids) studentRoom.send("send", { clientId, text: "burst" });
			const limited = await errors.next(e => e.type === "RATE_LIMITED");
			expect(limited.command).to.equal("send");
			await eventually(async () => (sent.received.length + errors.received.length >= ids.length ? true : undefined), "every burst message answered");
			const refused = errors.received.filter(e => e.type === "RATE_LIMITED").map(e => e.clientId);
			expect(sent.received.length).to.be.within(8, 12);
			expect(await Message.countDocuments({ conversationId: conversation.id, clientId: { $in: refused } })).to.equal(0);
		});

		it("relays typing to the others, throttled and never stored", async () => {
			const teacherRoom = await joinChat(s.teacher, conversation.id);
			const studentRoom = await joinChat(s.student, conversation.id);
			rooms.push(teacherRoom, studentRoom);
			const teacherSees = new Inbox(teacherRoom, "typing");
			const studentSees = new Inbox(studentRoom, "typing");
			const count = await Message.countDocuments({ conversationId: conversation.id });
			studentRoom.send("typing", {});
			studentRoom.send("typing", {});
			studentRoom.send("typing", { typing: false });
			expect(await teacherSees.next(t => t.typing === false)).to.deep.equal({ userId: s.student.id, typing: false });
			expect(teacherSees.received.filter(t => t.typing === true)).to.have.length(1);
			expect(studentSees.received).to.have.length(0);
			expect(await Message.countDocuments({ conversationId: conversation.id })).to.equal(count);
		});

		it("broadcasts read receipts and stores them per member", async () => {
			const teacherRoom = await joinChat(s.teacher, conversation.id);
			const studentRoom = await joinChat(s.student, conversation.id);
			rooms.push(teacherRoom, studentRoom);
			const res = await http("POST", `/api/conversations/${conversation.id}/messages`, { token: s.student.token, body: { clientId: unique("r"), text: "Read me" } });
			const studentSees = new Inbox(studentRoom, "read");
			teacherRoom.send("read", { messageId: res.body.message.id });
			const receipt = await studentSees.next(r => r.userId === s.teacher.id);
			expect(receipt.lastReadMessageId).to.equal(res.body.message.id);
			const conv = await http("GET", `/api/conversations/${conversation.id}`, { token: s.student.token });
			const teacherMember = conv.body.members.find((m: any) => m.userId === s.teacher.id);
			expect(teacherMember.lastReadMessageId).to.equal(res.body.message.id);
			// Reading an older message does not move the receipt back.
			const older = await http("GET", `/api/conversations/${conversation.id}/messages?limit=3`, { token: s.teacher.token });
			const back = await http("POST", `/api/conversations/${conversation.id}/read`, { token: s.teacher.token, body: { messageId: older.body.rows[2].id } });
			expect(back.status).to.equal(200);
			expect(back.body.lastReadMessageId).to.equal(res.body.message.id);
		});

		it("leaves no relay subscription, presence key or timer behind once the room is disposed", async () => {
			const fresh = await schoolWithClass();
			const conv = await openConversation(fresh.student, fresh.teacher);
			const relay = roomContext().relay;
			const baseline = relay.size();
			const teacherRoom = await joinChat(fresh.teacher, conv.id);
			const studentRoom = await joinChat(fresh.student, conv.id);
			const serverRoom: any = matchMaker.getLocalRoomById(teacherRoom.roomId);
			expect(relay.size()).to.be.greaterThan(baseline);
			expect(serverRoom.clock.delayed.length, "the presence refresh interval").to.be.greaterThan(0);
			await leaveAll([teacherRoom, studentRoom]);
			await eventually(async () => (matchMaker.getLocalRoomById(teacherRoom.roomId) ? undefined : true), "the room to be disposed");
			expect(relay.size()).to.equal(baseline);
			expect(await matchMaker.presence.exists(presenceKey(conv.id, fresh.teacher.id))).to.equal(false);
			expect(serverRoom.clock.delayed).to.have.length(0);
			// A REST message to a conversation with no room reaches no listener and fails nothing.
			const res = await http("POST", `/api/conversations/${conv.id}/messages`, { token: fresh.student.token, body: { clientId: "after", text: "nobody here" } });
			expect(res.status).to.equal(201);
		});
	});

	describe("safeguarding", () => {
		it("reports a message to the school admin, who reviews the conversation (audited)", async () => {
			const msg = await http("POST", `/api/conversations/${conversation.id}/messages`, { token: s.student.token, body: { clientId: unique("rep"), text: "Something odd" } });
			const adminChannel = await joinUserRoom(s.admin);
			rooms.push(adminChannel);
			const live = new Inbox(adminChannel, "notification");

			expect((await http("POST", `/api/messages/${msg.body.message.id}/report`, { token: s.student.token, body: { reason: "mine" } })).status).to.equal(422);
			const report = await http("POST", `/api/messages/${msg.body.message.id}/report`, { token: s.teacher.token, body: { reason: "Inappropriate" } });
			expect(report.status, JSON.stringify(report.body)).to.equal(200);
			expect(report.body.reportedAt).to.be.a("string");
			const again = await http("POST", `/api/messages/${msg.body.message.id}/report`, { token: s.teacher.token, body: { reason: "Twice" } });
			expect(again.status).to.equal(200);

			const pushed = await live.next(n => n.type === "chat.report" && n.data.messageId === msg.body.message.id);
			expect(pushed.data.conversationId).to.equal(conversation.id);
			const reports = await http("GET", "/api/reports", { token: s.admin.token });
			expect(reports.status).to.equal(200);
			const row = reports.body.rows.find((r: any) => r.id === msg.body.message.id);
			expect(row.reports).to.have.length(1);
			expect(row.reports[0]).to.include({ userId: s.teacher.id, reason: "Inappropriate" });
			expect((await http("GET", "/api/reports", { token: s.teacher.token })).status).to.equal(403);
			// History never shows who reported.
			const history = await http("GET", `/api/conversations/${conversation.id}/messages`, { token: s.student.token });
			expect(history.body.rows[0]).to.not.have.property("reports");

			const review = await http("GET", `/api/conversations/${conversation.id}/messages`, { token: s.admin.token });
			expect(review.status).to.equal(200);
			expect(review.body.rows.some((m: any) => m.id === msg.body.message.id)).to.equal(true);
			const audit = await http("GET", "/api/audit?action=conversation.reviewed", { token: s.admin.token });
			expect(audit.body.rows[0]).to.include({ action: "conversation.reviewed", actorId: s.admin.id, targetId: conversation.id });

			// Only members write; only teacher ↔ student conversations are reviewable; only by this school's admin.
			expect((await http("POST", `/api/conversations/${conversation.id}/messages`, { token: s.admin.token, body: { clientId: "adm", text: "hi" } })).status).to.equal(404);
			const other = await signupSchool();
			expect((await http("GET", `/api/conversations/${conversation.id}/messages`, { token: other.admin.token })).status).to.equal(404);
			const secondAdmin = await invite(s.admin, "school_admin");
			const ta = await openConversation(s.teacher, secondAdmin);
			expect((await http("GET", `/api/conversations/${ta.id}/messages`, { token: s.admin.token })).status).to.equal(404);
			const reviews = await http("GET", "/api/audit?action=conversation.reviewed", { token: s.admin.token });
			expect(reviews.body.total).to.equal(1);
		});
	});
});
