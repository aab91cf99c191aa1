/**
 * `fault tolerance`: a service node is killed (SIGKILL) in the middle of requests. The gateway runs on a
 * node of its own and every service on two nodes, A and B, over NATS. While a mixed load runs (reads,
 * chat messages keyed by a client id, class creations that no id protects), B dies. Every request gets
 * an answer (a 2xx, or a clean 503), none hangs; reads are answered by A (retried); keyed writes may
 * answer 503 and be sent again with their id; nothing is stored twice.
 */
import { expect } from "chai";
import { MongoClient } from "mongodb";
import { FaultCluster, timedCall } from "../support/faults.js";
import { unique } from "../support/platform.js";

describe("fault tolerance: a service node dies mid-request", function () {
	this.timeout(360_000);
	const cluster = new FaultCluster("kill");

	before(async () => {
		await cluster.startNodes([
			{ name: "gateway", services: "api", gateway: true },
			{ name: "services-a", services: "all,-api,-realtime" },
			{ name: "services-b", services: "all,-api,-realtime" },
		]);
	});

	after(() => cluster.stop());

	it("answers every request with the answer or a clean 503, and writes nothing twice", async () => {
		const adminEmail = `kill-${unique()}@school.test`;
		await cluster.signup("Node Kill", adminEmail);
		const admin = await cluster.login(adminEmail);
		const teacher = await cluster.member(admin, "teacher", `kill-t-${unique()}@school.test`);
		const student = await cluster.member(admin, "student", `kill-s-${unique()}@school.test`);
		await cluster.ok(201, cluster.call("POST", "/api/classes", { name: `c ${unique()}`, teacherIds: [teacher.id], studentIds: [student.id] }, admin.token));
		const conversation = await cluster.ok(201, cluster.call("POST", "/api/conversations", { userId: teacher.id }, student.token));
		// Both service nodes are in the rotation before the load starts.
		for (let i = 0; i < 10; i++) await cluster.ok(200, cluster.call("GET", "/api/me", undefined, student.token));

		const mark = unique("k");
		type Sent = { kind: "read" | "message" | "class"; key: string; status: number; ms: number; type?: string };
		const sent: Sent[] = [];
		const one = async (i: number): Promise<void> => {
			const kind = (["read", "message", "class"] as const)[i % 3];
			const key = `${mark}-${i}`;
			const r =
				kind === "read"
					? await timedCall(cluster.base, "GET", i % 2 ? "/api/me" : "/api/classes", undefined, i % 2 ? student.token : admin.token)
					: kind === "message"
						? await timedCall(cluster.base, "POST", `/api/conversations/${conversation.id}/messages`, { clientId: key, text: `hello ${key}` }, student.token)
						: await timedCall(cluster.base, "POST", "/api/classes", { name: `class ${key}` }, admin.token);
			sent.push({ kind, key, status: r.status, ms: r.ms, type: r.body?.error?.type });
		};
		// 90 requests over ~6 s; B is killed after ~1.5 s, with requests in flight on it.
		const load = Promise.all(Array.from({ length: 90 }, (_, i) => new Promise<void>(resolve => setTimeout(() => one(i).then(resolve, err => { sent.push({ kind: "read", key: `${mark}-${i}`, status: 0, ms: 0, type: String(err) }); resolve(); }), i * 66))));
		await new Promise(r => setTimeout(r, 1500));
		await cluster.crash("services-b");
		await load;

		const summary = sent.reduce<Record<string, number>>((acc, s) => ((acc[`${s.kind} ${s.status}`] = (acc[`${s.kind} ${s.status}`] ?? 0) + 1), acc), {});
		console.log("      answers:", JSON.stringify(summary), "slowest", Math.max(...sent.map(s => s.ms)), "ms");
		expect(sent).to.have.length(90);
		for (const s of sent) {
			expect([200, 201, 503], `${s.kind} ${s.key}: ${s.status} ${s.type ?? ""}`).to.include(s.status);
			if (s.status === 503) expect(s.type).to.equal("SERVICE_UNAVAILABLE");
		}
		expect(sent.filter(s => s.kind === "read" && s.status !== 200), "reads are answered by the surviving node").to.deep.equal([]);

		// A client sends again the messages that got a 503, with the same client id.
		for (const s of sent.filter(x => x.kind === "message" && x.status === 503)) {
			const again = await timedCall(cluster.base, "POST", `/api/conversations/${conversation.id}/messages`, { clientId: s.key, text: `hello ${s.key}` }, student.token);
			expect([200, 201], JSON.stringify(again.body)).to.include(again.status);
		}
		const db = await MongoClient.connect(cluster.env.MONGO_URL);
		try {
			const messages = await db.db().collection("messages").find({ clientId: { $regex: `^${mark}-` } }).toArray();
			const ids = messages.map(m => m.clientId);
			expect(ids.length, "each message stored once").to.equal(new Set(ids).size);
			expect(new Set(ids).size, "every message stored").to.equal(sent.filter(s => s.kind === "message").length);
			const classes = await db.db().collection("classes").find({ name: { $regex: `^class ${mark}-` } }).toArray();
			const names = classes.map(c => c.name);
			expect(names.length, "no class created twice").to.equal(new Set(names).size);
			const acknowledged = sent.filter(s => s.kind === "class" && s.status === 201).map(s => `class ${s.key}`);
			expect(names, "every acknowledged class stored").to.include.members(acknowledged);
		} finally {
			await db.close();
		}
		// The dead node is out of the rotation: requests are served at once.
		const after = await timedCall(cluster.base, "GET", "/api/me", undefined, student.token);
		expect(after.status).to.equal(200);
		expect(after.ms).to.be.below(2_000);
	});
});
