/**
 * `observability` (issue 16): the admin-only metrics endpoint in Prometheus format (moleculer's request
 * metrics per action, event-loop delay, database pool), the request id a client sends or gets, and the
 * JSON log lines that carry it.
 */
import { expect } from "chai";
import { randomBytes } from "node:crypto";
import { createPlatformAdmin, invite, signupSchool, type Account } from "../support/accounts.js";
import { bootPlatform, http, settings } from "../support/platform.js";
import { overrideSettings } from "../../config/env.js";
import { jsonLogFormatter } from "../../services/ops/log-format.js";
import { currentRequest, requestContextMiddleware } from "../../services/ops/request-context.js";
import { mergeExpositions } from "../../services/ops/prometheus.js";

describe("observability", function () {
	this.timeout(60_000);
	let root: Account;
	let teacher: Account;

	before(async () => {
		await bootPlatform();
		root = await createPlatformAdmin();
		const school = await signupSchool();
		teacher = await invite(school.admin, "teacher");
	});

	it("serves the metrics to platform admins only, in Prometheus text", async () => {
		expect((await http("GET", "/metrics")).status).to.equal(401);
		const refused = await http("GET", "/metrics", { token: teacher.token });
		expect(refused.status).to.equal(403);
		expect(refused.body.error.type).to.equal("FORBIDDEN_ROLE");
		// Some traffic first, so the per-action counters exist.
		expect((await http("GET", "/api/me", { token: teacher.token })).status).to.equal(200);
		const res = await http("GET", "/metrics", { token: root.token });
		expect(res.status).to.equal(200);
		expect(res.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
		const text = String(res.body);
		expect(text).to.match(/^moleculer_request_total\{[^}]*action="users\.me"[^}]*\} \d+/m);
		expect(text).to.match(/^# TYPE moleculer_request_time histogram/m);
		expect(text).to.match(/^moleculer_request_time_bucket\{[^}]*action="users\.me"/m);
		expect(text).to.match(/^lp_eventloop_delay_seconds\{[^}]*quantile="0\.99"[^}]*\} [\d.e-]+/m);
		expect(text).to.match(/^lp_mongo_connected(\{[^}]*\})? 1/m);
		expect(text).to.match(/^lp_mongo_pool_open(\{[^}]*\})? [1-9]/m);
		expect(text).to.match(/^lp_scrape_node_up\{nodeID="[^"]+"\} 1/m);
		// One TYPE line per family, as Prometheus requires.
		const types = text.split("\n").filter(l => l.startsWith("# TYPE ")).map(l => l.split(" ")[2]);
		expect(types.length).to.equal(new Set(types).size);
	});

	it("lets a scraper in with METRICS_TOKEN, and nobody with a wrong one", async () => {
		const token = randomBytes(24).toString("hex");
		const before = settings().ops;
		overrideSettings({ ops: { ...before, metricsToken: token } });
		try {
			const ok = await http("GET", "/metrics", { token });
			expect(ok.status).to.equal(200);
			expect(String(ok.body)).to.include("moleculer_request_total");
			expect((await http("GET", "/metrics", { token: token.slice(0, -1) + "0" })).status).to.equal(401);
		} finally {
			overrideSettings({ ops: before });
		}
	});

	it("keeps a well-formed X-Request-Id and returns it; replaces a malformed one", async () => {
		const mine = `req-${randomBytes(6).toString("hex")}`;
		const kept = await http("GET", "/api/me", { token: teacher.token, headers: { "x-request-id": mine } });
		expect(kept.headers.get("x-request-id")).to.equal(mine);
		const bad = await http("GET", "/api/me", { token: teacher.token, headers: { "x-request-id": "no spaces <allowed>" } });
		expect(bad.headers.get("x-request-id")).to.match(/^[0-9a-f-]{36}$/);
		// Errors and unknown routes carry one too.
		const missing = await http("GET", "/api/nowhere", { headers: { "x-request-id": mine } });
		expect(missing.status).to.equal(404);
		expect(missing.headers.get("x-request-id")).to.equal(mine);
	});

	it("puts the request id of the request being served in every JSON log line", async () => {
		const { broker } = await bootPlatform();
		const mw: any = requestContextMiddleware(0);
		let line: any;
		const handler = mw.localAction(async () => {
			line = JSON.parse(jsonLogFormatter("info", ["Stored", { count: 3 }, new Error("boom")], { nodeID: "n1", mod: "svc" })[0]);
			return currentRequest();
		}, { name: "x.y" });
		const scope = await handler({ requestID: "abc-123", meta: { user: { id: "u1" } }, broker, service: { logger: broker.logger } });
		expect(scope).to.include({ requestId: "abc-123", handler: "x.y", userId: "u1" });
		expect(line).to.include({ level: "info", nodeID: "n1", mod: "svc", requestId: "abc-123", handler: "x.y", userId: "u1", msg: "Stored", count: 3 });
		expect(line.err).to.include({ name: "Error", message: "boom" });
		expect(currentRequest()).to.equal(undefined);
	});

	it("merges node expositions into one family per metric", () => {
		const a = "# HELP m_total reqs\n# TYPE m_total counter\nm_total{nodeID=\"a\"} 1\n# HELP h hist\n# TYPE h histogram\nh_bucket{le=\"1\",nodeID=\"a\"} 2\nh_sum{nodeID=\"a\"} 3\nh_count{nodeID=\"a\"} 2\n";
		const b = a.replace(/"a"/g, '"b"');
		const merged = mergeExpositions([a, b]);
		expect(merged.match(/# TYPE m_total/g)).to.have.length(1);
		expect(merged.match(/# TYPE h histogram/g)).to.have.length(1);
		expect(merged).to.include('m_total{nodeID="b"} 1');
		expect(merged.indexOf('h_count{nodeID="b"} 2')).to.be.greaterThan(merged.indexOf("# TYPE h histogram"));
	});
});
