/**
 * `http hygiene` (issue 9 §3): CORS from an allow-list on both ports and preflights that never run an
 * action, an answer for every URL (prototype names included), the security headers on every answer of
 * both ports, `Cache-Control: no-store` on anything carrying a token, a WebSocket payload limit that fits
 * the largest valid chat message, and refused room joins logged as warnings without stacks.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import type { Room } from "@colyseus/sdk";
import { expect } from "chai";
import { loadSettings } from "../../config/env.js";
import { WS_MAX_PAYLOAD } from "../../rooms/message-size.js";
import { roomContext } from "../../rooms/context.js";
import { DOCS_HTML } from "../../services/gateway/docs.js";
import { gatewayEdge } from "../../services/gateway/edge.js";
import { invite, PASSWORD, signupSchool, type SchoolFixture } from "../support/accounts.js";
import { joinChat, joinFails, openConversation, realtimeEndpoint, schoolWithClass, sdkClient, type ChatSchool } from "../support/chat.js";
import { describeChanges, diff, settledSnapshot } from "../support/db-snapshot.js";
import { leaveAll } from "../support/live.js";
import { bootPlatform, http, unique } from "../support/platform.js";
import { createStaff } from "../support/two-schools.js";

const ALLOWED = "http://localhost:5173";
const FOREIGN = "https://evil.example";
const PROTOTYPE_NAMES = ["toString", "constructor", "__proto__", "hasOwnProperty", "valueOf", "isPrototypeOf", "__defineGetter__", "prototype"];

async function realtimeBase(): Promise<string> {
	return (await realtimeEndpoint()).replace(/^ws:/, "http:");
}

/** fetch with a deadline: a request left without an answer fails the test instead of hanging it. */
async function answered(url: string, init: RequestInit = {}, ms = 3000): Promise<Response> {
	const res = await fetch(url, { ...init, signal: AbortSignal.timeout(ms) }).catch(err => {
		throw new Error(`${init.method ?? "GET"} ${url} got no answer within ${ms} ms (${(err as Error).name})`);
	});
	await res.arrayBuffer();
	return res;
}

function expectSecurityHeaders(res: Response, what: string, page = false): void {
	const h = res.headers;
	expect(h.get("x-content-type-options"), `${what}: nosniff`).to.equal("nosniff");
	expect(h.get("x-frame-options"), `${what}: X-Frame-Options`).to.equal("DENY");
	expect(h.get("referrer-policy"), `${what}: Referrer-Policy`).to.equal("no-referrer");
	const csp = h.get("content-security-policy") ?? "";
	expect(csp, `${what}: frame-ancestors`).to.include("frame-ancestors 'none'");
	if (page) {
		expect(csp, `${what}: scripts from the page's own origin only`).to.include("script-src 'self'");
		expect(csp).not.to.match(/script-src[^;]*(unsafe-inline|unsafe-eval|https?:)/);
	} else {
		expect(csp, `${what}: data loads nothing`).to.include("default-src 'none'");
	}
	expect(h.get("strict-transport-security"), `${what}: no HSTS outside production over TLS`).to.equal(null);
	expect(h.get("x-powered-by"), `${what}: no X-Powered-By`).to.equal(null);
}

