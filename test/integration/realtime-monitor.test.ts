/**
 * The Colyseus monitor on the realtime server, over real HTTP against the shared platform (where
 * REALTIME_MONITOR defaults to on, NODE_ENV being test): who gets in, the browser login by cookie, that
 * Colyseus' own routes are untouched, and a production node without the setting serving no monitor.
 */
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { request as httpRequest } from "node:http";
import { User } from "../../models/user.model.js";
import { signAccessToken } from "../../services/shared/tokens.js";
import { createPlatformAdmin, invite, type Account } from "../support/accounts.js";
import { joinByCode, leaveAll, liveSchool, openLive, type LiveSchool } from "../support/live.js";
import { freePort, spawnNode, until, type NodeProcess } from "../support/nodes.js";
import { bootPlatform } from "../support/platform.js";
import { withSettings } from "../support/settings-override.js";

interface Reply {
	status: number;
	headers: Headers;
	text: string;
	json: any;
}

async function get(base: string, path: string, headers: Record<string, string> = {}): Promise<Reply> {
	const res = await fetch(base + path, { headers, redirect: "manual" });
	const text = await res.text();
	let json: any;
	try {
		json = JSON.parse(text);
	} catch {
		/* not JSON */
	}
	return { status: res.status, headers: res.headers, text, json };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A path sent byte for byte (fetch would normalise it). */
function rawGet(port: number, path: string, headers: Record<string, string> = {}): Promise<number> {
	return new Promise((resolve, reject) => {
		const req = httpRequest({ host: "127.0.0.1", port, path, headers }, res => {
			res.resume();
			res.on("end", () => resolve(res.statusCode ?? 0));
		});
		req.on("error", reject);
		req.end();
	});
}

function expectRefused(reply: Reply, status: 401 | 403, type: string): void {
	expect(reply.status, reply.text).to.equal(status);
	expect(reply.headers.get("content-type")).to.match(/^application\/json/);
	expect(reply.json).to.have.nested.property("error.type", type);
	expect(reply.json.error.message).to.be.a("string").and.not.equal("");
	// Nothing of the monitor leaks into a refusal.
	expect(reply.text).not.to.match(/Colyseus|rooms/);
}

describe("realtime monitor (Colyseus monitor behind the platform-admin gate)", () => {
	let port: number;
	let base: string;
	let root: Account;
	let school: LiveSchool;
	const rooms: Room[] = [];

	before(async function () {
		this.timeout(60_000);
		const { broker } = await bootPlatform();
		port = (broker.getLocalService("realtime") as any).port;
		base = `http://127.0.0.1:${port}`;
		root = await createPlatformAdmin();
		school = await liveSchool({ students: 1 });
	});

	after(async () => {
		await leaveAll(rooms);
	});

	it("refuses an anonymous caller with 401 everywhere under /monitor", async () => {
		for (const path of ["/monitor/api", "/monitor/", "/monitor", "/monitor/api/room?roomId=x", "/monitor/api/room/call?roomId=x&method=disconnect&args=[]", "/monitor/assets/x.js"]) {
			const reply = await get(base, path);
			expectRefused(reply, 401, "UNAUTHORIZED");
			expect(reply.headers.get("www-authenticate"), path).to.match(/^Bearer/);
		}
	});

	it("refuses a garbage, a malformed or an expired token with 401 (INVALID_TOKEN, as the gateway does)", async () => {
		expectRefused(await get(base, "/monitor/api", bearer("not-a-jwt")), 401, "INVALID_TOKEN");
		expectRefused(await get(base, "/monitor/api", { authorization: `Basic ${Buffer.from("root:pw").toString("base64")}` }), 401, "INVALID_TOKEN");
		expectRefused(await get(base, "/monitor/api", { cookie: "lp_monitor=not-a-jwt" }), 401, "INVALID_TOKEN");
		expectRefused(await get(base, "/monitor/?token=not-a-jwt"), 401, "INVALID_TOKEN");
		// A real platform admin's token, signed with the platform's secret, expired ten seconds ago.
		const expired = await withSettings({ accessTokenTtlSeconds: -10 }, () => signAccessToken({ id: root.id, schoolId: null, roles: ["platform_admin"] }));
		const reply = await get(base, "/monitor/api", bearer(expired.token));
		expectRefused(reply, 401, "INVALID_TOKEN");
		expect(reply.json.error.message).to.match(/expired/i);
	});

	it("refuses a teacher and a school admin with 403 FORBIDDEN, by header, cookie and login link", async () => {
		for (const account of [school.teacher, school.admin]) {
			expectRefused(await get(base, "/monitor/api", bearer(account.token)), 403, "FORBIDDEN");
			expectRefused(await get(base, "/monitor/api", { cookie: `lp_monitor=${account.token}` }), 403, "FORBIDDEN");
			const login = await get(base, `/monitor/?token=${account.token}`);
			expectRefused(login, 403, "FORBIDDEN");
			expect(login.headers.get("set-cookie"), "no cookie for a refused login").to.equal(null);
		}
	});

	it("serves a platform admin the rooms, an open live group room among them", async () => {
		const opened = await openLive(school);
		expect(opened.status, JSON.stringify(opened.body)).to.equal(201);
		// Joining goes through Colyseus' matchmaking route, on the same HTTP server as the monitor.
		rooms.push(await joinByCode(school.students[0], opened.body.joinCode));

		const reply = await get(base, "/monitor/api", bearer(root.token));
		expect(reply.status, reply.text).to.equal(200);
		expect(reply.headers.get("x-powered-by")).to.equal(null);
		const listed = reply.json.rooms.find((r: any) => r.roomId === opened.body.roomId);
		expect(listed, JSON.stringify(reply.json.rooms)).to.include({ name: "group", clients: 1 });

		const inspect = await get(base, `/monitor/api/room?roomId=${encodeURIComponent(opened.body.roomId)}`, bearer(root.token));
		expect(inspect.status, inspect.text).to.equal(200);
		expect(inspect.json).to.have.property("roomId", opened.body.roomId);
		// The monitor is a same-origin page: Colyseus' reflected CORS headers are not on it.
		const fromElsewhere = await get(base, "/monitor/api", { ...bearer(root.token), origin: "https://evil.example" });
		expect(fromElsewhere.status).to.equal(200);
		expect(fromElsewhere.headers.get("access-control-allow-origin")).to.equal(null);
		expect(fromElsewhere.headers.get("access-control-allow-credentials")).to.equal(null);
	});

	it("logs a browser in with ?token=: 303 to the page without it, then the HttpOnly cookie alone opens the API and the page", async () => {
		const login = await get(base, `/monitor/?token=${root.token}`);
		expect(login.status, login.text).to.equal(303);
		expect(login.headers.get("location")).to.equal("/monitor/");
		const setCookie = login.headers.get("set-cookie") ?? "";
		expect(setCookie).to.match(new RegExp(`^lp_monitor=${root.token.replace(/\./g, "\\.")};`));
		const attributes = setCookie.split(";").map(a => a.trim().toLowerCase());
		expect(attributes).to.include.members(["httponly", "samesite=strict", "path=/monitor"]);
		expect(attributes, "plain http: no Secure").not.to.include("secure");
		const cookie = setCookie.split(";")[0];

		const api = await get(base, "/monitor/api", { cookie });
		expect(api.status, api.text).to.equal(200);
		expect(api.json).to.have.property("rooms").that.is.an("array");
		const page = await get(base, "/monitor/", { cookie });
		expect(page.status, page.text).to.equal(200);
		expect(page.headers.get("content-type")).to.match(/^text\/html/);
		expect(page.text).to.match(/<div id="app">/);

		// The browser's own fetches from the page carry Sec-Fetch-Site same-origin; a sibling origin's page may not use the cookie.
		expect((await get(base, "/monitor/api", { cookie, "sec-fetch-site": "same-origin" })).status).to.equal(200);
		for (const site of ["same-site", "cross-site"]) {
			expectRefused(await get(base, "/monitor/api/room/call?roomId=x&method=disconnect&args=[]", { cookie, "sec-fetch-site": site }), 403, "FORBIDDEN");
		}

		// Other query parameters survive the login; behind an https proxy the cookie is Secure.
		const proxied = await get(base, `/monitor/?a=1&token=${root.token}`, { "x-forwarded-proto": "https" });
		expect(proxied.status).to.equal(303);
		expect(proxied.headers.get("location")).to.equal("/monitor/?a=1");
		expect((proxied.headers.get("set-cookie") ?? "").split(";").map(a => a.trim().toLowerCase())).to.include("secure");
	});

	it("refuses a suspended platform admin with 403: the token still verifies, the account check refuses it", async () => {
		const staff = await createPlatformAdmin();
		expect((await get(base, "/monitor/api", bearer(staff.token))).status).to.equal(200);
		// No endpoint suspends platform staff (users.suspend is per school): an operator does it in the database.
		await User.updateOne({ _id: staff.id }, { $set: { status: "suspended", suspendedAt: new Date() } });
		expectRefused(await get(base, "/monitor/api", bearer(staff.token)), 403, "FORBIDDEN");
		expectRefused(await get(base, "/monitor/api", { cookie: `lp_monitor=${staff.token}` }), 403, "FORBIDDEN");
		expectRefused(await get(base, `/monitor/?token=${staff.token}`), 403, "FORBIDDEN");
	});

	it("never hands the monitor another spelling of its path", async () => {
		for (const path of ["/MONITOR/api", "/Monitor/", "/%6Donitor/api", "/monitor%2Fapi", "//monitor/api", "/x/../monitor/api"]) {
			const status = await rawGet(port, path);
			expect(status, path).to.be.oneOf([401, 404]);
		}
	});

	it("leaves Colyseus' own routes as they were", async () => {
		const matchmake = await fetch(`${base}/matchmake/joinOrCreate/no_such_room`, {
			method: "POST",
			headers: { "content-type": "application/json", origin: "https://app.example" },
			body: "{}",
		});
		// A 404 now (Colyseus's own 520 is mapped: an unknown room type is the client's mistake), and no
		// CORS header for an origin outside CORS_ORIGINS (issue 9 §3: no Origin reflected with credentials).
		expect(matchmake.status).to.equal(404);
		expect(JSON.stringify(await matchmake.json())).to.match(/no_such_room/);
		expect(matchmake.headers.get("access-control-allow-origin")).to.equal(null);
		expect((await get(base, "/__healthcheck")).status).to.equal(200);
		expect((await get(base, "/")).text).to.match(/^Colyseus/);
	});

	it("serves no monitor (404, as an unknown path) on a production node without REALTIME_MONITOR", async function () {
		this.timeout(90_000);
		const rtPort = await freePort();
		const node: NodeProcess = spawnNode("realtime-production", {
			NODE_ENV: "production",
			JWT_SECRET: randomBytes(32).toString("hex"),
			SERVICES: "realtime",
			REALTIME_PORT: String(rtPort),
			// A lone realtime node: no transporter, no shared presence, no database.
			NATS_URL: "",
			REDIS_URL: "",
			MONGO_URL: "",
			REALTIME_MONITOR: "",
		});
		try {
			const prod = `http://127.0.0.1:${rtPort}`;
			await until(async () => (await get(prod, "/__healthcheck")).status === 200, "the production realtime node", 60_000, [node]);
			const unknown = await get(prod, "/no-such-page");
			expect(unknown.status).to.equal(404);
			for (const path of ["/monitor/", "/monitor/api", "/monitor/api/room/call?roomId=x&method=disconnect&args=[]"]) {
				const reply = await get(prod, path, bearer(root.token));
				expect(reply.status, `${path}: ${reply.text}`).to.equal(404);
				expect(reply.text, path).to.equal(unknown.text);
			}
			const matchmake = await fetch(`${prod}/matchmake/joinOrCreate/no_such_room`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
			expect(matchmake.status).to.be.within(400, 599);
		} finally {
			await node.stop();
		}
	});
});
