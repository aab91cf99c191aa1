/**
 * The HTTP edge (moleculer-web). REST under /api, built from the actions' own `rest` definitions with
 * mappingPolicy "restrict", so only what a service declares is reachable. Identity comes from the
 * Bearer JWT and nowhere else: ctx.meta starts empty for every request.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { ServiceSchema } from "moleculer";
import type { ServiceDef } from "../shared/service.js";
import ApiGateway from "moleculer-web";
import { settings } from "../../config/env.js";
import { ERR, unauthorized } from "../shared/errors.js";
import type { Ctx } from "../shared/identity.js";
import { identityCacheOf, LiveIdentityMixin } from "../shared/live-identity.js";
import { isConnected } from "../shared/mongo-connection.js";
import { verifyAccessToken } from "../shared/tokens.js";
import { DOCS_HTML, docsAsset } from "./docs.js";
import { gatewayEdge } from "./edge.js";
import { toErrorBody } from "./errors.js";
import { buildOpenApi } from "./openapi.js";
import { assertSafeRequest, clientIp } from "./request-guard.js";
import { stripeWebhookRoute } from "./webhook-routes.js";
import { webClientRoute } from "./web-client.js";
import { accessLog, assignRequestId, metricsRoute } from "./ops-routes.js";

type Req = IncomingMessage & { body?: unknown; query?: unknown; $params?: Record<string, unknown>; $ctx?: Ctx<unknown>; $service?: any; params?: Record<string, string> };
type Res = ServerResponse;

function sendJson(res: Res, status: number, body: unknown, headers: Record<string, string> = {}): void {
	const payload = JSON.stringify(body);
	res.writeHead(status, { "Content-Type": "application/json; charset=utf-8", "Content-Length": Buffer.byteLength(payload), ...headers });
	res.end(payload);
}

/** The request body as text, refused (413) beyond `limit` bytes. */
function readRawBody(req: IncomingMessage, limit: number): Promise<string> {
	return new Promise((resolve, reject) => {
		const chunks: Buffer[] = [];
		let size = 0;
		req.on("data", (chunk: Buffer) => {
			size += chunk.length;
			if (size > limit) {
				reject(Object.assign(new Error("too large"), { type: "entity.too.large" }));
				req.destroy();
				return;
			}
			chunks.push(chunk);
		});
		req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
		req.on("error", reject);
	});
}

function onError(this: any, req: Req, res: Res, err: unknown): void {
	const { status, body, retryAfter, lateValidation } = toErrorBody(err);
	if (status >= 500) this.logger.error("Request failed", req.method, req.url, err);
	else if (lateValidation) this.logger.warn(`${req.method} ${req.url}: the database refused the input its params schema let through (answered 422)`, (err as Error).message);
	if (res.headersSent) return;
	sendJson(res, status, body, retryAfter ? { "Retry-After": String(Math.ceil(retryAfter)) } : {});
}

/**
 * A custom alias that always answers: moleculer-web calls it callback-style and drops the promise an
 * async one returns, so a throw there left the request without an answer (GET /api/docs/toString hung).
 */
function answering(handler: (this: any, req: Req, res: Res) => unknown) {
	return function (this: any, req: Req, res: Res) {
		try {
			const result = handler.call(this, req, res);
			if (result instanceof Promise) result.catch(err => onError.call(this, req, res, err));
		} catch (err) {
			onError.call(this, req, res, err);
		}
	};
}

const NOT_FOUND = { name: "NotFoundError", code: 404, type: "NOT_FOUND", message: "Not found" };

const cfg = settings();

