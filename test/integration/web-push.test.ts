/**
 * `web push`: a browser registers its subscription; users who are not connected get chat messages,
 * reminders and session invitations as Web Push (RFC 8291 aes128gcm, VAPID RFC 8292). A local HTTP server
 * plays the push service: it checks the VAPID signature and decrypts each payload with the subscription's
 * private key, as the browser would (http_ece). 404/410 remove the subscription.
 */
import { createECDH, randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { globalAgent } from "node:https";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import ece from "http_ece";
import { importJWK, jwtVerify } from "jose";
import { Client } from "@colyseus/sdk";
import { PushSubscription } from "../../models/push-subscription.model.js";
import { bootPlatform, http } from "../support/platform.js";
import { at, commSchool, ok, openAvailability, tick, waitFor, type CommSchool } from "../support/communication.js";

interface Received {
	path: string;
	payload: any;
	vapidOk: boolean;
	ttl: string | undefined;
}

class FakePushService {
	server!: Server;
	received: Received[] = [];
	/** path → status to answer (default 201). */
	answers = new Map<string, number>();
	keys = new Map<string, { ecdh: ReturnType<typeof createECDH>; auth: Buffer }>();
	vapidPublicKey = "";

	async start(): Promise<void> {
		// A push service speaks https (web-push only posts over https): a self-signed certificate that this
		// test process, and nothing else, trusts.
		const dir = mkdtempSync(join(tmpdir(), "lp-push-"));
		execFileSync("openssl", ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
		const cert = readFileSync(join(dir, "cert.pem"));
		(globalAgent.options as any).ca = cert;
		this.server = createServer({ key: readFileSync(join(dir, "key.pem")), cert }, (req, res) => {
			const chunks: Buffer[] = [];
			req.on("data", c => chunks.push(c));
			req.on("end", async () => {
				const path = req.url ?? "/";
				const status = this.answers.get(path) ?? 201;
				const key = this.keys.get(path);
				let payload: any = null;
				let vapidOk = false;
				try {
					const clear = ece.decrypt(Buffer.concat(chunks), { version: "aes128gcm", privateKey: key!.ecdh, authSecret: key!.auth.toString("base64url") });
					payload = JSON.parse(clear.toString("utf8"));
					vapidOk = await this.checkVapid(String(req.headers.authorization ?? ""));
				} catch (err) {
					payload = { error: String(err) };
				}
				this.received.push({ path, payload, vapidOk, ttl: req.headers.ttl as string | undefined });
				res.writeHead(status).end();
			});
		});
		await new Promise<void>(r => this.server.listen(0, "127.0.0.1", () => r()));
	}

	get base(): string {
		return `https://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
	}

	/** `vapid t=<JWT signed ES256 by the application server>, k=<its public key>` (RFC 8292). */
	async checkVapid(header: string): Promise<boolean> {
		const t = /t=([^,\s]+)/.exec(header)?.[1];
		const k = /k=([^,\s]+)/.exec(header)?.[1];
		if (!t || k !== this.vapidPublicKey) return false;
		const raw = Buffer.from(k, "base64url");
		const jwk = { kty: "EC", crv: "P-256", x: raw.subarray(1, 33).toString("base64url"), y: raw.subarray(33, 65).toString("base64url") };
		const { payload } = await jwtVerify(t, await importJWK(jwk, "ES256"));
		return payload.aud === this.base;
	}

	/** A browser's subscription to this service at `path`, with its own key pair. */
	subscription(path: string) {
		const ecdh = createECDH("prime256v1");
		ecdh.generateKeys();
		const auth = randomBytes(16);
		this.keys.set(path, { ecdh, auth });
		return { endpoint: `${this.base}${path}`, keys: { p256dh: ecdh.getPublicKey().toString("base64url"), auth: auth.toString("base64url") } };
	}

	async stop(): Promise<void> {
		await new Promise<void>(r => this.server.close(() => r()));
	}
}

describe("web push", function () {
	this.timeout(60_000);
	const push = new FakePushService();
	let s: CommSchool;

	before(async () => {
		await bootPlatform();
		await push.start();
		s = await commSchool();
		await openAvailability(s.teacher);
		push.vapidPublicKey = (await ok(http("GET", "/api/push/public-key"))).publicKey;
	});
	after(() => push.stop());

	const pushesTo = (path: string) => push.received.filter(r => r.path === path);

	it("registers a browser subscription and refuses a bad one", async () => {
		const sub = push.subscription("/student-1");
		const created = await ok(http("POST", "/api/push/subscriptions", { token: s.student.token, body: { ...sub, userAgent: "Firefox" } }), 201);
		expect(created).to.include({ userId: s.student.id, endpoint: sub.endpoint });
		const again = await ok(http("POST", "/api/push/subscriptions", { token: s.student.token, body: sub }), 201);
		expect(again.id).to.equal(created.id);
		const mine = await ok(http("GET", "/api/push/subscriptions", { token: s.student.token }));
		expect(mine.rows.map((r: any) => r.id)).to.deep.equal([created.id]);
		const badKey = await http("POST", "/api/push/subscriptions", { token: s.student.token, body: { ...sub, endpoint: `${push.base}/x`, keys: { ...sub.keys, p256dh: "AAAAAAAAAAAA" } } });
		expect(badKey.status).to.equal(422);
		const notUrl = await http("POST", "/api/push/subscriptions", { token: s.student.token, body: { ...sub, endpoint: "javascript:alert(1)" } });
		expect(notUrl.status).to.equal(422);
		const theirs = await http("DELETE", `/api/push/subscriptions/${created.id}`, { token: s.classmate.token });
		expect(theirs.status).to.equal(404);
	});

	it("pushes a chat message, a session invitation and a reminder to a user who is not connected, encrypted and VAPID-signed", async () => {
		const sub = push.subscription("/classmate-1");
		await ok(http("POST", "/api/push/subscriptions", { token: s.classmate.token, body: sub }), 201);

		const conv = await ok(http("POST", "/api/conversations", { token: s.teacher.token, body: { userId: s.classmate.id } }), 201);
		await ok(http("POST", `/api/conversations/${conv.id}/messages`, { token: s.teacher.token, body: { clientId: "m1", text: "Bonjour, as-tu fini ?" } }), 201);
		const chat = await waitFor(async () => pushesTo("/classmate-1").find(r => r.payload?.type === "chat.message"), "the chat push");
		expect(chat.vapidOk).to.equal(true);
		expect(chat.payload).to.include({ type: "chat.message", body: "Bonjour, as-tu fini ?", url: `/conversations/${conv.id}` });

		const start = new Date(Date.now() + 50 * 3_600_000);
		const visio = await ok(http("POST", "/api/visios", { token: s.teacher.token, body: { classId: s.classId, title: "Class call", start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString() } }), 201);
		const invitation = await waitFor(async () => pushesTo("/classmate-1").find(r => r.payload?.type === "visio.invited"), "the invitation push");
		expect(invitation.payload.data.visioId).to.equal(visio.id);

		await at(new Date(start.getTime() - 10 * 60_000), () => tick());
		const reminder = await waitFor(async () => pushesTo("/classmate-1").find(r => r.payload?.type === "reminder.visio"), "the reminder push");
		expect(reminder.payload.data).to.include({ visioId: visio.id, offsetMinutes: 15 });
		expect(reminder.vapidOk).to.equal(true);
	});

	it("does not push to a user connected to their live channel", async () => {
		const sub = push.subscription("/student-online");
		await ok(http("POST", "/api/push/subscriptions", { token: s.student.token, body: sub }), 201);
		const { broker } = await bootPlatform();
		const port = (broker.getLocalService("realtime") as any).port;
		const client = new Client(`ws://127.0.0.1:${port}`);
		client.auth.token = s.student.token;
		const room = await client.joinOrCreate("user", { userId: s.student.id });
		try {
			const conv = await ok(http("POST", "/api/conversations", { token: s.teacher.token, body: { userId: s.student.id } }), 201);
			await ok(http("POST", `/api/conversations/${conv.id}/messages`, { token: s.teacher.token, body: { clientId: "online-1", text: "Are you there?" } }), 201);
			// The in-app notification arrives (proof the pipeline ran); no push for a connected user.
			await waitFor(async () => (await ok(http("GET", "/api/notifications?pageSize=100", { token: s.student.token }))).rows.find((n: any) => n.body === "Are you there?"), "the in-app notification");
			await new Promise(r => setTimeout(r, 500));
			expect(pushesTo("/student-online").filter(r => r.payload?.body === "Are you there?")).to.have.length(0);
		} finally {
			await room.leave(true);
		}
	});

	it("removes a subscription the push service answers 410 (or 404) for", async () => {
		const sub = push.subscription("/gone");
		push.answers.set("/gone", 410);
		await ok(http("POST", "/api/push/subscriptions", { token: s.outsider.token, body: sub }), 201);
		const { broker } = await bootPlatform();
		await broker.call("push.send", { userIds: [s.outsider.id], payload: { type: "system", title: "ping" } }, { meta: { user: { id: "system", schoolId: null, roles: ["system"] } } });
		await waitFor(async () => pushesTo("/gone").length > 0, "the push attempt");
		await waitFor(async () => (await PushSubscription.countDocuments({ endpoint: sub.endpoint })) === 0, "the subscription removed");
		const gone404 = push.subscription("/gone-404");
		push.answers.set("/gone-404", 404);
		await ok(http("POST", "/api/push/subscriptions", { token: s.outsider.token, body: gone404 }), 201);
		const result: any = await broker.call("push.send", { userIds: [s.outsider.id], payload: { type: "system", title: "ping" } }, { meta: { user: { id: "system", schoolId: null, roles: ["system"] } } });
		expect(result).to.include({ removed: 1 });
		expect(await PushSubscription.countDocuments({ endpoint: gone404.endpoint })).to.equal(0);
	});
});
