/**
 * `group session`: a teacher and five students run a live revision session over the real SDK, with a late
 * join, a leave and rejoin, a dropped connection and its reconnection; scores, leaderboard, persisted
 * revision sessions and memory states are checked, and everything students receive before a reveal is
 * scanned for answer keys. Then the teacher's absence: pause, and the end after the grace period.
 */
import { matchMaker } from "@colyseus/core";
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { ReviewLog } from "../../models/review-log.model.js";
import { RevisionSession } from "../../models/revision-session.model.js";
import { roomContext } from "../../rooms/context.js";
import { MAX_POINTS } from "../../services/learning/live/live-scoring.js";
import { eventually, realtimeEndpoint } from "../support/chat.js";
import { callInSchool } from "../support/learning-content.js";
import { expectNoAnswerKeys, manualLearningClock } from "../support/learning-sessions.js";
import { asLearningSchool, leaveAll, joinByCode, joinByRoomId, liveSchool, nameOfItem, openLive, RIGHT_LIVE, sdk, Wire, WRONG_LIVE, type LiveSchool } from "../support/live.js";
import { http } from "../support/platform.js";

describe("group session", function () {
	this.timeout(90_000);
	let s: LiveSchool;
	const rooms: Room[] = [];

	before(async () => {
		s = await liveSchool({ students: 5 });
	});

	afterEach(async () => {
		await leaveAll(rooms.splice(0));
		delete process.env.LIVE_TEACHER_GRACE_SECONDS;
	});

	it("runs a session: late join, rejoin and reconnect keep scores; answers are recorded before acks, reveals and the end", async () => {
		const opened = await openLive(s, { questionCount: 3, timeLimitSeconds: 20 });
		expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
		const { id, roomId, joinCode } = opened.body;
		expect(joinCode).to.match(/^[A-Z2-9]{6}$/);
		expect(opened.body.questionCount).to.equal(3);
		expect(opened.body).to.not.have.property("items");

		const teacherRoom = await joinByRoomId(s.teacher, roomId);
		rooms.push(teacherRoom);
		const teacher = new Wire(teacherRoom);
		// Two students by code through matchmaking, two by the REST lookup and the room id.
		const wires: Wire[] = [];
		const studentRooms: Room[] = [];
		for (const [i, student] of s.students.slice(0, 4).entries()) {
			let room: Room;
			if (i < 2) room = await joinByCode(student, joinCode);
			else {
				const found = await http("POST", "/api/live-sessions/join", { token: student.token, body: { code: joinCode } });
				expect(found.status, JSON.stringify(found.body)).to.equal(200);
				expect(found.body).to.include({ id, roomId, role: "student" });
				room = await joinByRoomId(student, found.body.roomId);
			}
			expect(room.roomId).to.equal(roomId);
			rooms.push(room);
			studentRooms.push(room);
			wires.push(new Wire(room));
		}
		await teacher.stateWhere(st => Object.keys(st.players).length === 4 && st.teacherConnected === true);

		// A student may not drive the session; bad answers are typed errors, the client stays.
		studentRooms[0].send("start", {});
		expect(await wires[0].next("error", e => e.command === "start")).to.include({ type: "FORBIDDEN" });

		// --- question 0 ---
		teacherRoom.send("start", {});
		const q0 = await wires[0].next("question", q => q.index === 0);
		expect(q0.count).to.equal(3);
		expect(q0.item).to.not.have.property("accepted");
		const item0 = nameOfItem(s, q0.item.id);
		studentRooms[1].send("answer", { questionIndex: 0, clientId: "bad", answer: { nonsense: true } });
		expect(await wires[1].next("error", e => e.command === "answer")).to.include({ type: "VALIDATION_ERROR" });

		const answerOf = async (k: number, answer: unknown, clientId = `s${k}-q`) => {
			const before = wires[k].of("answered").length;
			studentRooms[k].send("answer", { questionIndex: wires[k].of("question").at(-1).index, clientId, answer });
			return wires[k].until(() => wires[k].of("answered")[before], "the acknowledgement");
		};
		const ack0 = await answerOf(0, RIGHT_LIVE[item0]);
		expect(ack0).to.deep.include({ questionIndex: 0, recorded: true, duplicate: false });
		expect(ack0, "an ack says nothing of correctness").to.not.have.any.keys("correct", "points", "score");
		// Acknowledged only once recorded: the review is in memory already.
		const logs0 = await ReviewLog.find({ studentId: s.students[0].id, itemId: q0.item.id });
		expect(logs0.map(l => l.source)).to.deep.equal(["group"]);
		await answerOf(1, WRONG_LIVE[item0]);
		await answerOf(2, RIGHT_LIVE[item0]);
		// Once per question: another answer is refused, a retry of the same one is acknowledged again.
		studentRooms[0].send("answer", { questionIndex: 0, clientId: "s0-other", answer: WRONG_LIVE[item0] });
		expect(await wires[0].next("error", e => e.command === "answer")).to.include({ type: "ALREADY_ANSWERED" });
		expect(await answerOf(0, RIGHT_LIVE[item0], "s0-q")).to.include({ duplicate: true });
		expect(await ReviewLog.countDocuments({ studentId: s.students[0].id, itemId: q0.item.id })).to.equal(1);
		// The teacher sees who has answered (student 3 has not).
		const seen = await teacher.stateWhere(st => st.answeredCount === 3);
		expect(seen.players[s.students[3].id].answered).to.equal(false);
		expect(seen.players[s.students[0].id].answered).to.equal(true);
		// Before the reveal, nothing a student received holds a key, and no score has moved.
		for (const [k, w] of wires.entries()) expectNoAnswerKeys(w.everything(), asLearningSchool(s), new Set(), `student ${k} before reveal 0`);
		expect(Object.values(seen.players).map((p: any) => p.score)).to.deep.equal([0, 0, 0, 0]);

		teacherRoom.send("reveal", {});
		const reveal0 = await wires[3].next("reveal", r => r.questionIndex === 0);
		expect(reveal0.feedback.id).to.equal(q0.item.id);
		expect(reveal0.feedback).to.have.property("expected");
		const result0 = await wires[0].next("result", r => r.questionIndex === 0);
		expect(result0).to.include({ answered: true, correct: true });
		expect(result0.points).to.be.within(MAX_POINTS / 2, MAX_POINTS);
		expect(await wires[1].next("result", r => r.questionIndex === 0)).to.include({ correct: false, points: 0 });
		expect(await wires[3].next("result", r => r.questionIndex === 0)).to.include({ answered: false, points: 0 });
		const board0 = await teacher.stateWhere(st => st.status === "revealed" && st.players[s.students[0].id].score > 0);
		expect(board0.players[s.students[0].id].rank).to.equal(1);
		expect(board0.players[s.students[1].id].score).to.equal(0);
		expect(Object.values(board0.distribution).reduce((a: number, b: any) => a + b, 0)).to.equal(3);

		// --- question 1: a late join, a leave and rejoin, a dropped connection and its reconnection ---
		teacherRoom.send("next", {});
		const q1 = await wires[0].next("question", q => q.index === 1);
		const item1 = nameOfItem(s, q1.item.id);
		const late = await joinByCode(s.students[4], joinCode);
		rooms.push(late);
		studentRooms.push(late);
		const lateWire = new Wire(late);
		wires.push(lateWire);
		expect((await lateWire.next("question")).index, "a late joiner gets the open question").to.equal(1);

		const scoreOf2 = board0.players[s.students[2].id].score;
		await studentRooms[2].leave(true);
		await teacher.stateWhere(st => st.players[s.students[2].id].connected === false);
		const rejoined = await joinByRoomId(s.students[2], roomId);
		rooms.push(rejoined);
		studentRooms[2] = rejoined;
		wires[2] = new Wire(rejoined);
		await wires[2].next("question", q => q.index === 1);
		expect(wires[2].state.players[s.students[2].id].score, "the score survives leaving").to.equal(scoreOf2);

		const token = studentRooms[1].reconnectionToken;
		const dropped = studentRooms[1];
		dropped.reconnection.enabled = false;
		await dropped.leave(false);
		await teacher.stateWhere(st => st.players[s.students[1].id].connected === false);
		const back = await sdk(await realtimeEndpoint(), s.students[1].token).reconnect(token);
		rooms.push(back);
		studentRooms[1] = back;
		wires[1] = new Wire(back);
		expect(back.sessionId, "the same seat").to.equal(dropped.sessionId);
		await wires[1].next("question", q => q.index === 1);
		await teacher.stateWhere(st => st.players[s.students[1].id].connected === true);

		await answerOf(1, RIGHT_LIVE[item1]);
		await answerOf(2, RIGHT_LIVE[item1]);
		await answerOf(4, RIGHT_LIVE[item1]);
		for (const [k, w] of wires.entries()) expectNoAnswerKeys(w.everything(), asLearningSchool(s), new Set([q0.item.id]), `student ${k} before reveal 1`);
		teacherRoom.send("reveal", {});
		const board1 = await teacher.stateWhere(st => st.status === "revealed" && st.questionIndex === 1);
		expect(board1.players[s.students[2].id].score).to.be.greaterThan(scoreOf2);
		expect(board1.players[s.students[4].id].score).to.be.greaterThan(0);

		// --- question 2, then the end ---
		teacherRoom.send("next", {});
		const q2 = await wires[0].next("question", q => q.index === 2);
		await answerOf(0, RIGHT_LIVE[nameOfItem(s, q2.item.id)]);
		teacherRoom.send("end", {});
		const ended = await wires[0].next("ended");
		expect(ended.reason).to.equal("ended_by_teacher");
		const board = ended.leaderboard as { studentId: string; score: number; rank: number; answered: number }[];
		expect(board.map(r => r.studentId)).to.have.members(s.students.map(x => x.id));
		expect(board[0].rank).to.equal(1);
		expect(board.find(r => r.studentId === s.students[3].id)).to.include({ score: 0, answered: 0 });
		expect(board.find(r => r.studentId === s.students[0].id)!.answered).to.equal(2);

		// Persisted before the leaderboard went out: one group session per student, each answer a review in memory.
		const stored = await RevisionSession.find({ liveSessionId: id }).lean();
		expect(stored.map((r: any) => String(r.studentId))).to.have.members(s.students.map(x => x.id));
		for (const doc of stored as any[]) {
			expect(doc.mode).to.equal("group");
			expect(doc.status).to.equal("completed");
			const entry = board.find(r => r.studentId === String(doc.studentId))!;
			expect(doc.answers.length, `answers of ${doc.studentId}`).to.equal(entry.answered);
			expect(doc.summary.answered).to.equal(entry.answered);
		}
		const states = await callInSchool(s.school.id, "memory.states", { studentId: s.students[0].id, itemIds: [q0.item.id, q2.item.id] });
		expect(states.map((st: any) => st.itemId)).to.have.members([q0.item.id, q2.item.id]);
		expect(states.every((st: any) => st.reps === 1)).to.equal(true);
		expect(await ReviewLog.countDocuments({ studentId: s.students[3].id })).to.equal(0);
		// The student sees it among their sessions, over REST.
		const mine = await http("GET", "/api/revision-sessions", { token: s.students[0].token });
		expect(mine.body.rows.some((r: any) => r.mode === "group" && r.summary.answered === 2)).to.equal(true);

		const record = await http("GET", `/api/live-sessions/${id}`, { token: s.teacher.token });
		expect(record.body).to.include({ status: "ended", endReason: "ended_by_teacher" });
		expect(record.body.leaderboard).to.have.length(5);
		// The room is gone, with its timers and subscriptions.
		await eventually(async () => (matchMaker.getLocalRoomById(roomId) ? undefined : true), "the room to be disposed");
		const joinAgain = await http("POST", "/api/live-sessions/join", { token: s.students[0].token, body: { code: joinCode } });
		expect(joinAgain.status).to.equal(409);
	});

	it("after the planned questions, asks a review question of the students whose learning step has elapsed, for no points", async () => {
		const fresh = await liveSchool({ students: 2 });
		// the learning services' clock, moved by hand: memory schedules the steps with it, the room stamps answers with it
		const clock = manualLearningClock(Date.now());
		try {
			const opened = await openLive(fresh, { questionCount: 1, timeLimitSeconds: 20 });
			expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
			const { id, roomId } = opened.body;
			const teacherRoom = await joinByRoomId(fresh.teacher, roomId);
			rooms.push(teacherRoom);
			const teacher = new Wire(teacherRoom);
			const [a, b] = fresh.students;
			const roomA = await joinByRoomId(a, roomId);
			const roomB = await joinByRoomId(b, roomId);
			rooms.push(roomA, roomB);
			const [wireA, wireB] = [new Wire(roomA), new Wire(roomB)];
			await teacher.stateWhere(st => Object.keys(st.players).length === 2);

			teacherRoom.send("start", {});
			const q0 = await wireA.next("question", q => q.index === 0);
			const name = nameOfItem(fresh, q0.item.id);
			roomA.send("answer", { questionIndex: 0, clientId: "a0", answer: WRONG_LIVE[name] });
			roomB.send("answer", { questionIndex: 0, clientId: "b0", answer: RIGHT_LIVE[name] });
			await wireA.next("answered");
			await wireB.next("answered");
			teacherRoom.send("reveal", {});
			// a wrong first answer: its first learning step (1 minute) is the next to fall due
			const revealed = await teacher.stateWhere(st => st.status === "revealed" && st.nextReviewAt > 0);
			expect(revealed.nextReviewAt).to.be.closeTo(clock.now().getTime() + 60_000, 1_000);
			const scoreB = revealed.players[b.id].score;
			expect(scoreB).to.be.greaterThan(0);

			// a minute on: the step has elapsed for A only, so the review question is A's
			clock.advance(61, "s");
			teacherRoom.send("next", {});
			const review = await wireA.next("question", q => q.index === 1);
			expect(review).to.deep.include({ review: true, for: [a.id] });
			expect(review.item.id).to.equal(q0.item.id);
			expect((await teacher.stateWhere(st => st.status === "question" && st.questionIndex === 1)).review).to.equal(true);
			roomB.send("answer", { questionIndex: 1, clientId: "b1", answer: RIGHT_LIVE[name] });
			expect((await wireB.next("error", e => e.command === "answer")).message).to.match(/review question/);
			roomA.send("answer", { questionIndex: 1, clientId: "a1", answer: RIGHT_LIVE[name] });
			expect(await wireA.next("answered", m => m.questionIndex === 1)).to.include({ recorded: true });
			teacherRoom.send("reveal", {});
			expect(await wireA.next("result", r => r.questionIndex === 1)).to.include({ answered: true, correct: true, points: 0 });
			// the second answer is another review in A's memory, under its own key
			const logs = await ReviewLog.find({ schoolId: fresh.school.id, studentId: a.id, itemId: q0.item.id }).sort({ reviewedAt: 1 }).lean();
			expect(logs.map((l: any) => [l.reviewKey, l.source, l.correct])).to.deep.equal([
				[`live:${id}:${a.id}:${q0.item.id}`, "group", false],
				[`live:${id}:${a.id}:${q0.item.id}:2`, "group", true],
			]);

			// no other step has elapsed yet (the next ones are 10 minutes out): next ends the session
			teacherRoom.send("next", {});
			const ended = await wireA.next("ended");
			expect(ended.reason).to.equal("completed");
			expect(ended.leaderboard.find((r: any) => r.studentId === b.id).score).to.equal(scoreB);
			const stored = await RevisionSession.findOne({ liveSessionId: id, studentId: a.id }).lean();
			expect((stored as any).answers.map((x: any) => x.correct)).to.deep.equal([false, true]);
			// what is still in a step is due at its step time, for the students' next sessions
			const [stateB] = await callInSchool(fresh.school.id, "memory.states", { studentId: b.id, itemIds: [q0.item.id] });
			expect(stateB.state).to.equal(1);
			expect(new Date(stateB.due).getTime()).to.be.greaterThan(clock.now().getTime());
		} finally {
			clock.restore();
		}
	});

	it("pauses when the teacher leaves, resumes when they are back, and ends and persists when they stay away", async () => {
		process.env.LIVE_TEACHER_GRACE_SECONDS = "1.5";
		const opened = await openLive(s, { questionCount: 2, timeLimitSeconds: 30 });
		expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
		const { id, roomId } = opened.body;
		let teacherRoom = await joinByRoomId(s.teacher, roomId);
		rooms.push(teacherRoom);
		new Wire(teacherRoom);
		const student = await joinByRoomId(s.students[0], roomId);
		rooms.push(student);
		const wire = new Wire(student);
		teacherRoom.send("start", {});
		const q0 = await wire.next("question", q => q.index === 0);

		await teacherRoom.leave(true);
		const paused = await wire.stateWhere(st => st.status === "paused" && st.teacherConnected === false);
		expect(paused.remainingMs).to.be.greaterThan(0);
		student.send("answer", { questionIndex: 0, clientId: "p1", answer: RIGHT_LIVE[nameOfItem(s, q0.item.id)] });
		expect((await wire.next("error", e => e.command === "answer")).message).to.match(/paused/);

		// Back within the grace period: still paused until the teacher resumes.
		teacherRoom = await joinByRoomId(s.teacher, roomId);
		rooms.push(teacherRoom);
		new Wire(teacherRoom);
		await wire.stateWhere(st => st.teacherConnected === true);
		await new Promise(r => setTimeout(r, 1800));
		expect(wire.of("ended"), "the grace period was cancelled").to.have.length(0);
		teacherRoom.send("resume", {});
		await wire.stateWhere(st => st.status === "question" && st.deadline > Date.now());
		student.send("answer", { questionIndex: 0, clientId: "p2", answer: RIGHT_LIVE[nameOfItem(s, q0.item.id)] });
		await wire.next("answered");

		// Gone for good: the session ends by itself, and is persisted.
		await teacherRoom.leave(true);
		const ended = await wire.next("ended", () => true, 10_000);
		expect(ended.reason).to.equal("teacher_left");
		expect(wire.of("reveal").map(r => r.questionIndex), "the open question was revealed first").to.deep.equal([0]);
		const stored = await RevisionSession.findOne({ liveSessionId: id, studentId: s.students[0].id }).lean();
		expect(stored, "the student's session").to.not.equal(null);
		expect((stored as any).answers).to.have.length(1);
		expect((await http("GET", `/api/live-sessions/${id}`, { token: s.teacher.token })).body).to.include({ status: "ended", endReason: "teacher_left" });
		await eventually(async () => (matchMaker.getLocalRoomById(roomId) ? undefined : true), "the room to be disposed");
		expect(roomContext().relay.size(), "no subscription left behind").to.equal(0);
	});
});
