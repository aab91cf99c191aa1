/**
 * `two processes` (chat): two realtime processes sharing presence and matchmaking through Redis, the
 * services in a third process, all over NATS. A student's room lives on process A; the teacher
 * matchmakes through process B and lands in that same room; messages posted through A's room and over
 * REST reach them, and the teacher's own channel on B gets the notifications of messages sent while
 * they are out of the room.
 */
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { Inbox } from "../support/chat.js";
import { portOf, RealtimeCluster, type Member } from "../support/realtime-cluster.js";

describe("two processes (chat over Redis presence and NATS)", function () {
	this.timeout(180_000);
	const cluster = new RealtimeCluster("rt");
	const { rooms } = cluster;
	let teacher: Member;
	let student: Member;
	let conversationId = "";
	let studentRoom: Room;
	let teacherRoom: Room;

	before(async () => {
		await cluster.start();
		const adminEmail = `rt-admin-${randomUUID().slice(0, 8)}@school.test`;
		await cluster.signup("Two Processes School", adminEmail);
		const admin = await cluster.login(adminEmail);
		const member = (role: "teacher" | "student") => cluster.member(admin, role, `rt-${role}-${randomUUID().slice(0, 8)}@school.test`);
		teacher = await member("teacher");
		student = await member("student");
		expect((await cluster.call("POST", "/api/classes", { name: "6e B", teacherIds: [teacher.id], studentIds: [student.id] }, admin.token)).status).to.equal(201);
		const opened = await cluster.call("POST", "/api/conversations", { userId: teacher.id }, student.token);
		expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
		conversationId = opened.body.id;
		await cluster.realtimeReady(teacher);
	});

	after(() => cluster.stop());

	it("puts a member matchmaking on B into the room hosted on A, and delivers A-room and REST messages to them", async () => {
		studentRoom = await cluster.sdk(cluster.portA, student.token).joinOrCreate("chat", { conversationId });
		rooms.push(studentRoom);
		expect(portOf(studentRoom), "the room is created where it was asked for").to.equal(cluster.portA);
		teacherRoom = await cluster.sdk(cluster.portB, teacher.token).joinOrCreate("chat", { conversationId });
		rooms.push(teacherRoom);
		expect(teacherRoom.roomId, "one room for the conversation across processes").to.equal(studentRoom.roomId);
		expect(portOf(teacherRoom), "B sent the teacher to the process hosting the room").to.equal(cluster.portA);
		for (const room of [studentRoom, teacherRoom]) for (const type of ["sent", "read", "typing", "error"]) room.onMessage(type, () => undefined);

		const teacherSees = new Inbox(teacherRoom, "message");
		const studentSees = new Inbox(studentRoom, "message");
		studentRoom.send("send", { clientId: "two-1", text: "Through A's room" });
		expect((await teacherSees.next(m => m.clientId === "two-1", 10_000)).text).to.equal("Through A's room");

		const rest = await cluster.call("POST", `/api/conversations/${conversationId}/messages`, { clientId: "two-2", text: "Over REST" }, teacher.token);
		expect(rest.status, JSON.stringify(rest.body)).to.equal(201);
		expect((await studentSees.next(m => m.clientId === "two-2", 10_000)).id).to.equal(rest.body.message.id);
		expect((await teacherSees.next(m => m.clientId === "two-2", 10_000)).id).to.equal(rest.body.message.id);
	});

	it("pushes the notification of a message sent through A's room to the teacher's channel on B", async () => {
		const channel = await cluster.sdk(cluster.portB, teacher.token).joinOrCreate("user", { userId: teacher.id });
		rooms.push(channel);
		expect(portOf(channel), "the teacher's channel lives on B").to.equal(cluster.portB);
		const pushed = new Inbox(channel, "notification");
		// The teacher leaves the conversation's room (on A): presence in Redis says they are away.
		expect(teacherRoom, "needs the first test's rooms").to.not.equal(undefined);
		await teacherRoom.leave(true);
		const sent = new Inbox(studentRoom, "sent");
		studentRoom.send("send", { clientId: "two-3", text: "Are you there?" });
		const { message } = await sent.next(m => m.clientId === "two-3", 10_000);
		const notification = await pushed.next(n => n.data?.messageId === message.id, 15_000, "the notification on B");
		expect(notification).to.include({ type: "chat.message", userId: teacher.id });
	});
});
