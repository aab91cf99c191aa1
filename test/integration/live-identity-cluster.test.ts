/**
 * `live identity` across nodes over NATS: a change made through one node takes effect within one
 * second on every other node, REST and open sockets alike. Four processes on their own database and
 * namespace: the services with a gateway (S), a second gateway with a realtime server (E), and a second
 * realtime server (R); the platform admin is made by the create-admin command, as in production.
 */
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { spawn } from "node:child_process";
import { ROOM_CLOSE } from "../../rooms/protocol.js";
import { callJson, freePort, spawnNode, until } from "../support/nodes.js";
import { PASSWORD, portOf, RealtimeCluster, type Member } from "../support/realtime-cluster.js";

const WITHIN_MS = 1000;

class IdentityCluster extends RealtimeCluster {
	base2 = "";

	override async start(): Promise<void> {
		[this.portA, this.portB] = [await freePort(), await freePort()];
		const [api1, api2] = [await freePort(), await freePort()];
		this.base = `http://127.0.0.1:${api1}`;
		this.base2 = `http://127.0.0.1:${api2}`;
		this.nodes.push(spawnNode("services", { ...this.env, SERVICES: "all,-realtime", PORT: String(api1) }));
		this.nodes.push(spawnNode("edge", { ...this.env, SERVICES: "api,realtime", PORT: String(api2), REALTIME_PORT: String(this.portA) }));
		this.nodes.push(spawnNode("realtime", { ...this.env, SERVICES: "realtime", REALTIME_PORT: String(this.portB) }));
		await until(async () => (await this.call("GET", "/health/ready")).status === 200, "the services node", 90_000, this.nodes);
		await until(async () => (await callJson(this.base2, "GET", "/health/ready")).status === 200, "the second gateway", 90_000, this.nodes);
	}

	/** Platform staff, made by the create-admin command against the cluster's database. */
	async platformAdmin(email: string): Promise<Member> {
		await new Promise<void>((resolve, reject) => {
			const proc = spawn(process.execPath, ["--import", "tsx", "scripts/create-admin.ts", "--email", email, "--password", PASSWORD], {
				env: { ...process.env, ...this.env, NATS_URL: "", SERVICES: "", NODE_ENV: "test", LOG_LEVEL: "warn" },
				stdio: ["ignore", "pipe", "pipe"],
			});
			let out = "";
			proc.stdout.on("data", d => (out += d));
			proc.stderr.on("data", d => (out += d));
			proc.once("exit", code => (code === 0 ? resolve() : reject(new Error(`create-admin exited ${code}: ${out}`))));
		});
		return this.login(email);
	}
}

/** Milliseconds from `since` until `probe` holds (polled), or a failure after `WITHIN_MS` × 3. */
async function elapsedUntil(since: number, probe: () => Promise<boolean>, what: string): Promise<number> {
	const deadline = since + WITHIN_MS * 3;
	while (Date.now() < deadline) {
		if (await probe()) return Date.now() - since;
		await new Promise(r => setTimeout(r, 10));
	}
	throw new Error(`${what}: not within ${WITHIN_MS * 3} ms`);
}

