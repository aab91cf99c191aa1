/**
 * `scenario 3` — Communication professeur ⇄ élève, step by step as the seed tells it:
 * 1 the student opens messaging and sends to their teacher (WebSocket); 2 the message reaches the
 * communication service; 3 rights, same school, content, create-or-get; 4 it is stored; 5 the teacher
 * receives it live over WebSocket; 6 offline: a notification, and the reporting event.
 */
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import type { Service } from "moleculer";
import { Message } from "../../models/message.model.js";
import { invite } from "../support/accounts.js";
import { eventually, Inbox, joinChat, joinUserRoom, leaveAll, schoolWithClass, type ChatSchool } from "../support/chat.js";
import { bootPlatform, http } from "../support/platform.js";

describe("scenario 3: teacher ⇄ student messaging", function () {
	this.timeout(30_000);
	let s: ChatSchool;
	let other: ChatSchool;
	let conversationId: string;
	let studentRoom: Room;
	let teacherRoom: Room;
	let probe: Service;
	const reported: any[] = [];
	const rooms: Room[] = [];

	before(async () => {
		[s, other] = await Promise.all([schoolWithClass(), schoolWithClass()]);
		const { broker } = await bootPlatform();
		// Stands in for reporting: a consumer of the durable feed.
		probe = broker.createService({
			name: "scenario3-reporting-probe",
			channels: {
				"communication.message.sent": { group: "scenario3-reporting-probe", handler: (msg: any) => void reported.push(msg?.params ?? msg) },
			},
		} as any);
		await broker.waitForServices("scenario3-reporting-probe");
	});

	after(async () => {
		await leaveAll(rooms);
		const { broker } = await bootPlatform();
		await broker.destroyService(probe);
	});

	it("step 1: the student opens messaging and their conversation with their teacher", async () => {
		const inbox = await http("GET", "/api/conversations", { token: s.student.token });
		expect(inbox.status).to.equal(200);
		expect(inbox.body.rows).to.have.length(0);
		const opened = await http("POST", "/api/conversations", { token: s.student.token, body: { userId: s.teacher.id } });
		expect(opened.status).to.equal(201);
		conversationId = opened.body.id;
		teacherRoom = await joinChat(s.teacher, conversationId);
		studentRoom = await joinChat(s.student, conversationId);
		rooms.push(teacherRoom, studentRoom);
	});

	it("steps 2-5: the message goes to the communication service, is stored, and the teacher receives it live", async () => {
		const live = new Inbox(teacherRoom, "message");
		const ack = new Inbox(studentRoom, "sent");
		studentRoom.send("send", { clientId: "s3-1", text: "Bonjour, je n'ai pas compris l'exercice 4" });
		const received = await live.next(m => m.clientId === "s3-1");
		expect(received).to.include({ senderId: s.student.id, conversationId, text: "Bonjour, je n'ai pas compris l'exercice 4" });
		const stored = await Message.findById(received.id);
		expect(stored?.text).to.equal(received.text);
		expect((await ack.next(m => m.clientId === "s3-1")).message.id).to.equal(received.id);
		const history = await http("GET", `/api/conversations/${conversationId}/messages`, { token: s.teacher.token });
		expect(history.body.rows[0].id).to.equal(received.id);
	});

	it("step 3: rights to contact, same school, content and create-or-get are checked", async () => {
		const colleague = await invite(s.admin, "teacher");
		const notMyTeacher = await http("POST", "/api/conversations", { token: s.student.token, body: { userId: colleague.id } });
		expect(notMyTeacher.status).to.equal(403);
		const otherSchool = await http("POST", "/api/conversations", { token: s.student.token, body: { userId: other.teacher.id } });
		expect(otherSchool.status).to.equal(404);
		const errors = new Inbox(studentRoom, "error");
		studentRoom.send("send", { clientId: "s3-bad", text: "  " });
		expect((await errors.next(e => e.clientId === "s3-bad")).type).to.equal("VALIDATION_ERROR");
		const again = await http("POST", "/api/conversations", { token: s.student.token, body: { userId: s.teacher.id } });
		expect(again.status).to.equal(200);
		expect(again.body.id).to.equal(conversationId);
	});

	it("step 6: an offline teacher gets a notification, live on their own channel, and reporting gets the event", async () => {
		await teacherRoom.leave(true);
		rooms.splice(rooms.indexOf(teacherRoom), 1);
		const channel = await joinUserRoom(s.teacher);
		rooms.push(channel);
		const pushed = new Inbox(channel, "notification");
		const ack = new Inbox(studentRoom, "sent");
		studentRoom.send("send", { clientId: "s3-2", text: "Vous êtes là ?" });
		const { message } = await ack.next(m => m.clientId === "s3-2");
		const notification = await pushed.next(n => n.data?.messageId === message.id);
		expect(notification).to.include({ type: "chat.message", userId: s.teacher.id, schoolId: s.school.id });
		const inbox = await http("GET", "/api/notifications?unread=true", { token: s.teacher.token });
		expect(inbox.body.rows.map((n: any) => n.data.messageId)).to.include(message.id);

		const event = await eventually(async () => reported.find(e => e.messageId === message.id), "the durable reporting event");
		expect(event, "the durable reporting event").to.include({ id: `communication.message.sent:${message.id}`, schoolId: s.school.id, conversationId, senderId: s.student.id, kind: "student_teacher" });
		expect(event).to.not.have.property("text");
	});
});
