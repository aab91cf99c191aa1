/**
 * `room tenancy` for live group sessions: a user of another school joins neither by code (matchmaking or
 * REST) nor by room id, and takes no seat; a student of the same school outside the class is refused;
 * only the server opens group rooms; opening one needs the plan's live_sessions module and the class's
 * teacher; a suspended student is disconnected.
 */
import { matchMaker } from "@colyseus/core";
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { LiveSession } from "../../models/live-session.model.js";
import { ROOM_CLOSE } from "../../rooms/protocol.js";
import { invite } from "../support/accounts.js";
import { joinFails, realtimeEndpoint } from "../support/chat.js";
import { joinByCode, joinByRoomId, leaveAll, liveSchool, openLive, sdk, setPlan, Wire, type LiveSchool } from "../support/live.js";
import { http } from "../support/platform.js";

describe("room tenancy (live group sessions)", function () {
	this.timeout(60_000);
	let s: LiveSchool;
	let other: LiveSchool;
	let session: any;
	const rooms: Room[] = [];

	before(async () => {
		[s, other] = await Promise.all([liveSchool({ students: 2 }), liveSchool({ students: 1 })]);
		const opened = await openLive(s);
		expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
		session = opened.body;
	});

	afterEach(async () => {
		await leaveAll(rooms.splice(0));
	});

	const seats = () => matchMaker.getLocalRoomById(session.roomId).clients.length;

	it("refuses another school's users by code, over REST and matchmaking, and by room id, taking no seat", async () => {
		const teacherRoom = await joinByRoomId(s.teacher, session.roomId);
		rooms.push(teacherRoom);
		new Wire(teacherRoom);
		const before = seats();
		for (const outsider of [other.students[0], other.teacher]) {
			const rest = await http("POST", "/api/live-sessions/join", { token: outsider.token, body: { code: session.joinCode } });
			expect(rest.status, JSON.stringify(rest.body)).to.equal(404);
			expect((await joinFails(joinByCode(outsider, session.joinCode))).message).to.match(/not found/i);
			expect((await joinFails(joinByRoomId(outsider, session.roomId))).message).to.match(/not found/i);
		}
		// Naming their own session in the options does not open this room either.
		const theirs = await openLive(other);
		expect(theirs.status).to.equal(201);
		const endpoint = await realtimeEndpoint();
		const disguised = sdk(endpoint, other.students[0].token).joinById(session.roomId, { code: theirs.body.joinCode });
		expect((await joinFails(disguised)).message).to.match(/another live session|not found/i);
		expect(seats(), "no seat taken").to.equal(before);
		const record = await http("GET", `/api/live-sessions/${session.id}`, { token: other.teacher.token });
		expect(record.status).to.equal(404);
	});

	it("refuses a student of the same school outside the class, and another teacher", async () => {
		const rest = await http("POST", "/api/live-sessions/join", { token: s.outsider.token, body: { code: session.joinCode } });
		expect(rest.status).to.equal(403);
		expect((await joinFails(joinByCode(s.outsider, session.joinCode))).message).to.match(/do not take part/i);
		expect((await joinFails(joinByRoomId(s.outsider, session.roomId))).message).to.match(/do not take part/i);
		const colleague = await invite(s.admin, "teacher");
		expect((await joinFails(joinByRoomId(colleague, session.roomId))).message).to.match(/do not take part/i);
		const member = await joinByCode(s.students[0], session.joinCode);
		rooms.push(member);
		new Wire(member);
		expect(member.roomId).to.equal(session.roomId);
	});

	it("lets no client create a group room", async () => {
		const endpoint = await realtimeEndpoint();
		const err = await joinFails(sdk(endpoint, s.teacher.token).create("group", { liveSessionId: session.id }));
		expect(err.message).to.match(/opened over REST/i);
		expect((await joinFails(sdk(endpoint, s.students[0].token).joinOrCreate("group", { code: "ZZZZZZ" }))).message).to.match(/not found/i);
	});

	it("opens a session only for the class's teacher, on a plan with live sessions; a refusal stores nothing", async () => {
		const count = () => LiveSession.countDocuments({ schoolId: s.school.id });
		const before = await count();
		expect((await openLive(s, {}, s.students[0])).status).to.equal(403);
		const colleague = await invite(s.admin, "teacher");
		const notTheirs = await openLive(s, {}, colleague);
		expect(notTheirs.status).to.equal(403);
		expect((await openLive(s, { pathId: other.pathId })).status, "another school's path").to.equal(404);
		expect((await openLive(s, { questionCount: 0 })).status).to.equal(422);
		expect((await openLive(s, { stepId: "nope" })).status).to.equal(404);
		await setPlan(s.school.id, "trial");
		try {
			const refused = await openLive(s);
			expect(refused.status).to.equal(403);
			expect(refused.body.error.type).to.equal("PLAN_FORBIDS");
		} finally {
			await setPlan(s.school.id, "essential");
		}
		expect(await count()).to.equal(before);
	});

	it("disconnects a suspended student", async () => {
		const fresh = await liveSchool({ students: 1 });
		const opened = await openLive(fresh);
		const room = await joinByRoomId(fresh.students[0], opened.body.roomId);
		new Wire(room);
		const closed = new Promise<number>(resolve => room.onLeave((code: number) => resolve(code)));
		const res = await http("POST", `/api/users/${fresh.students[0].id}/suspend`, { token: fresh.admin.token });
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
		expect(await closed).to.equal(ROOM_CLOSE.ACCOUNT_CHANGED);
		const joinAgain = joinByRoomId(fresh.students[0], opened.body.roomId);
		expect((await joinFails(joinAgain)).message).to.match(/not active/i);
	});
});