const ApiService: ServiceDef = {
	name: "api",
	mixins: [ApiGateway as unknown as ServiceSchema, LiveIdentityMixin as unknown as ServiceSchema],

	settings: {
		port: cfg.port,
		ip: "0.0.0.0",
		// Aliases follow service changes quickly, so a node that joins is reachable within ~50 ms.
		debounceTime: 50,
		log4XXResponses: false,
		logRequest: null,
		logResponse: null,
		logRequestParams: null,
		logResponseData: null,
		onError,
		routes: [
			{
				path: "/health",
				authentication: false,
				mappingPolicy: "restrict",
				bodyParsers: false,
				aliases: {
					"GET live": answering((_req, res) => sendJson(res, 200, { status: "ok" })),
					"GET ready": answering(function (this: any, _req, res) {
						const report = this.readiness();
						sendJson(res, report.ready ? 200 : 503, report);
					}),
				},
			},
			{
				// LiveKit's webhook needs the body exactly as sent (its signature covers a SHA-256 of it) and its
				// Authorization header is LiveKit's signed JWT, not a user's: no body parser, no authentication.
				path: "/api/visio/webhooks",
				authentication: false,
				mappingPolicy: "restrict",
				bodyParsers: false,
				aliases: {
					async "POST livekit"(this: any, req: Req, res: Res) {
						try {
							const body = await readRawBody(req, cfg.maxBodyBytes);
							const result = await this.broker.call("visio.webhook", { body, authorization: String(req.headers.authorization ?? "") }, { meta: {} });
							sendJson(res, 200, result);
						} catch (err) {
							onError.call(this, req, res, err);
						}
					},
				},
			},
			{
				path: "/api",
				authentication: true,
				autoAliases: true,
				mappingPolicy: "restrict",
				bodyParsers: {
					json: { strict: true, limit: cfg.maxBodyBytes },
					urlencoded: false,
				},
				// No timeout here: it would override the actions' own (a 500-row import needs more than
				// the broker's default requestTimeout, which applies to everything else).
				onBeforeCall(this: any, ctx: Ctx<unknown>, _route: unknown, req: Req) {
					// Nothing a client sends becomes meta: start from a clean slate on every request.
					for (const key of Object.keys(ctx.meta)) delete ctx.meta[key];
					ctx.meta.clientIp = clientIp(req, settings().trustedProxies);
					assertSafeRequest(req);
				},
				aliases: {
					"GET openapi.json": answering(function (this: any, _req, res) {
						sendJson(res, 200, buildOpenApi(this.broker));
					}),
					"GET docs": answering((_req, res) => {
						res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
						res.end(DOCS_HTML);
					}),
					"GET docs/:asset": answering(async function (this: any, req, res) {
						const asset = await docsAsset(String(req.$params?.asset ?? ""));
						if (!asset) return onError.call(this, req, res, NOT_FOUND);
						res.writeHead(200, { "Content-Type": asset.type, "Cache-Control": "public, max-age=86400" });
						res.end(asset.body);
					}),
				},
			},
			// Block 6: Stripe's webhook keeps its raw body for the signature check.
			stripeWebhookRoute(cfg.maxBodyBytes, cfg.trustedProxies),
			// Operations (issue 16): the cluster's metrics for platform admins and a scraper holding METRICS_TOKEN.
			metricsRoute(onError),
			// Last: the browser client (web/dist) and its routes, mail links included (/verify-email, /accept-invitation, /reset-password).
			webClientRoute(),
		],
	},

	// moleculer-web's management actions would let a caller list or rewrite routes: not part of our API.
	actions: {
		listAliases: false,
		addRoute: false,
		removeRoute: false,
	},

	created(this: any) {
		// The port is read when the service is created, not when this module was first imported.
		this.settings.port = settings().port;
	},

	methods: {
		/**
		 * moleculer-web's server, with the edge (security headers, CORS, OPTIONS answered) in front of
		 * its handler, so every answer passes through it, a 404 included.
		 */
		createServer(this: any) {
			if (this.server) return;
			const edge = gatewayEdge(settings());
			this.server = createServer((req, res) => {
				// Every answer carries a request id (the client's own when well-formed) and one access-log line.
				accessLog(req, res, assignRequestId(req, res), this.logger);
				edge(req, res, err => (err ? onError.call(this, req as Req, res, err) : this.httpHandler(req, res)));
			});
			this.isHTTPS = false;
			this.server.requestTimeout = this.settings.requestTimeout;
		},

		async authenticate(this: any, _ctx: Ctx<unknown>, _route: unknown, req: Req) {
			const header = req.headers.authorization;
			if (!header) return null;
			const match = /^Bearer\s+(\S+)$/i.exec(header);
			if (!match) throw unauthorized("Authorization header must be 'Bearer <token>'", ERR.INVALID_TOKEN);
			// The token, then the account and school as they are now (suspended, roles, logout…): live-identity.ts.
			return identityCacheOf(this.broker).check(await verifyAccessToken(match[1]));
		},

		/** Ready when the broker runs, the database (if this node uses one) is connected and every REST action has its route. */
		readiness(this: any) {
			const localDb = this.broker.services.some((s: any) => s.adapter);
			const database = localDb ? isConnected() : null;
			const declared = (this.broker.registry.getActionList({ onlyAvailable: true, skipInternal: true }) as any[])
				.filter(a => a.action?.rest)
				.map(a => a.name as string);
			const routed = new Set((this.aliases ?? []).map((a: any) => a.action));
			const missingRoutes = declared.filter(name => !routed.has(name));
			const ready = this.broker.started && database !== false && missingRoutes.length === 0;
			return { ready, broker: this.broker.started, database, missingRoutes };
		},
	},
};

export default ApiService;
