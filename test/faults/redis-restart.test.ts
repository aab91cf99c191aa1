/**
 * `fault tolerance`: Redis restarts (without persistence: it comes back empty). Two realtime processes
 * share presence and matchmaking through a Redis of this test's own, the services run on a third node.
 * While Redis is away, a chat room keeps running in its process (its members keep talking); joins, which
 * need the shared matchmaker, do not succeed; login throttling falls back to counting per node, as
 * documented (README "Security": no limit turns into failed requests). Once Redis is back, new joins find
 * the very room that kept running, through either process.
 */
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { Inbox } from "../support/chat.js";
import { FaultCluster, ownRedis, timedCall, type Daemon } from "../support/faults.js";
import { until } from "../support/nodes.js";
import { unique } from "../support/platform.js";
import { PASSWORD, portOf } from "../support/realtime-cluster.js";

describe("fault tolerance: Redis restarts", function () {
	this.timeout(360_000);
	let redis: Daemon;
	let cluster: FaultCluster;

	before(async () => {
		redis = await ownRedis();
		cluster = new FaultCluster("redisr", { REDIS_URL: redis.url });
		await cluster.startNodes(
			[
				{ name: "services", services: "all,-realtime", gateway: true },
				{ name: "realtime-a", services: "realtime", realtime: "a" },
				{ name: "realtime-b", services: "realtime", realtime: "b" },
			],
			{ LOGIN_MAX_FAILURES: "3" },
		);
	});

	after(async () => {
		await cluster?.stop().catch(() => undefined);
		await redis?.dispose();
	});

	it("keeps rooms running while Redis is away, refuses nothing by throttling, and takes new joins again once it is back", async () => {
		const adminEmail = `redisr-${unique()}@school.test`;
		await cluster.signup("Redis Restart", adminEmail);
		const admin = await cluster.login(adminEmail);
		const teacher = await cluster.member(admin, "teacher", `redisr-t-${unique()}@school.test`);
		const student = await cluster.member(admin, "student", `redisr-s-${unique()}@school.test`);
		await cluster.ok(201, cluster.call("POST", "/api/classes", { name: `c ${unique()}`, teacherIds: [teacher.id], studentIds: [student.id] }, admin.token));
		const { id: conversationId } = await cluster.ok(201, cluster.call("POST", "/api/conversations", { userId: teacher.id }, student.token));
		await cluster.realtimeReady(teacher);
		const studentRoom: Room = await cluster.sdk(cluster.portA, student.token).joinOrCreate("chat", { conversationId });
		const teacherRoom: Room = await cluster.sdk(cluster.portA, teacher.token).joinOrCreate("chat", { conversationId });
		cluster.rooms.push(studentRoom, teacherRoom);
		expect(teacherRoom.roomId).to.equal(studentRoom.roomId);
		for (const room of [studentRoom, teacherRoom]) for (const type of ["sent", "read", "typing", "error"]) room.onMessage(type, () => undefined);
		studentRoom.onMessage("message", () => undefined);
		const teacherSees = new Inbox(teacherRoom, "message");

		await redis.kill();
		// The room runs on in its process: a message goes through it (stored by the services over NATS) to the teacher.
		studentRoom.send("send", { clientId: `r1-${unique()}`, text: "while Redis is away" });
		expect((await teacherSees.next(m => m.text === "while Redis is away", 20_000, "the message while Redis is away")).senderId).to.equal(student.id);
		// A new join needs the shared matchmaker: it does not get in (it fails, or waits) while Redis is away.
		const attempt = cluster.sdk(cluster.portB, student.token).joinById(studentRoom.roomId, { conversationId }).then(
			room => {
				cluster.rooms.push(room);
				return "joined";
			},
			() => "refused",
		);
		expect(await Promise.race([attempt, new Promise(r => setTimeout(() => r("waiting"), 3000))]), "a join while Redis is away").to.not.equal("joined");
		// Throttling falls back to counting in the process: wrong passwords answer 401, then 429, never 500.
		const statuses: number[] = [];
		for (let i = 0; i < 4; i++) statuses.push((await timedCall(cluster.base, "POST", "/api/auth/login", { email: adminEmail, password: `${PASSWORD}-wrong` })).status);
		expect(statuses).to.deep.equal([401, 401, 401, 429]);

		await redis.start();
		// Joins work again, through either process, into the room that kept running.
		const rejoined = await until(
			async () => {
				const room = await cluster.sdk(cluster.portB, teacher.token).joinById(studentRoom.roomId, { conversationId });
				cluster.rooms.push(room);
				return room.roomId === studentRoom.roomId && portOf(room) === cluster.portA;
			},
			"a join by room id through B once Redis is back",
			60_000,
			cluster.nodes,
		).then(() => true);
		expect(rejoined).to.equal(true);
		const byConversation = await cluster.sdk(cluster.portB, student.token).joinOrCreate("chat", { conversationId });
		cluster.rooms.push(byConversation);
		expect(byConversation.roomId, "matchmaking by conversation finds the running room, not a new one").to.equal(studentRoom.roomId);
		// What was counted in memory is forgotten once the services' Redis client is back: the account is not locked out.
		await until(async () => (await timedCall(cluster.base, "POST", "/api/auth/login", { email: adminEmail, password: PASSWORD })).status === 200, "a login counted in Redis again", 30_000, cluster.nodes);
	});
});
