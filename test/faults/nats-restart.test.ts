/**
 * `fault tolerance`: NATS restarts. The platform runs on two nodes over a NATS server of this test's own
 * (JetStream on, with its own store), which is killed and started again. Durable messages published
 * meanwhile (here: the notification requests of chat messages sent while it was away) are kept in the
 * database and delivered once it is back, each applied once; plain events of that time (the live push of
 * those messages) are lost, and nothing depends on them: the messages themselves are stored and listed.
 */
import { expect } from "chai";
import { MongoClient } from "mongodb";
import { FaultCluster, ownNats, timedCall, type Daemon } from "../support/faults.js";
import { until } from "../support/nodes.js";
import { unique } from "../support/platform.js";

describe("fault tolerance: NATS restarts", function () {
	this.timeout(360_000);
	let nats: Daemon;
	let cluster: FaultCluster;

	before(async () => {
		nats = await ownNats();
		cluster = new FaultCluster("natsr", { NATS_URL: nats.url });
		await cluster.startNodes([
			{ name: "platform", services: "all,-realtime", gateway: true },
			{ name: "services-b", services: "all,-api,-realtime" },
		]);
	});

	after(async () => {
		await cluster?.stop().catch(() => undefined);
		await nats?.dispose();
	});

	it("delivers the durable messages published while it was away once it is back, each applied once", async () => {
		const adminEmail = `natsr-${unique()}@school.test`;
		await cluster.signup("NATS Restart", adminEmail);
		const admin = await cluster.login(adminEmail);
		const teacher = await cluster.member(admin, "teacher", `natsr-t-${unique()}@school.test`);
		const student = await cluster.member(admin, "student", `natsr-s-${unique()}@school.test`);
		await cluster.ok(201, cluster.call("POST", "/api/classes", { name: `c ${unique()}`, teacherIds: [teacher.id], studentIds: [student.id] }, admin.token));
		const conversation = await cluster.ok(201, cluster.call("POST", "/api/conversations", { userId: teacher.id }, student.token));
		const db = await MongoClient.connect(cluster.env.MONGO_URL);
		const notices = (ids: string[]) => db.db().collection("notifications").find({ "data.messageId": { $in: ids } }).toArray();
		try {
			// Before: a message's notification reaches the (offline) teacher through the durable channel.
			const first = await cluster.ok(201, cluster.call("POST", `/api/conversations/${conversation.id}/messages`, { clientId: `n0-${unique()}`, text: "before" }, student.token));
			const firstId = first.message?.id ?? first.id;
			await until(async () => (await notices([firstId])).length === 1, "the first notification", 20_000, cluster.nodes);

			await nats.kill();
			// The platform node serves these alone (its services are local); their durable messages cannot reach NATS.
			const during = await Promise.all(
				Array.from({ length: 5 }, (_, i) => timedCall(cluster.base, "POST", `/api/conversations/${conversation.id}/messages`, { clientId: `n${i + 1}-${unique()}`, text: `during ${i}` }, student.token)),
			);
			for (const r of during) expect(r.status, JSON.stringify(r.body)).to.equal(201);
			const ids = during.map(r => r.body.message?.id ?? r.body.id);
			const kept = await db.db().collection("durableoutboxes").countDocuments({});
			expect(kept, "durable messages kept in the database while NATS is away").to.be.greaterThanOrEqual(5);
			// The messages are stored: nothing depended on the live push that was lost.
			const listed = await cluster.ok(200, cluster.call("GET", `/api/conversations/${conversation.id}/messages`, undefined, teacher.token));
			expect(listed.rows.map((m: any) => m.id)).to.include.members(ids);
			expect((await notices(ids)).length, "not delivered while NATS is away").to.equal(0);

			await nats.start();
			await until(async () => (await notices(ids)).length >= 5, "the notifications of the messages sent while NATS was away", 60_000, cluster.nodes);
			// Give a duplicate (two relays, JetStream's redelivery) the time to show, then count.
			await new Promise(r => setTimeout(r, 3000));
			const delivered = await notices(ids);
			expect(delivered.map(n => n.data.messageId).sort(), "each applied once").to.deep.equal([...ids].sort());
			expect(await db.db().collection("durableoutboxes").countDocuments({}), "the outbox is empty again").to.equal(0);
			// The nodes see each other again and a new message flows as before.
			await until(async () => (await cluster.nodesUp()).length === 2, "both nodes over NATS again", 60_000, cluster.nodes);
			const after = await cluster.ok(201, cluster.call("POST", `/api/conversations/${conversation.id}/messages`, { clientId: `n9-${unique()}`, text: "after" }, student.token));
			await until(async () => (await notices([after.message?.id ?? after.id])).length === 1, "a notification after the restart", 20_000, cluster.nodes);
		} finally {
			await db.close();
		}
	});
});
