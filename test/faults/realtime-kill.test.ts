/**
 * `fault tolerance`: a realtime process dies during a group session (SIGKILL). Two realtime processes
 * share Redis; the services run on a third node. The teacher and three students are in a live session
 * hosted on one process, with one question revealed and the next one open (two of its answers already
 * acknowledged), and a student revising solo in a live room there too. The process dies. Everyone joins
 * again through `POST /api/live-sessions/join` and the other process: the same session resumes from what
 * was persisted, paused until the teacher resumes, with no acknowledged answer lost, the scores the class
 * saw, the leaderboard rebuilt, retries answered as duplicates; the solo revision resumes likewise.
 */
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { MongoClient } from "mongodb";
import { FaultCluster } from "../support/faults.js";
import { ITEM_BODIES, RIGHT } from "../support/learning-sessions.js";
import { Wire } from "../support/live.js";
import { unique } from "../support/platform.js";
import { PASSWORD, portOf, type Member } from "../support/realtime-cluster.js";

const RIGHTS: Record<string, unknown> = { earth: { value: false }, sea: { choiceId: "baltic" }, capital: { text: "Paris" } };

describe("fault tolerance: a realtime process dies during a live session", function () {
	this.timeout(360_000);
	const cluster = new FaultCluster("rtkill");

	before(async () => {
		await cluster.startNodes([
			{ name: "services", services: "all,-realtime", gateway: true },
			{ name: "realtime-a", services: "realtime", realtime: "a" },
			{ name: "realtime-b", services: "realtime", realtime: "b" },
		]);
	});

	after(() => cluster.stop());

	it("resumes the group session and the solo revision through the other process, losing no acknowledged answer", async () => {
		const adminEmail = `rtk-${unique()}@school.test`;
		const signup = await cluster.signup("Realtime Kill", adminEmail);
		const rootEmail = `rtk-root-${unique()}@platform.test`;
		await promisify(execFile)(process.execPath, ["--import", "tsx", "scripts/create-admin.ts", "--email", rootEmail, "--password", PASSWORD], {
			env: { ...process.env, MONGO_URL: cluster.env.MONGO_URL, JWT_SECRET: cluster.env.JWT_SECRET, NODE_ENV: "test" },
		});
		const root = await cluster.login(rootEmail);
		await cluster.ok(200, cluster.call("PATCH", `/api/schools/${signup.school.id}/subscription`, { plan: "essential" }, root.token));
		const admin = await cluster.login(adminEmail);
		const teacher = await cluster.member(admin, "teacher", `rtk-t-${unique()}@school.test`);
		const students: Member[] = [];
		for (let i = 0; i < 3; i++) students.push(await cluster.member(admin, "student", `rtk-s${i}-${unique()}@school.test`));
		const cls = await cluster.ok(201, cluster.call("POST", "/api/classes", { name: `c ${unique()}`, teacherIds: [teacher.id], studentIds: students.map(s => s.id) }, admin.token));
		const itemIds: Record<string, string> = {};
		for (const name of ["earth", "sea", "capital"] as const) {
			const item = await cluster.ok(201, cluster.call("POST", "/api/content-items", ITEM_BODIES[name], teacher.token));
			await cluster.ok(200, cluster.call("POST", `/api/content-items/${item.id}/status`, { status: "validated" }, teacher.token));
			itemIds[item.id] = name;
		}
		const path = await cluster.ok(201, cluster.call("POST", "/api/learning-paths", { name: "Live", subject: "Geography", classIds: [cls.id], activate: true, steps: [{ title: "Q", itemIds: Object.keys(itemIds) }] }, teacher.token));
		const stepId = (await cluster.ok(200, cluster.call("GET", `/api/learning-paths/${path.id}`, undefined, teacher.token))).steps[0].id;
		await cluster.realtimeReady(teacher);

		// --- the session runs on one process ---
		const session = await cluster.ok(201, cluster.call("POST", "/api/live-sessions", { classId: cls.id, pathId: path.id, stepId, timeLimitSeconds: 120 }, teacher.token));
		const teacherRoom = await cluster.sdk(cluster.portA, teacher.token).joinById(session.roomId);
		const host = portOf(teacherRoom);
		const survivor = host === cluster.portA ? cluster.portB : cluster.portA;
		const hostNode = host === cluster.portA ? "realtime-a" : "realtime-b";
		const teacherWire = new Wire(teacherRoom);
		const rooms: Room[] = [];
		for (const s of students) rooms.push(await cluster.sdk(survivor, s.token).join("group", { code: session.joinCode }));
		expect(rooms.map(portOf), "every student is in the room on the host").to.deep.equal([host, host, host]);
		const wires = rooms.map(r => new Wire(r));
		await teacherWire.stateWhere(st => Object.keys(st.players).length === 3);
		const answer = async (i: number, q: any, clientId: string) => {
			rooms[i].send("answer", { questionIndex: q.index, clientId, answer: RIGHTS[itemIds[q.item.id]] });
			return wires[i].next("answered", m => m.clientId === clientId);
		};
		teacherRoom.send("start", {});
		const q0 = await wires[0].next("question", q => q.index === 0);
		for (let i = 0; i < 3; i++) await answer(i, q0, `q0-s${i}`);
		teacherRoom.send("reveal", {});
		await Promise.all(wires.map(w => w.next("result", r => r.questionIndex === 0)));
		teacherRoom.send("next", {});
		const q1 = await wires[0].next("question", q => q.index === 1);
		const acked = [await answer(0, q1, "q1-s0"), await answer(1, q1, "q1-s1")];
		expect(acked.map(a => a.recorded)).to.deep.equal([true, true]);
		const before = await teacherWire.stateWhere(st => st.status === "question" && st.answeredCount === 2);
		const scoresBefore = Object.fromEntries(Object.entries<any>(before.players).map(([id, p]) => [id, p.score]));
		expect(Object.values(scoresBefore).every(v => v > 0), "q0 scored for all").to.equal(true);

		// --- a student revises solo in a live room on the same process ---
		const solo = await cluster.sdk(host, students[2].token).create("revision", { pathId: path.id, stepId });
		const soloWire = new Wire(solo);
		const firstItem = await soloWire.next("item");
		solo.send("answer", { clientId: "solo-1", answer: RIGHT[itemIds[firstItem.item.id] as keyof typeof RIGHT] });
		await soloWire.next("feedback");
		const soloSessionId = (await soloWire.stateWhere(st => st.answered === 1)).sessionId;

		// --- the host dies ---
		await cluster.crash(hostNode);

		// Everyone asks the session's room again (at once): one new room, on the surviving process.
		const joins = await Promise.all([teacher, ...students].map(m => cluster.ok(200, cluster.call("POST", "/api/live-sessions/join", { code: session.joinCode }, m.token))));
		const roomId = joins[0].roomId;
		expect(roomId).to.not.equal(session.roomId);
		expect(joins.map(j => j.roomId), "one room for the session").to.deep.equal([roomId, roomId, roomId, roomId]);
		const teacher2 = await cluster.sdk(survivor, teacher.token).joinById(roomId);
		const t2 = new Wire(teacher2);
		const resumed = await t2.stateWhere(st => st.status === "paused" && st.questionIndex === 1 && Object.keys(st.players).length === 3);
		expect(Object.fromEntries(Object.entries<any>(resumed.players).map(([id, p]) => [id, p.score])), "the scores the class saw").to.deep.equal(scoresBefore);
		expect(resumed.answeredCount, "the acknowledged answers of the open question").to.equal(2);
		const rooms2 = await Promise.all(students.map(s => cluster.sdk(survivor, s.token).joinById(roomId)));
		const wires2 = rooms2.map(r => new Wire(r));
		// A retry of an acknowledged answer is answered from the record.
		rooms2[0].send("answer", { questionIndex: 1, clientId: "q1-s0", answer: RIGHTS[itemIds[q1.item.id]] });
		expect(await wires2[0].next("answered", m => m.clientId === "q1-s0")).to.include({ recorded: true, duplicate: true });
		// The teacher resumes; the third student answers; the reveal and the end follow.
		teacher2.send("resume", {});
		await t2.stateWhere(st => st.status === "question");
		rooms2[2].send("answer", { questionIndex: 1, clientId: "q1-s2", answer: RIGHTS[itemIds[q1.item.id]] });
		await wires2[2].next("answered", m => m.clientId === "q1-s2");
		teacher2.send("reveal", {});
		const results = await Promise.all(wires2.map(w => w.next("result", r => r.questionIndex === 1)));
		expect(results.map(r => r.answered)).to.deep.equal([true, true, true]);
		teacher2.send("end", {});
		const ended = await wires2[0].next("ended", () => true, 30_000);
		for (const s of students) {
			const row = ended.leaderboard.find((r: any) => r.studentId === s.id);
			expect(row.answered, `answers of ${s.id}`).to.equal(2);
			expect(row.score).to.be.greaterThan(scoresBefore[s.id]);
		}

		const client = await MongoClient.connect(cluster.env.MONGO_URL);
		try {
			const db = client.db();
			const reviews = await db.collection("reviewlogs").find({ reviewKey: { $regex: `^live:${session.id}:` } }).toArray();
			expect(reviews, "one review per answer, none twice").to.have.length(6);
			const revisionSessions = await db.collection("revisionsessions").find({ liveSessionId: session.id }).toArray();
			expect(revisionSessions.map(r => r.answers.length).sort()).to.deep.equal([2, 2, 2]);
			expect(revisionSessions.flatMap(r => r.answers.map((a: any) => a.clientId)).sort()).to.deep.equal(["q0-s0", "q0-s1", "q0-s2", "q1-s0", "q1-s1", "q1-s2"]);
		} finally {
			await client.close();
		}

		// --- the solo revision resumes likewise, on the surviving process ---
		const solo2 = await cluster.sdk(survivor, students[2].token).create("revision", { sessionId: soloSessionId });
		const solo2Wire = new Wire(solo2);
		const shown = await solo2Wire.next("item");
		expect(shown.item.id, "the next item, not the one answered").to.not.equal(firstItem.item.id);
		expect((await solo2Wire.stateWhere(st => st.sessionId === soloSessionId)).answered, "the answer given before").to.equal(1);
		// The answer whose feedback was lost with the process, sent again: the first recording answers it.
		solo2.send("answer", { clientId: "solo-1", itemId: firstItem.item.id, answer: RIGHT[itemIds[firstItem.item.id] as keyof typeof RIGHT] });
		expect(await solo2Wire.next("feedback", f => f.itemId === firstItem.item.id)).to.include({ duplicate: true });
		solo2.send("answer", { clientId: "solo-2", answer: RIGHT[itemIds[shown.item.id] as keyof typeof RIGHT] });
		await solo2Wire.next("feedback", f => f.itemId === shown.item.id);
		expect((await solo2Wire.stateWhere(st => st.answered === 2)).answered).to.equal(2);
		for (const r of [teacher2, ...rooms2, solo2]) cluster.rooms.push(r);
	});
});
