/**
 * `two nodes over NATS`: the gateway runs in one process and the services in others, as in
 * production. A login and a profile update go through; a durable message published while its
 * consumer node is down is delivered once that node is back.
 */
import { expect } from "chai";
import { randomBytes, randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { ServiceBroker } from "moleculer";
import { channelsMiddleware, publishDurable } from "../../services/shared/durable.js";
import { callJson, freePort, spawnNode, until, type NodeProcess } from "../support/nodes.js";
import { latestMail } from "../support/mailpit.js";
import { requireEnv } from "../support/platform.js";

const USER_SERVICES = "auth,schools,users,invitations,classes,audit,subscriptions,mailer";

describe("two nodes over NATS", function () {
	this.timeout(180_000);
	const natsUrl = requireEnv("NATS_URL");
	const dbUrl = new URL(requireEnv("MONGO_URL"));
	dbUrl.pathname = `/lp_nodes_${process.pid}_${Date.now().toString(36)}`;
	const env = {
		NATS_URL: natsUrl,
		MONGO_URL: dbUrl.toString(),
		JWT_SECRET: randomBytes(32).toString("hex"),
		NAMESPACE: `nodes-${randomUUID().slice(0, 8)}`,
	};
	const nodes: NodeProcess[] = [];
	let base = "";
	let notificationsNode: NodeProcess;
	let admin: { id: string; schoolId: string; token: string };

	const call = (method: string, path: string, body?: unknown, token?: string) => callJson(base, method, path, body, token);
	const startNotifications = () => {
		// A fixed node id: the durable JetStream consumer is the same one across restarts.
		notificationsNode = spawnNode("notifications", { ...env, SERVICES: "notifications", NODE_ID: `${env.NAMESPACE}-notif` });
		nodes.push(notificationsNode);
	};

	before(async () => {
		const port = await freePort();
		base = `http://127.0.0.1:${port}`;
		nodes.push(spawnNode("gateway", { ...env, SERVICES: "api", PORT: String(port) }));
		nodes.push(spawnNode("users", { ...env, SERVICES: USER_SERVICES }));
		startNotifications();
		await until(async () => (await call("GET", "/health/ready")).status === 200 && (await call("GET", "/api/plans")).status === 200, "gateway routes to the users node", 90_000, nodes);
		await until(async () => (await call("GET", "/api/notifications/unread-count")).status === 401, "notifications node", 60_000, nodes);
	});

	after(async () => {
		await Promise.all(nodes.map(n => n.stop()));
		const client = await MongoClient.connect(env.MONGO_URL);
		await client.db().dropDatabase().catch(() => undefined);
		await client.close();
	});

	it("runs no database service on the gateway node", async () => {
		const ready = await call("GET", "/health/ready");
		expect(ready.body.database).to.equal(null);
	});

	it("signs up, logs in and updates a profile through the gateway node", async () => {
		const email = `nodes-${randomUUID().slice(0, 8)}@school.test`;
		const password = "correct horse battery staple";
		const signup = await call("POST", "/api/schools/signup", {
			school: { name: "Nodes School", timezone: "Europe/Paris" },
			admin: { email, password, firstName: "Node", lastName: "Admin" },
		});
		expect(signup.status, JSON.stringify(signup.body) + nodes.map(n => n.output()).join("\n")).to.equal(201);
		const token = /token=([A-Za-z0-9_-]+)/.exec((await latestMail(email, "verify-email")).text)![1];
		expect((await call("POST", "/api/auth/verify-email", { token })).status).to.equal(200);
		const login = await call("POST", "/api/auth/login", { email, password });
		expect(login.status, JSON.stringify(login.body)).to.equal(200);
		admin = { id: login.body.user.id, schoolId: login.body.user.schoolId, token: login.body.accessToken };

		const patched = await call("PATCH", "/api/me", { firstName: "Renamed" }, admin.token);
		expect(patched.status, JSON.stringify(patched.body)).to.equal(200);
		const me = await call("GET", "/api/me", undefined, admin.token);
		expect(me.body.firstName).to.equal("Renamed");
		expect(me.body.id).to.equal(admin.id);
	});

	it("delivers a durable message sent while its consumer node is down", async () => {
		expect(admin, "needs the signed-up admin").to.not.equal(undefined);
		const stopped = await notificationsNode.stop();
		expect(stopped, notificationsNode.output()).to.equal(0);
		// The gateway drops the routes of a service no node offers any more (404), or answers 503 in between.
		await until(async () => [404, 503].includes((await call("GET", "/api/notifications", undefined, admin.token)).status), "notifications to be unavailable", 20_000);

		const publisher = new ServiceBroker({
			namespace: env.NAMESPACE,
			nodeID: `${env.NAMESPACE}-publisher`,
			transporter: { type: "NATS", options: { url: natsUrl } },
			logger: false,
			middlewares: [channelsMiddleware(natsUrl)],
		});
		await publisher.start();
		const messageId = randomUUID();
		const message = { id: messageId, schoolId: admin.schoolId, userIds: [admin.id], type: "system", title: "Sent while you were away" };
		await publishDurable(publisher, "notifications.requested", message);
		// The same message again (a publisher retry): delivered, but acted on once.
		await publishDurable(publisher, "notifications.requested", message);
		await publisher.stop();

		startNotifications();
		let rows: any[] = [];
		await until(
			async () => {
				const res = await call("GET", "/api/notifications", undefined, admin.token);
				rows = res.status === 200 ? res.body.rows.filter((n: any) => n.title === message.title) : [];
				return rows.length > 0;
			},
			"the notification to arrive after the consumer restarted",
			60_000,
			nodes,
		);
		await new Promise(r => setTimeout(r, 500));
		const again = await call("GET", "/api/notifications", undefined, admin.token);
		expect(again.body.rows.filter((n: any) => n.title === message.title)).to.have.length(1);
	});
});
