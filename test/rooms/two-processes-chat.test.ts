/**
 * `two processes` (chat): two realtime processes sharing presence and matchmaking through Redis, the
 * services in a third process, all over NATS. A student's room lives on process A; the teacher
 * matchmakes through process B and lands in that same room; messages posted through A's room and over
 * REST reach them, and the teacher's own channel on B gets the notifications of messages sent while
 * they are out of the room.
 */
import { Client, type Room } from "@colyseus/sdk";
import { expect } from "chai";
import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { MongoClient } from "mongodb";
import { Inbox } from "../support/chat.js";
import { freePort, spawnNode, until, type NodeProcess } from "../support/nodes.js";
import { requireEnv } from "../support/platform.js";

const PASSWORD = "correct horse battery staple";

describe("two processes (chat over Redis presence and NATS)", function () {
	this.timeout(180_000);
	const dbUrl = new URL(requireEnv("MONGO_URL"));
	dbUrl.pathname = `/lp_rt_${process.pid}_${Date.now().toString(36)}`;
	const env = {
		NATS_URL: requireEnv("NATS_URL"),
		REDIS_URL: requireEnv("REDIS_URL"),
		MONGO_URL: dbUrl.toString(),
		JWT_SECRET: randomBytes(32).toString("hex"),
		NAMESPACE: `rt-${randomUUID().slice(0, 8)}`,
	};
	const nodes: NodeProcess[] = [];
	const rooms: Room[] = [];
	let base = "";
	let portA = 0;
	let portB = 0;
	let teacher: { id: string; token: string };
	let student: { id: string; token: string };
	let conversationId = "";
	let studentRoom: Room;
	let teacherRoom: Room;

	const call = async (method: string, path: string, body?: unknown, token?: string) => {
		const res = await fetch(base + path, {
			method,
			headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
			body: body === undefined ? undefined : JSON.stringify(body),
		});
		const text = await res.text();
		return { status: res.status, body: text ? JSON.parse(text) : undefined };
	};
	const mailToken = async (to: string, tag: string) => {
		const mails = await call("GET", `/api/dev/mails?to=${encodeURIComponent(to)}&tag=${tag}`);
		return /token=([A-Za-z0-9_-]+)/.exec(mails.body.rows[0].text)![1];
	};
	const login = async (email: string) => {
		const res = await call("POST", "/api/auth/login", { email, password: PASSWORD });
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
		return { id: res.body.user.id as string, token: res.body.accessToken as string };
	};
	const sdk = (port: number, token: string) => {
		const client = new Client(`ws://127.0.0.1:${port}`);
		client.auth.token = token;
		return client;
	};
	const portOf = (room: Room) => Number(new URL((room as any).connection.url).port);

	before(async () => {
		[portA, portB] = [await freePort(), await freePort()];
		const apiPort = await freePort();
		base = `http://127.0.0.1:${apiPort}`;
		nodes.push(spawnNode("services", { ...env, SERVICES: "all,-realtime", PORT: String(apiPort) }));
		nodes.push(spawnNode("realtime-a", { ...env, SERVICES: "realtime", REALTIME_PORT: String(portA) }));
		nodes.push(spawnNode("realtime-b", { ...env, SERVICES: "realtime", REALTIME_PORT: String(portB) }));
		await until(async () => (await call("GET", "/health/ready")).status === 200, "the services node", 90_000, nodes);

		const adminEmail = `rt-admin-${randomUUID().slice(0, 8)}@school.test`;
		const signup = await call("POST", "/api/schools/signup", {
			school: { name: "Two Processes School", timezone: "Europe/Paris" },
			admin: { email: adminEmail, password: PASSWORD, firstName: "Ada", lastName: "Admin" },
		});
		expect(signup.status, JSON.stringify(signup.body)).to.equal(201);
		expect((await call("POST", "/api/auth/verify-email", { token: await mailToken(adminEmail, "verify-email") })).status).to.equal(200);
		const admin = await login(adminEmail);
		const member = async (role: "teacher" | "student") => {
			const email = `rt-${role}-${randomUUID().slice(0, 8)}@school.test`;
			expect((await call("POST", "/api/invitations", { email, role }, admin.token)).status).to.equal(201);
			const accepted = await call("POST", "/api/invitations/accept", { token: await mailToken(email, "invitation"), password: PASSWORD, firstName: "T", lastName: role });
			expect(accepted.status, JSON.stringify(accepted.body)).to.equal(201);
			return login(email);
		};
		teacher = await member("teacher");
		student = await member("student");
		expect((await call("POST", "/api/classes", { name: "6e B", teacherIds: [teacher.id], studentIds: [student.id] }, admin.token)).status).to.equal(201);
		const opened = await call("POST", "/api/conversations", { userId: teacher.id }, student.token);
		expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
		conversationId = opened.body.id;
		// Each realtime process answers once it sees the services over NATS.
		for (const port of [portA, portB]) {
			await until(
				async () => {
					const room = await sdk(port, teacher.token).joinOrCreate("user", { userId: teacher.id });
					await room.leave(true);
					return true;
				},
				`realtime on ${port}`,
				60_000,
				nodes,
			);
		}
	});

	after(async () => {
		// A room already left never settles a second leave(): bound the wait.
		const settle = (p: Promise<unknown>) => Promise.race([p.catch(() => undefined), new Promise(r => setTimeout(r, 2000))]);
		await Promise.all(rooms.map(r => settle(r.leave(true))));
		await Promise.all(nodes.map(n => n.stop()));
		const client = await MongoClient.connect(env.MONGO_URL);
		await client.db().dropDatabase().catch(() => undefined);
		await client.close();
		// Only this run's keys: other runs on the same Redis keep theirs.
		const redis = new Redis(env.REDIS_URL);
		const keys = await redis.keys(`${env.NAMESPACE}:*`);
		if (keys.length > 0) await redis.del(...keys);
		await redis.quit();
	});

	it("puts a member matchmaking on B into the room hosted on A, and delivers A-room and REST messages to them", async () => {
		studentRoom = await sdk(portA, student.token).joinOrCreate("chat", { conversationId });
		rooms.push(studentRoom);
		expect(portOf(studentRoom), "the room is created where it was asked for").to.equal(portA);
		teacherRoom = await sdk(portB, teacher.token).joinOrCreate("chat", { conversationId });
		rooms.push(teacherRoom);
		expect(teacherRoom.roomId, "one room for the conversation across processes").to.equal(studentRoom.roomId);
		expect(portOf(teacherRoom), "B sent the teacher to the process hosting the room").to.equal(portA);
		for (const room of [studentRoom, teacherRoom]) for (const type of ["sent", "read", "typing", "error"]) room.onMessage(type, () => undefined);

		const teacherSees = new Inbox(teacherRoom, "message");
		const studentSees = new Inbox(studentRoom, "message");
		studentRoom.send("send", { clientId: "two-1", text: "Through A's room" });
		expect((await teacherSees.next(m => m.clientId === "two-1", 10_000)).text).to.equal("Through A's room");

		const rest = await call("POST", `/api/conversations/${conversationId}/messages`, { clientId: "two-2", text: "Over REST" }, teacher.token);
		expect(rest.status, JSON.stringify(rest.body)).to.equal(201);
		expect((await studentSees.next(m => m.clientId === "two-2", 10_000)).id).to.equal(rest.body.message.id);
		expect((await teacherSees.next(m => m.clientId === "two-2", 10_000)).id).to.equal(rest.body.message.id);
	});

	it("pushes the notification of a message sent through A's room to the teacher's channel on B", async () => {
		const channel = await sdk(portB, teacher.token).joinOrCreate("user", { userId: teacher.id });
		rooms.push(channel);
		expect(portOf(channel), "the teacher's channel lives on B").to.equal(portB);
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
