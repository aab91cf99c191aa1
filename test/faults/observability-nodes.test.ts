/**
 * `observability` across nodes (issue 16): a request through the gateway node to a service node carries
 * one request id: the client's X-Request-Id comes back in the response, both nodes' JSON log lines carry
 * it, and the tracing spans both nodes export to a Zipkin-compatible collector (a small HTTP server of
 * this test speaking the Zipkin v2 API) share it as their trace id.
 */
import { expect } from "chai";
import { randomUUID } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { FaultCluster } from "../support/faults.js";
import { until } from "../support/nodes.js";
import { unique } from "../support/platform.js";

describe("observability across nodes (request id, JSON logs, tracing spans)", function () {
	this.timeout(240_000);
	const spans: any[] = [];
	let collector: Server;
	let cluster: FaultCluster;

	before(async () => {
		collector = createServer((req, res) => {
			let body = "";
			req.on("data", c => (body += c));
			req.on("end", () => {
				if (req.method === "POST" && req.url === "/api/v2/spans") spans.push(...JSON.parse(body));
				res.writeHead(202).end();
			});
		});
		await new Promise<void>(r => collector.listen(0, "127.0.0.1", r));
		const zipkin = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
		cluster = new FaultCluster("obs");
		await cluster.startNodes(
			[
				{ name: "gateway", services: "api", gateway: true },
				{ name: "services", services: "all,-api,-realtime", env: { LOG_LEVEL: "debug" } },
			],
			{ LOG_FORMAT: "json", LOG_LEVEL: "info", TRACING_EXPORTER: "zipkin", TRACING_ZIPKIN_URL: zipkin },
		);
	});

	after(async () => {
		await cluster?.stop();
		collector?.close();
	});

	it("follows one request id from the gateway to the service node, in logs and spans", async () => {
		const adminEmail = `obs-${unique()}@school.test`;
		await cluster.signup("Observability", adminEmail);
		const admin = await cluster.login(adminEmail);
		const requestId = randomUUID();
		const res = await fetch(`${cluster.base}/api/classes`, { headers: { authorization: `Bearer ${admin.token}`, "x-request-id": requestId } });
		expect(res.status).to.equal(200);
		expect(res.headers.get("x-request-id")).to.equal(requestId);

		const linesOf = (name: string) =>
			cluster.byName.get(name)!.output().split("\n").filter(l => l.startsWith("{")).map(l => JSON.parse(l));
		await until(async () => linesOf("services").some(l => l.requestId === requestId), "the service node's log line", 20_000, cluster.nodes);
		// The access line is written once the answer is sent, which the client may see first.
		await until(async () => linesOf("gateway").some(l => l.requestId === requestId && l.status), "the gateway's access line", 20_000, cluster.nodes);
		const gatewayLine = linesOf("gateway").find(l => l.requestId === requestId && l.status);
		expect(gatewayLine, "the gateway's access line").to.include({ level: "info", method: "GET", path: "/api/classes", status: 200 });
		const serviceLines = linesOf("services").filter(l => l.requestId === requestId);
		expect(serviceLines.map(l => l.handler)).to.include("classes.list");
		expect(serviceLines[0]).to.have.property("nodeID", cluster.nodeId("services"));

		const traceId = requestId.replace(/-/g, "").slice(0, 16);
		await until(async () => new Set(spans.filter(s => s.traceId === traceId).map(s => s.localEndpoint?.serviceName)).size >= 2, "spans of both nodes", 30_000, cluster.nodes);
		const mine = spans.filter(s => s.traceId === traceId);
		expect(mine.map(s => s.name)).to.include.members(["action 'classes.list'"]);
		// One trace: every span's parent is a span of the same trace (or it is the root).
		const ids = new Set(mine.map(s => s.id));
		expect(mine.filter(s => s.parentId && !ids.has(s.parentId)), "spans whose parent is missing").to.have.length.lessThan(2);
	});
});
