/**
 * `two processes` (group sessions): two realtime processes sharing presence and matchmaking through
 * Redis, the services in a third, all over NATS. The teacher joins through process A, the students
 * match the join code through process B, and all end up in the one room of the session, wherever it was
 * created; the session runs, and every student's revision session is stored at the end.
 */
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { execFile } from "node:child_process";
import { randomUUID } from "node:crypto";
import { promisify } from "node:util";
import { ITEM_BODIES } from "../support/learning-sessions.js";
import { Wire } from "../support/live.js";
import { PASSWORD, portOf, RealtimeCluster } from "../support/realtime-cluster.js";

describe("two processes (live group session over Redis presence and NATS)", function () {
	this.timeout(240_000);
	const cluster = new RealtimeCluster("rtg");
	const { env, rooms } = cluster;

	before(() => cluster.start());

	after(() => cluster.stop());

	it("puts a teacher on A and students on B into the same session, which runs and is stored", async () => {
		// A school on a plan with live sessions (changed by platform staff, made by the create-admin command).
		const adminEmail = `g-admin-${randomUUID().slice(0, 8)}@school.test`;
		const signup = await cluster.signup("Live Two Processes", adminEmail);
		const rootEmail = `g-root-${randomUUID().slice(0, 8)}@platform.test`;
		await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/create-admin.ts", "--email", rootEmail, "--password", PASSWORD], {
			env: { ...process.env, MONGO_URL: env.MONGO_URL, JWT_SECRET: env.JWT_SECRET, NODE_ENV: "test" },
		});
		const root = await cluster.login(rootEmail);
		await cluster.ok(200, cluster.call("PATCH", `/api/schools/${signup.school.id}/subscription`, { plan: "essential" }, root.token));
		const admin = await cluster.login(adminEmail);
		const member = (role: "teacher" | "student") => cluster.member(admin, role, `g-${role}-${randomUUID().slice(0, 8)}@school.test`);
		const teacher = await member("teacher");
		const students = [await member("student"), await member("student")];
		const cls = await cluster.ok(201, cluster.call("POST", "/api/classes", { name: "6e G", teacherIds: [teacher.id], studentIds: students.map(s => s.id) }, admin.token));
		const item = await cluster.ok(201, cluster.call("POST", "/api/content-items", ITEM_BODIES.earth, teacher.token));
		await cluster.ok(200, cluster.call("POST", `/api/content-items/${item.id}/status`, { status: "validated" }, teacher.token));
		const path = await cluster.ok(201, cluster.call("POST", "/api/learning-paths", { name: "Live", subject: "Geography", classIds: [cls.id], activate: true, steps: [{ title: "Q", itemIds: [item.id] }] }, teacher.token));
		const stepId = (await cluster.ok(200, cluster.call("GET", `/api/learning-paths/${path.id}`, undefined, teacher.token))).steps[0].id;
		await cluster.realtimeReady(teacher);

		const session = await cluster.ok(201, cluster.call("POST", "/api/live-sessions", { classId: cls.id, pathId: path.id, stepId, timeLimitSeconds: 30 }, teacher.token));
		const teacherRoom = await cluster.sdk(cluster.portA, teacher.token).joinById(session.roomId);
		rooms.push(teacherRoom);
		const teacherWire = new Wire(teacherRoom);
		const studentRooms: Room[] = [];
		for (const student of students) {
			const room = await cluster.sdk(cluster.portB, student.token).join("group", { code: session.joinCode });
			rooms.push(room);
			studentRooms.push(room);
		}
		const wires = studentRooms.map(r => new Wire(r));
		expect(studentRooms.map(r => r.roomId), "one room across processes").to.deep.equal([session.roomId, session.roomId]);
		const hostPort = portOf(teacherRoom);
		expect(studentRooms.map(portOf), "B sent the students to the process hosting the room").to.deep.equal([hostPort, hostPort]);
		await teacherWire.stateWhere(st => Object.keys(st.players).length === 2);

		teacherRoom.send("start", {});
		await Promise.all(wires.map(w => w.next("question", q => q.index === 0)));
		studentRooms[0].send("answer", { questionIndex: 0, clientId: "a0", answer: { value: false } });
		studentRooms[1].send("answer", { questionIndex: 0, clientId: "a1", answer: { value: true } });
		await Promise.all(wires.map(w => w.next("answered")));
		teacherRoom.send("reveal", {});
		expect(await wires[0].next("result")).to.include({ correct: true });
		expect(await wires[1].next("result")).to.include({ correct: false });
		teacherRoom.send("end", {});
		const ended = await wires[1].next("ended");
		expect(ended.leaderboard[0]).to.include({ studentId: students[0].id, rank: 1 });
		for (const student of students) {
			const mine = await cluster.ok(200, cluster.call("GET", "/api/revision-sessions", undefined, student.token));
			expect(mine.rows.filter((r: any) => r.mode === "group" && r.liveSessionId === session.id)).to.have.length(1);
		}
	});
});