describe("http hygiene", function () {
	this.timeout(60_000);
	let baseUrl = "";
	let fx: SchoolFixture;

	before(async () => {
		({ baseUrl } = await bootPlatform());
		fx = await signupSchool();
	});

	describe("CORS on the API", () => {
		it("answers an allowed origin (development default: localhost on any port) without credentials", async () => {
			const res = await answered(`${baseUrl}/api/me`, { headers: { origin: ALLOWED, authorization: `Bearer ${fx.admin.token}` } });
			expect(res.status).to.equal(200);
			expect(res.headers.get("access-control-allow-origin")).to.equal(ALLOWED);
			expect(res.headers.get("vary") ?? "").to.include("Origin");
			expect(res.headers.get("access-control-allow-credentials"), "bearer tokens, never cookies").to.equal(null);
		});

		it("gives an origin outside the list no CORS header at all", async () => {
			for (const origin of [FOREIGN, "null", "http://localhost.evil.example:5173", "https://localhost:5173"]) {
				const res = await answered(`${baseUrl}/api/me`, { headers: { origin, authorization: `Bearer ${fx.admin.token}` } });
				expect(res.headers.get("access-control-allow-origin"), origin).to.equal(null);
				const preflight = await answered(`${baseUrl}/api/me`, { method: "OPTIONS", headers: { origin, "access-control-request-method": "PATCH" } });
				expect(preflight.status, origin).to.equal(204);
				expect(preflight.headers.get("access-control-allow-origin"), origin).to.equal(null);
			}
		});

		it("answers a preflight itself and never runs the action it names (a preflight revoked an invitation)", async () => {
			const email = `${unique("pre")}@school.test`;
			const created = await http("POST", "/api/invitations", { token: fx.admin.token, body: { email, role: "teacher" } });
			expect(created.status).to.equal(201);
			const before = await settledSnapshot();
			const attempts: [string, string, string?][] = [
				["DELETE", `/api/invitations/${created.body.id}`],
				["PATCH", "/api/me", JSON.stringify({ firstName: "Preflighted" })],
				["POST", "/api/auth/logout", JSON.stringify({ all: true })],
			];
			for (const [method, path, body] of attempts) {
				for (const origin of [ALLOWED, FOREIGN, undefined]) {
					const headers: Record<string, string> = { "access-control-request-method": method, authorization: `Bearer ${fx.admin.token}`, "content-type": "application/json" };
					if (origin) headers.origin = origin;
					const res = await answered(`${baseUrl}${path}`, { method: "OPTIONS", headers, body });
					expect(res.status, `OPTIONS ${path} (${method}) from ${origin}`).to.equal(204);
					expect(await res.text()).to.equal("");
				}
				// An OPTIONS without a preflight header is not routed either.
				expect((await answered(`${baseUrl}${path}`, { method: "OPTIONS", headers: { authorization: `Bearer ${fx.admin.token}` } })).status).to.equal(204);
			}
			const after = await settledSnapshot();
			expect(describeChanges(diff(before, after))).to.deep.equal([]);
			const still = await http("GET", "/api/invitations", { token: fx.admin.token });
			expect(still.body.rows.map((i: any) => i.id)).to.include(created.body.id);
		});

		it("answers an allowed preflight with the methods and headers the API uses", async () => {
			const res = await answered(`${baseUrl}/api/me`, {
				method: "OPTIONS",
				headers: { origin: ALLOWED, "access-control-request-method": "PATCH", "access-control-request-headers": "authorization,content-type" },
			});
			expect(res.status).to.equal(204);
			expect(res.headers.get("access-control-allow-origin")).to.equal(ALLOWED);
			expect(res.headers.get("access-control-allow-methods")).to.include("PATCH");
			expect((res.headers.get("access-control-allow-headers") ?? "").toLowerCase()).to.include("authorization");
			expect(res.headers.get("access-control-allow-credentials")).to.equal(null);
		});
	});

	describe("CORS on the realtime port", () => {
		it("reflects no foreign origin, and never with credentials", async () => {
			const base = await realtimeBase();
			for (const [method, path] of [["GET", "/"], ["POST", "/matchmake/joinOrCreate/chat"], ["OPTIONS", "/matchmake/joinOrCreate/chat"]]) {
				const headers: Record<string, string> = { origin: FOREIGN, "content-type": "application/json" };
				if (method === "OPTIONS") headers["access-control-request-method"] = "POST";
				const res = await answered(`${base}${path}`, { method, headers, ...(method === "POST" ? { body: "{}" } : {}) });
				expect(res.headers.get("access-control-allow-origin"), `${method} ${path}`).to.equal(null);
				expect(res.headers.get("access-control-allow-credentials"), `${method} ${path}`).to.equal(null);
			}
		});

		it("answers an allowed origin, with credentials (the Colyseus SDK sends its requests with them)", async () => {
			const base = await realtimeBase();
			const res = await answered(`${base}/matchmake/joinOrCreate/chat`, { method: "OPTIONS", headers: { origin: ALLOWED, "access-control-request-method": "POST" } });
			expect(res.status).to.equal(204);
			expect(res.headers.get("access-control-allow-origin")).to.equal(ALLOWED);
			expect(res.headers.get("access-control-allow-credentials")).to.equal("true");
			expect(res.headers.get("vary") ?? "").to.include("Origin");
		});
	});

	describe("an answer for every URL", () => {
		it("answers prototype names anywhere in the path (GET /api/docs/toString hung)", async () => {
			const token = fx.admin.token;
			for (const name of PROTOTYPE_NAMES) {
				for (const path of [`/api/docs/${name}`, `/api/${name}`, `/${name}`, `/health/${name}`, `/api/users/${name}`, `/api/${name}/x`, `/api/classes/${name}/students`, `/api/me?${name}=1`]) {
					for (const auth of [undefined, token]) {
						const res = await answered(`${baseUrl}${path}`, auth ? { headers: { authorization: `Bearer ${auth}` } } : {});
						expect(res.status, `${path}`).to.be.within(200, 499);
					}
				}
			}
			const docs = await answered(`${baseUrl}/api/docs/toString`);
			expect(docs.status).to.equal(404);
			const realtime = await realtimeBase();
			for (const name of PROTOTYPE_NAMES) {
				expect((await answered(`${realtime}/${name}`)).status, `realtime /${name}`).to.be.within(200, 499);
				expect((await answered(`${realtime}/matchmake/joinOrCreate/${name}`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" })).status).to.be.within(200, 499);
			}
		});
	});

	describe("NUL characters", () => {
		it("are a 400 in any parameter, not a 500 from MongoDB (found by the fuzz: GET /api/schools?q=%00…)", async () => {
			const staff = await createStaff("platform_admin");
			const search = await http("GET", "/api/schools?q=%00abc", { token: staff.token });
			expect(search.status, JSON.stringify(search.body)).to.equal(400);
			expect(search.body.error).to.include({ type: "BAD_REQUEST" });
			const body = await http("PATCH", "/api/me", { token: fx.admin.token, body: { firstName: "A\u0000B" } });
			expect(body.status).to.equal(400);
			expect(body.body.error.data).to.deep.equal([{ field: "firstName", message: "contains a NUL character" }]);
		});
	});

	describe("security headers", () => {
		it("are on every answer of the gateway: data, errors, health, 404, the docs page, the web client", async () => {
			expectSecurityHeaders(await answered(`${baseUrl}/api/me`), "401");
			expectSecurityHeaders(await answered(`${baseUrl}/api/me`, { headers: { authorization: `Bearer ${fx.admin.token}` } }), "200");
			expectSecurityHeaders(await answered(`${baseUrl}/health/live`), "health");
			expectSecurityHeaders(await answered(`${baseUrl}/api/no/such/route`), "404");
			const missingFile = await answered(`${baseUrl}/no/such/file.txt`);
			expect(missingFile.status).to.equal(404);
			expectSecurityHeaders(missingFile, "404 outside the API");
			// A client route: the web client's page, under its own page policy.
			const clientPage = await answered(`${baseUrl}/no/such/route`);
			expect(clientPage.status).to.equal(200);
			expectSecurityHeaders(clientPage, "client page", true);
			expectSecurityHeaders(await answered(`${baseUrl}/api/openapi.json`), "openapi.json");
			expectSecurityHeaders(await answered(`${baseUrl}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: "{not json" }), "400");
			const page = await answered(`${baseUrl}/api/docs`);
			expect(page.status).to.equal(200);
			expectSecurityHeaders(page, "docs page", true);
		});

		it("let the docs page run under its policy: no inline script, every asset served locally", async () => {
			expect(DOCS_HTML, "no inline script").not.to.match(/<script>(?!<\/script>)|<script(?![^>]*\bsrc=)[^>]*>/);
			const assets = [...DOCS_HTML.matchAll(/(?:src|href)="([^"]+)"/g)].map(m => m[1]);
			expect(assets.length).to.be.greaterThan(2);
			for (const asset of assets) {
				expect(asset, "no CDN").to.match(/^\/api\/docs\//);
				const res = await answered(`${baseUrl}${asset}`);
				expect(res.status, asset).to.equal(200);
				expect(res.headers.get("cache-control"), asset).to.include("max-age");
			}
			expect(await (await fetch(`${baseUrl}/api/docs/init.js`)).text()).to.include('"/api/openapi.json"');
		});

		it("are on every answer of the realtime port, the monitor getting the page policy", async () => {
			const base = await realtimeBase();
			expectSecurityHeaders(await answered(`${base}/`), "realtime /");
			expectSecurityHeaders(await answered(`${base}/no/such/thing`), "realtime 404");
			const matchmake = await answered(`${base}/matchmake/joinOrCreate/chat`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}" });
			expectSecurityHeaders(matchmake, "matchmake");
			expect(matchmake.headers.get("cache-control")).to.equal("no-store");
			expectSecurityHeaders(await answered(`${base}/monitor/`), "monitor", true);
		});

		it("keep every answer that carries a token out of caches", async () => {
			const login = await answered(`${baseUrl}/api/auth/login`, {
				method: "POST",
				headers: { "content-type": "application/json" },
				body: JSON.stringify({ email: fx.admin.email, password: PASSWORD }),
			});
			expect(login.status).to.equal(200);
			expect(login.headers.get("cache-control")).to.equal("no-store");
			const tokens = await (await fetch(`${baseUrl}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email: fx.admin.email, password: PASSWORD }) })).json();
			const refresh = await answered(`${baseUrl}/api/auth/refresh`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ refreshToken: tokens.refreshToken }) });
			expect(refresh.status).to.equal(200);
			expect(refresh.headers.get("cache-control")).to.equal("no-store");
			expect((await answered(`${baseUrl}/api/me`, { headers: { authorization: `Bearer ${tokens.accessToken}` } })).headers.get("cache-control")).to.equal("no-store");
		});

		it("send HSTS only in production and only over TLS (the socket's, or a trusted proxy's X-Forwarded-Proto)", async () => {
			const serve = async (env: Record<string, string>): Promise<{ server: Server; url: string }> => {
				const edge = gatewayEdge(loadSettings({ JWT_SECRET: "x".repeat(40), ...env }));
				const server = createServer((req: IncomingMessage, res: ServerResponse) => edge(req, res, () => res.end("ok")));
				await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
				return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/x` };
			};
			const prod = await serve({ NODE_ENV: "production", TRUSTED_PROXIES: "127.0.0.1" });
			const dev = await serve({ NODE_ENV: "development", TRUSTED_PROXIES: "127.0.0.1" });
			const untrusted = await serve({ NODE_ENV: "production" });
			try {
				const https = { headers: { "x-forwarded-proto": "https" } };
				expect((await answered(prod.url, https)).headers.get("strict-transport-security")).to.match(/^max-age=31536000; includeSubDomains$/);
				expect((await answered(prod.url)).headers.get("strict-transport-security"), "plain HTTP").to.equal(null);
				expect((await answered(dev.url, https)).headers.get("strict-transport-security"), "development").to.equal(null);
				expect((await answered(untrusted.url, https)).headers.get("strict-transport-security"), "X-Forwarded-Proto from anyone").to.equal(null);
				// Production allows no origin until CORS_ORIGINS lists one.
				expect((await answered(prod.url, { headers: { origin: ALLOWED } })).headers.get("access-control-allow-origin")).to.equal(null);
			} finally {
				for (const s of [prod, dev, untrusted]) s.server.close();
			}
			const listed = gatewayEdge(loadSettings({ NODE_ENV: "production", JWT_SECRET: "x".repeat(40), CORS_ORIGINS: "https://app.school.example" }));
			const server = createServer((req, res) => listed(req, res, () => res.end("ok")));
			await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
			try {
				const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/x`;
				expect((await answered(url, { headers: { origin: "https://app.school.example" } })).headers.get("access-control-allow-origin")).to.equal("https://app.school.example");
				expect((await answered(url, { headers: { origin: ALLOWED } })).headers.get("access-control-allow-origin")).to.equal(null);
			} finally {
				server.close();
			}
		});
	});

	describe("WebSocket payload", () => {
		let s: ChatSchool;
		let conversationId = "";
		const rooms: Room[] = [];

		before(async () => {
			s = await schoolWithClass();
			conversationId = (await openConversation(s.student, s.teacher)).id;
		});

		after(async () => {
			await leaveAll(rooms.splice(0));
		});

		it("carries 4,000 characters of 4-byte UTF-8 (emoji) over the socket, as REST does", async () => {
			const text = "😀".repeat(4000);
			expect(Buffer.byteLength(text)).to.equal(16_000);
			const room = await joinChat(s.student, conversationId);
			rooms.push(room);
			const sent = new Promise<any>((resolve, reject) => {
				room.onMessage("sent", resolve);
				room.onMessage("error", reject);
				room.onLeave(code => reject(new Error(`socket closed with ${code}`)));
			});
			room.send("send", { clientId: "emoji-ws", text });
			const answer = await sent;
			expect(answer.message.text).to.equal(text);
			const rest = await http("POST", `/api/conversations/${conversationId}/messages`, { token: s.student.token, body: { clientId: "emoji-rest", text } });
			expect(rest.status, JSON.stringify(rest.body).slice(0, 200)).to.equal(201);
			const history = await http("GET", `/api/conversations/${conversationId}/messages`, { token: s.teacher.token });
			expect(history.body.rows.filter((m: any) => m.text === text)).to.have.length(2);
			// One character more is refused, over both transports, and the socket stays open.
			const tooLong = await http("POST", `/api/conversations/${conversationId}/messages`, { token: s.student.token, body: { clientId: "emoji-long", text: `${text}😀` } });
			expect(tooLong.status).to.equal(422);
		});

		it("closes a socket whose frame is larger than the largest valid message with 1009", async () => {
			const room = await joinChat(s.teacher, conversationId);
			const closed = new Promise<number>(resolve => room.onLeave(code => resolve(code)));
			room.send("send", { clientId: "huge", text: "x".repeat(WS_MAX_PAYLOAD + 1) });
			expect(await closed).to.equal(1009);
		});
	});

	describe("refused room joins", () => {
		it("are logged as one warning line without a stack, never as errors", async () => {
			const school = await schoolWithClass();
			const outsider = await invite(school.admin, "student");
			const conversation = await openConversation(school.student, school.teacher);
			const endpoint = await realtimeEndpoint();
			const logger = roomContext().logger;
			const warnings: string[] = [];
			const errors: unknown[][] = [];
			const unhandled: unknown[] = [];
			const original = { warn: logger.warn, error: logger.error };
			const onUnhandled = (reason: unknown) => unhandled.push(reason);
			logger.warn = (...args: unknown[]) => void warnings.push(args.map(String).join(" "));
			logger.error = (...args: unknown[]) => void errors.push(args);
			process.on("unhandledRejection", onUnhandled);
			try {
				// Refused by a room's onAuth (before any seat), and by admit (a seat, then refused: onDrop runs).
				await joinFails(sdkClient(endpoint, school.teacher.token).create("revision", { pathId: "65a000000000000000000001", stepId: "s1" }));
				await joinFails(sdkClient(endpoint, outsider.token).joinOrCreate("chat", { conversationId: conversation.id }));
				await joinFails(sdkClient(endpoint, school.student.token).create("revision", { pathId: "65a000000000000000000001", stepId: "s1" }));
				await new Promise(r => setTimeout(r, 200));
			} finally {
				logger.warn = original.warn;
				logger.error = original.error;
				process.off("unhandledRejection", onUnhandled);
			}
			expect(errors.map(e => String(e[0])), "no error logged").to.deep.equal([]);
			expect(unhandled.map(String), "no unhandled rejection (allowReconnection … not joined)").to.deep.equal([]);
			expect(warnings.filter(w => /refused a join/.test(w))).to.have.length(3);
			for (const w of warnings) expect(w, "one line, no stack").not.to.match(/\n|\bat .+:\d+:\d+/);
		});
	});
});