describe("live identity (two gateways and two realtime nodes over NATS)", function () {
	this.timeout(240_000);
	const cluster = new IdentityCluster("liveid");
	let admin: Member;
	let root: Member;
	let peer: Member;

	before(async () => {
		await cluster.start();
		await cluster.signup("Live Identity School", "liveid-admin@school.test");
		admin = await cluster.login("liveid-admin@school.test");
		root = await cluster.platformAdmin("liveid-root@platform.test");
		peer = await cluster.member(admin, "teacher", "liveid-peer@school.test");
		// Students may write to any teacher here: a conversation needs no class.
		await cluster.ok(200, cluster.call("PATCH", "/api/school", { settings: { chat: { studentsMayContact: "all_teachers" } } }, admin.token));
	});
	after(() => cluster.stop());

	/**
	 * A member connected everywhere: their user channel opened on realtime node E and a conversation's room
	 * on node R (a room lives where it was first asked for), REST working on both gateways.
	 */
	async function connected(role: "teacher" | "student", email: string): Promise<{ member: Member; sockets: Room[] }> {
		const member = await cluster.member(admin, role, email);
		await cluster.realtimeReady(member);
		// A teacher talks to the school admin, a student to a teacher.
		const conversation = await cluster.ok(201, cluster.call("POST", "/api/conversations", { userId: role === "teacher" ? admin.id : peer.id }, member.token));
		const channel = await cluster.sdk(cluster.portA, member.token).joinOrCreate("user", { userId: member.id });
		channel.onMessage("notification", () => undefined);
		const chat = await cluster.sdk(cluster.portB, member.token).joinOrCreate("chat", { conversationId: conversation.id });
		for (const type of ["message", "sent", "read", "typing", "error"]) chat.onMessage(type, () => undefined);
		const sockets = [channel, chat];
		cluster.rooms.push(...sockets);
		expect(sockets.map(portOf), "one socket on each realtime node").to.deep.equal([cluster.portA, cluster.portB]);
		for (const base of [cluster.base, cluster.base2]) expect((await callJson(base, "GET", "/api/me", undefined, member.token)).status).to.equal(200);
		return { member, sockets };
	}

	const closeCode = (room: Room) =>
		new Promise<{ code: number; at: number }>(resolve => room.onLeave((code: number) => resolve({ code, at: Date.now() })));

	async function expectEverywhere(token: string, since: number, status: number, type: string) {
		for (const base of [cluster.base, cluster.base2]) {
			const took = await elapsedUntil(since, async () => (await callJson(base, "GET", "/api/me", undefined, token)).status === status, `${type} on ${base}`);
			expect(took, `${type} on ${base} after ${took} ms`).to.be.below(WITHIN_MS);
			expect((await callJson(base, "GET", "/api/me", undefined, token)).body.error.type).to.equal(type);
		}
	}

	it("a suspension made through one gateway refuses the token on both, and closes the sockets on both realtime nodes, within a second", async () => {
		const { member, sockets } = await connected("student", "liveid-student@school.test");
		const closes = sockets.map(closeCode);
		const since = Date.now();
		expect((await cluster.call("POST", `/api/users/${member.id}/suspend`, undefined, admin.token)).status).to.equal(200);
		await expectEverywhere(member.token, since, 403, "ACCOUNT_SUSPENDED");
		for (const { code, at } of await Promise.all(closes)) {
			expect(code).to.equal(ROOM_CLOSE.ACCOUNT_CHANGED);
			expect(at - since).to.be.below(WITHIN_MS);
		}
	});

	it("a logout through the second gateway ends the token on the first and closes the sockets (4401) within a second", async () => {
		const { member, sockets } = await connected("teacher", "liveid-teacher@school.test");
		const closes = sockets.map(closeCode);
		const since = Date.now();
		expect((await callJson(cluster.base2, "POST", "/api/auth/logout", {}, member.token)).status).to.equal(200);
		await expectEverywhere(member.token, since, 401, "SESSION_ENDED");
		for (const { code, at } of await Promise.all(closes)) {
			expect(code).to.equal(ROOM_CLOSE.SESSION_ENDED);
			expect(at - since).to.be.below(WITHIN_MS);
		}
	});

	it("a suspended school: every member refused on both gateways and disconnected (4423) on both realtime nodes within a second", async () => {
		const { member, sockets } = await connected("student", "liveid-student2@school.test");
		const adminNow = await cluster.login("liveid-admin@school.test");
		const closes = sockets.map(closeCode);
		const schoolId = (await cluster.call("GET", "/api/school", undefined, adminNow.token)).body.id;
		const since = Date.now();
		expect((await cluster.call("POST", `/api/schools/${schoolId}/suspend`, { reason: "test" }, root.token)).status).to.equal(200);
		await expectEverywhere(member.token, since, 403, "SCHOOL_SUSPENDED");
		await expectEverywhere(adminNow.token, since, 403, "SCHOOL_SUSPENDED");
		for (const { code, at } of await Promise.all(closes)) {
			expect(code).to.equal(ROOM_CLOSE.SCHOOL_SUSPENDED);
			expect(at - since).to.be.below(WITHIN_MS);
		}
		// Reactivated: a new login works at once through either gateway.
		expect((await cluster.call("POST", `/api/schools/${schoolId}/reactivate`, undefined, root.token)).status).to.equal(200);
		const back = await cluster.login("liveid-admin@school.test");
		expect((await callJson(cluster.base2, "GET", "/api/me", undefined, back.token)).status).to.equal(200);
	});
});
