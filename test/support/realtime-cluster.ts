/**
 * A deployment of two realtime processes (A and B, sharing presence and matchmaking through Redis) and
 * the other services in a third, all over NATS, on a database and a Redis namespace of their own: the
 * setup of the `two processes` room tests.
 */
import { Client, type Room } from "@colyseus/sdk";
import { expect } from "chai";
import { randomBytes, randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import { MongoClient } from "mongodb";
import { callJson, freePort, spawnNode, until, type JsonResponse, type NodeProcess } from "./nodes.js";
import { latestMail } from "./mailpit.js";
import { requireEnv } from "./platform.js";

export const PASSWORD = "correct horse battery staple";

export interface Member {
	id: string;
	token: string;
}

export class RealtimeCluster {
	readonly env: Record<"NATS_URL" | "REDIS_URL" | "MONGO_URL" | "JWT_SECRET" | "NAMESPACE", string>;
	readonly nodes: NodeProcess[] = [];
	/** Rooms the test joined, left by `stop`. */
	readonly rooms: Room[] = [];
	base = "";
	portA = 0;
	portB = 0;

	/** `prefix` names this test's database and Redis namespace, so runs never share state. */
	constructor(prefix: string) {
		const dbUrl = new URL(requireEnv("MONGO_URL"));
		dbUrl.pathname = `/lp_${prefix}_${process.pid}_${Date.now().toString(36)}`;
		this.env = {
			NATS_URL: requireEnv("NATS_URL"),
			REDIS_URL: requireEnv("REDIS_URL"),
			MONGO_URL: dbUrl.toString(),
			JWT_SECRET: randomBytes(32).toString("hex"),
			NAMESPACE: `${prefix}-${randomUUID().slice(0, 8)}`,
		};
	}

	async start(): Promise<void> {
		[this.portA, this.portB] = [await freePort(), await freePort()];
		const apiPort = await freePort();
		this.base = `http://127.0.0.1:${apiPort}`;
		this.nodes.push(spawnNode("services", { ...this.env, SERVICES: "all,-realtime", PORT: String(apiPort) }));
		this.nodes.push(spawnNode("realtime-a", { ...this.env, SERVICES: "realtime", REALTIME_PORT: String(this.portA) }));
		this.nodes.push(spawnNode("realtime-b", { ...this.env, SERVICES: "realtime", REALTIME_PORT: String(this.portB) }));
		await until(async () => (await this.call("GET", "/health/ready")).status === 200, "the services node", 90_000, this.nodes);
	}

	async stop(): Promise<void> {
		// A room already left never settles a second leave(): bound the wait.
		const settle = (p: Promise<unknown>) => Promise.race([p.catch(() => undefined), new Promise(r => setTimeout(r, 2000))]);
		await Promise.all(this.rooms.map(r => settle(r.leave(true))));
		await Promise.all(this.nodes.map(n => n.stop()));
		const client = await MongoClient.connect(this.env.MONGO_URL);
		await client.db().dropDatabase().catch(() => undefined);
		await client.close();
		// Only this run's keys: other runs on the same Redis keep theirs.
		const redis = new Redis(this.env.REDIS_URL);
		const keys = await redis.keys(`${this.env.NAMESPACE}:*`);
		if (keys.length > 0) await redis.del(...keys);
		await redis.quit();
	}

	call(method: string, path: string, body?: unknown, token?: string): Promise<JsonResponse> {
		return callJson(this.base, method, path, body, token);
	}

	/** The body of a call that must answer `status`. */
	async ok(status: number, p: Promise<JsonResponse>): Promise<any> {
		const res = await p;
		expect(res.status, JSON.stringify(res.body)).to.equal(status);
		return res.body;
	}

	/** The token of the latest mail tagged `tag` to `to` (in Mailpit). */
	async mailToken(to: string, tag: string): Promise<string> {
		return /token=([A-Za-z0-9_-]+)/.exec((await latestMail(to, tag)).text)![1];
	}

	async login(email: string): Promise<Member> {
		const body = await this.ok(200, this.call("POST", "/api/auth/login", { email, password: PASSWORD }));
		return { id: body.user.id as string, token: body.accessToken as string };
	}

	/** Signs a school up and verifies its admin's email; the admin logs in with `PASSWORD`. */
	async signup(schoolName: string, adminEmail: string): Promise<{ school: { id: string } }> {
		const signup = await this.ok(201, this.call("POST", "/api/schools/signup", {
			school: { name: schoolName, timezone: "Europe/Paris" },
			admin: { email: adminEmail, password: PASSWORD, firstName: "Ada", lastName: "Admin" },
		}));
		await this.ok(200, this.call("POST", "/api/auth/verify-email", { token: await this.mailToken(adminEmail, "verify-email") }));
		return signup;
	}

	/** Invites `email` as `role` and accepts the invitation, then logs them in. */
	async member(admin: Member, role: "teacher" | "student", email: string): Promise<Member> {
		await this.ok(201, this.call("POST", "/api/invitations", { email, role }, admin.token));
		await this.ok(201, this.call("POST", "/api/invitations/accept", { token: await this.mailToken(email, "invitation"), password: PASSWORD, firstName: "T", lastName: role }));
		return this.login(email);
	}

	sdk(port: number, token: string): Client {
		const client = new Client(`ws://127.0.0.1:${port}`);
		client.auth.token = token;
		return client;
	}

	/** Waits until each realtime process answers, that is once it sees the services over NATS. */
	async realtimeReady(user: Member): Promise<void> {
		for (const port of [this.portA, this.portB]) {
			await until(
				async () => {
					const room = await this.sdk(port, user.token).joinOrCreate("user", { userId: user.id });
					await room.leave(true);
					return true;
				},
				`realtime on ${port}`,
				60_000,
				this.nodes,
			);
		}
	}
}

/** The port of the realtime process a room lives on. */
export const portOf = (room: Room) => Number(new URL((room as any).connection.url).port);
