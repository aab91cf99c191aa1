/**
 * `fault tolerance`: the database restarts. The platform's node runs on a MongoDB-wire server of this
 * test's own (an H2 file, so data survives), which is stopped and started again: meanwhile requests answer
 * 503 (never a 500, never a hang) and /health/ready says the database is away; afterwards everything
 * works again without restarting the platform, and nothing written before is lost.
 */
import { expect } from "chai";
import { FaultCluster, ownMongo, timedCall, type Daemon } from "../support/faults.js";
import { until } from "../support/nodes.js";
import { unique } from "../support/platform.js";

describe("fault tolerance: the database restarts", function () {
	this.timeout(300_000);
	let mongo: Daemon;
	let cluster: FaultCluster;

	before(async () => {
		mongo = await ownMongo();
		// One node, no transporter: what is measured is the node and its database.
		cluster = new FaultCluster("dbr", { MONGO_URL: mongo.url, NATS_URL: "", REDIS_URL: "" });
		await cluster.startNodes([{ name: "platform", services: "all,-realtime", gateway: true }]);
	});

	after(async () => {
		await cluster?.stop().catch(() => undefined);
		await mongo?.dispose();
	});

	it("answers 503 while the database is away, and works again once it is back", async () => {
		const admin = `dbr-${unique()}@school.test`;
		await cluster.signup("Database Restart", admin);
		const me = await cluster.login(admin);
		const before = await cluster.ok(201, cluster.call("POST", "/api/classes", { name: `kept ${unique()}` }, me.token));

		// Stopped as for maintenance or a failover (SIGTERM). The test server's H2 file keeps what it had
		// committed when killed outright, but commits about once a second: a crash would lose the last
		// second of writes there, which a journaled MongoDB does not.
		await mongo.stop();
		// The first requests may still find the old connection; within seconds every one is a clean 503.
		await until(async () => (await timedCall(cluster.base, "GET", "/api/classes", undefined, me.token)).status === 503, "a 503 while the database is away", 30_000, cluster.nodes);
		const answers = await Promise.all([
			timedCall(cluster.base, "GET", "/api/classes", undefined, me.token),
			timedCall(cluster.base, "POST", "/api/classes", { name: `lost ${unique()}` }, me.token),
			timedCall(cluster.base, "GET", "/api/me", undefined, me.token),
		]);
		for (const a of answers) {
			expect(a.status, JSON.stringify(a.body)).to.equal(503);
			expect(a.body.error.type).to.equal("SERVICE_UNAVAILABLE");
			expect(a.ms, "answered without waiting for the driver").to.be.below(12_000);
		}
		const ready = await timedCall(cluster.base, "GET", "/health/ready");
		expect(ready.status).to.equal(503);
		expect(ready.body).to.include({ ready: false, database: false });
		expect((await timedCall(cluster.base, "GET", "/health/live")).status, "the process itself is alive").to.equal(200);

		await mongo.start();
		await until(async () => (await timedCall(cluster.base, "GET", "/health/ready")).status === 200, "ready again", 60_000, cluster.nodes);

		const list = await cluster.ok(200, cluster.call("GET", "/api/classes", undefined, me.token));
		expect(list.rows.map((c: any) => c.id), "what was written before the restart").to.include(before.id);
		await cluster.ok(201, cluster.call("POST", "/api/classes", { name: `after ${unique()}` }, me.token));
		expect(cluster.byName.get("platform")!.proc.exitCode, "the platform was not restarted").to.equal(null);
	});
});
