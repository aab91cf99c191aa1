/**
 * The gateway's operations surface (issue 16):
 * - `GET /metrics`: the cluster's metrics in Prometheus text, for platform admins (their access token)
 *   and for a scraper holding METRICS_TOKEN (a static bearer secret: Prometheus cannot refresh a
 *   15-minute access token). `?node=<nodeID>` narrows it to one node.
 * - every request gets a request id: a well-formed `X-Request-Id` sent by the client (or a proxy) is kept,
 *   anything else is replaced by a fresh one; it becomes moleculer's requestID (moleculer-web reads the
 *   header), so it follows the call to every node and appears in their JSON log lines, and it is returned
 *   in the `X-Request-Id` response header. One access-log line per request carries it.
 */
import { randomUUID, timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { settings } from "../../config/env.js";
import { ERR, forbidden, unauthorized } from "../shared/errors.js";
import { SYSTEM, type AuthUser } from "../shared/identity.js";
import { identityCacheOf } from "../shared/live-identity.js";
import { verifyAccessToken } from "../shared/tokens.js";
import { REQUEST_ID_PATTERN } from "../ops/request-context.js";

const HEX_TRACE_ID = /^(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16}|[0-9a-f]{32})$/i;

type Req = IncomingMessage & { $params?: Record<string, unknown>; query?: Record<string, unknown> };

/** Keeps a client's well-formed request id, or gives the request a new one; returns it. */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): string {
	const sent = req.headers["x-request-id"];
	// The request id is the trace id too: a Zipkin collector takes hex ids only (a UUID, 16 or 32 hex digits).
	const pattern = settings().ops.tracingExporter === "zipkin" ? HEX_TRACE_ID : REQUEST_ID_PATTERN;
	const id = typeof sent === "string" && pattern.test(sent) ? sent : randomUUID();
	req.headers["x-request-id"] = id;
	// moleculer-web prefers X-Correlation-Id when present: one id per request, the one checked above.
	delete req.headers["x-correlation-id"];
	res.setHeader("X-Request-Id", id);
	return id;
}

/** One line per answered request: method, path (no query string: it may hold tokens), status, time, request id. */
export function accessLog(req: IncomingMessage, res: ServerResponse, requestId: string, logger: { info: (...a: unknown[]) => void }): void {
	const started = process.hrtime.bigint();
	// Read now: the router rewrites req.url (it strips the route's prefix) before the answer is sent.
	const path = (req.url ?? "").split("?")[0];
	res.once("finish", () => {
		const durationMs = Number(process.hrtime.bigint() - started) / 1e6;
		logger.info(`${req.method} ${path} ${res.statusCode} ${durationMs.toFixed(1)} ms`, {
			requestId,
			method: req.method,
			path,
			status: res.statusCode,
			durationMs: Math.round(durationMs * 10) / 10,
		});
	});
}

function tokenMatches(given: string, expected: string | undefined): boolean {
	if (!expected) return false;
	const a = Buffer.from(given);
	const b = Buffer.from(expected);
	return a.length === b.length && timingSafeEqual(a, b);
}

/** Who scrapes: the metrics token's holder (as the system principal) or an active platform admin. */
async function scraper(req: IncomingMessage, broker: any): Promise<AuthUser> {
	const match = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ""));
	if (!match) throw unauthorized("Authorization: Bearer <platform admin access token or METRICS_TOKEN> required");
	if (tokenMatches(match[1], settings().ops.metricsToken)) return { ...SYSTEM, roles: [...SYSTEM.roles] };
	const user = await identityCacheOf(broker).check(await verifyAccessToken(match[1]));
	if (!user.roles.includes("platform_admin")) throw forbidden("Metrics are for platform admins", ERR.FORBIDDEN_ROLE);
	return user;
}

export function metricsRoute(onError: (this: any, req: any, res: any, err: unknown) => void) {
	return {
		path: "/metrics",
		authentication: false,
		mappingPolicy: "restrict",
		bodyParsers: false,
		aliases: {
			"GET /"(this: any, req: Req, res: ServerResponse) {
				(async () => {
					const user = await scraper(req, this.broker);
					const node = new URL(req.url ?? "/", "http://x").searchParams.get("node") ?? undefined;
					const text: string = await this.broker.call("ops.scrape", node ? { node } : {}, { meta: { user } });
					res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4; charset=utf-8", "Content-Length": Buffer.byteLength(text) });
					res.end(text);
				})().catch(err => onError.call(this, req, res, err));
			},
		},
	};
}
