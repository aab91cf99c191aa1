/**
 * `room tenancy`: chat and user rooms admit only their own members, whichever way a client joins
 * (joinOrCreate by conversation, joinById by room id), and a suspended account is disconnected.
 */
import { matchMaker } from "@colyseus/core";
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { ROOM_CLOSE } from "../../rooms/protocol.js";
import { invite } from "../support/accounts.js";
import { eventually, joinChat, joinFails, joinUserRoom, leaveAll, openConversation, realtimeEndpoint, schoolWithClass, sdkClient, type ChatSchool } from "../support/chat.js";
import { http } from "../support/platform.js";

describe("room tenancy", function () {
	this.timeout(30_000);
	let s: ChatSchool;
	let other: ChatSchool;
	let conversation: any;
	let endpoint: string;
	const rooms: Room[] = [];

	before(async () => {
		[s, other] = await Promise.all([schoolWithClass(), schoolWithClass()]);
		conversation = await openConversation(s.student, s.teacher);
		endpoint = await realtimeEndpoint();
	});

	afterEach(async () => {
		await leaveAll(rooms.splice(0));
	});

	// filterBy puts the conversation id in the room listing.
	const chatRoomsOf = (conversationId: string) => matchMaker.query({ name: "chat", conversationId } as any);

	it("refuses a conversation room to a user of another school, by conversation and without creating it", async () => {
		const err = await joinFails(joinChat(other.teacher, conversation.id));
		expect(err.message).to.match(/not found/i);
		expect(await chatRoomsOf(conversation.id)).to.have.length(0);
	});

	it("refuses a conversation room by room id to another school's user and to a non-member of the same school", async () => {
		const member = await joinChat(s.student, conversation.id);
		rooms.push(member);
		const otherConversation = await openConversation(other.student, other.teacher);
		// Their own conversation's id in the options does not open someone else's room.
		const byId = sdkClient(endpoint, other.student.token).joinById(member.roomId, { conversationId: otherConversation.id });
		expect((await joinFails(byId)).message).to.match(/not found/i);
		const colleague = await invite(s.admin, "teacher");
		expect((await joinFails(sdkClient(endpoint, colleague.token).joinById(member.roomId))).message).to.match(/not found/i);
		const serverRoom = matchMaker.getLocalRoomById(member.roomId);
		expect(serverRoom.clients.length, "only the member is in").to.equal(1);
	});

	it("refuses someone else's user room, by user id and by room id", async () => {
		const own = await joinUserRoom(s.teacher);
		rooms.push(own);
		const named = sdkClient(endpoint, other.teacher.token).joinOrCreate("user", { userId: s.teacher.id });
		expect((await joinFails(named)).message).to.match(/own channel/i);
		const sameSchool = sdkClient(endpoint, s.student.token).joinById(own.roomId, { userId: s.student.id });
		expect((await joinFails(sameSchool)).message).to.match(/own channel/i);
		expect(matchMaker.getLocalRoomById(own.roomId).clients.length).to.equal(1);
	});

	it("refuses a join without a valid token", async () => {
		expect((await joinFails(sdkClient(endpoint, "").joinOrCreate("chat", { conversationId: conversation.id }))).message).to.match(/authentication required/i);
		expect((await joinFails(sdkClient(endpoint, "not.a.jwt").joinOrCreate("user", { userId: s.student.id }))).message).to.match(/invalid access token/i);
	});

	it("disconnects a suspended user from every room and refuses their still-valid token", async () => {
		const fresh = await schoolWithClass();
		const conv = await openConversation(fresh.student, fresh.teacher);
		const chat = await joinChat(fresh.student, conv.id);
		const channel = await joinUserRoom(fresh.student);
		const teacherChat = await joinChat(fresh.teacher, conv.id);
		rooms.push(teacherChat);
		const closed = (room: Room) => new Promise<number>(resolve => room.onLeave((code: number) => resolve(code)));
		const [chatClosed, channelClosed] = [closed(chat), closed(channel)];

		const res = await http("POST", `/api/users/${fresh.student.id}/suspend`, { token: fresh.admin.token });
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
		expect(await chatClosed).to.equal(ROOM_CLOSE.ACCOUNT_CHANGED);
		expect(await channelClosed).to.equal(ROOM_CLOSE.ACCOUNT_CHANGED);
		const remaining = await eventually(async () => {
			const ids = matchMaker.getLocalRoomById(teacherChat.roomId).clients.map((c: any) => c.auth.id);
			return ids.length === 1 ? ids : undefined;
		}, "the student's connection to close on the server");
		expect(remaining, "the teacher stays").to.deep.equal([fresh.teacher.id]);
		expect((await joinFails(joinChat(fresh.student, conv.id))).message).to.match(/not active/i);
	});

	it("disconnects a user whose roles change", async () => {
		const fresh = await schoolWithClass();
		const channel = await joinUserRoom(fresh.teacher);
		const closed = new Promise<number>(resolve => channel.onLeave((code: number) => resolve(code)));
		const res = await http("PATCH", `/api/users/${fresh.teacher.id}/roles`, { token: fresh.admin.token, body: { roles: ["teacher", "school_admin"] } });
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
		expect(await closed).to.equal(ROOM_CLOSE.ACCOUNT_CHANGED);
	});
});
