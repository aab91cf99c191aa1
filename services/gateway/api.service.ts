/**
 * The HTTP edge (moleculer-web). REST under /api, built from the actions' own `rest` definitions with
 * mappingPolicy "restrict", so only what a service declares is reachable. Identity comes from the
 * Bearer JWT and nowhere else: ctx.meta starts empty for every request.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { ServiceSchema } from "moleculer";
import type { ServiceDef } from "../shared/service.js";
import ApiGateway from "moleculer-web";
import { settings } from "../../config/env.js";
import { ERR, unauthorized } from "../shared/errors.js";
import type { Ctx } from "../shared/identity.js";
import { isConnected } from "../shared/mongo-connection.js";
import { verifyAccessToken } from "../shared/tokens.js";
import { DOCS_HTML, docsAsset } from "./docs.js";
import { toErrorBody } from "./errors.js";
import { buildOpenApi } from "./openapi.js";
import { assertSafeRequest, clientIp } from "./request-guard.js";
import { webClientRoute } from "./web-client.js";

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
	const { status, body, retryAfter } = toErrorBody(err);
	if (status >= 500) this.logger.error("Request failed", req.method, req.url, err);
	if (res.headersSent) return;
	sendJson(res, status, body, retryAfter ? { "Retry-After": String(Math.ceil(retryAfter)) } : {});
}

const cfg = settings();

const ApiService: ServiceDef = {
	name: "api",
	mixins: [ApiGateway as unknown as ServiceSchema],

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
					"GET live"(this: any, _req: Req, res: Res) {
						sendJson(res, 200, { status: "ok" });
					},
					"GET ready"(this: any, _req: Req, res: Res) {
						const report = this.readiness();
						sendJson(res, report.ready ? 200 : 503, report);
					},
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
					ctx.meta.clientIp = clientIp(req, cfg.trustedProxies);
					assertSafeRequest(req);
				},
				aliases: {
					"GET openapi.json"(this: any, _req: Req, res: Res) {
						sendJson(res, 200, buildOpenApi(this.broker));
					},
					"GET docs"(_req: Req, res: Res) {
						res.writeHead(200, { "Content-Type": "text/html; charset=utf-8" });
						res.end(DOCS_HTML);
					},
					async "GET docs/:asset"(this: any, req: Req, res: Res) {
						const asset = await docsAsset(String(req.$params?.asset ?? ""));
						if (!asset) return onError.call(this, req, res, { name: "NotFoundError", code: 404, type: "NOT_FOUND", message: "Not found" });
						res.writeHead(200, { "Content-Type": asset.type, "Cache-Control": "public, max-age=86400" });
						res.end(asset.body);
					},
				},
			},
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
		async authenticate(ctx: Ctx<unknown>, _route: unknown, req: Req) {
			const header = req.headers.authorization;
			if (!header) return null;
			const match = /^Bearer\s+(\S+)$/i.exec(header);
			if (!match) throw unauthorized("Authorization header must be 'Bearer <token>'", ERR.INVALID_TOKEN);
			return verifyAccessToken(match[1]);
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
