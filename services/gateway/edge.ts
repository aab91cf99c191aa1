/**
 * What the gateway does to every request before moleculer-web routes it (api.service.ts installs it in
 * front of moleculer-web's own handler, so even a 404 passes through it):
 * - the security headers (services/shared/security-headers.ts), the docs pages getting the page policy;
 * - CORS from the allow-list CORS_ORIGINS (the `cors` package): an allowed Origin is answered with
 *   `Access-Control-Allow-Origin: <origin>`, any other gets no CORS header at all (its browser then
 *   refuses to hand the answer over). Never with credentials: the API authenticates with a bearer
 *   token, not cookies, so no cross-origin page has anything to gain from the user's browser;
 * - every OPTIONS request is answered here (204): moleculer-web would otherwise route a preflight to
 *   the action named by its Access-Control-Request-Method and run it (a preflight revoked an
 *   invitation), and a preflight from an origin outside the list would be passed on by `cors`.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import cors from "cors";
import type { Settings } from "../../config/env.js";
import { originAllowed } from "../shared/allowed-origins.js";
import { securityHeaders, type Middleware } from "../shared/security-headers.js";

export const CORS_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;
export const CORS_REQUEST_HEADERS = ["Authorization", "Content-Type", "X-Request-ID"] as const;
export const CORS_EXPOSED_HEADERS = ["Retry-After", "X-Request-ID"] as const;
/** Browsers cache a preflight's answer this long (seconds); Chromium caps it at 7200. */
export const CORS_MAX_AGE = 600;

/**
 * The docs page and its assets are HTML and scripts we serve; everything else gets the data policy. The web
 * client's index.html sends its own policy (services/gateway/web-client.ts: connect-src adds the realtime
 * node), which replaces this one.
 */
export function isDocsPage(path: string): boolean {
	return path === "/api/docs" || path.startsWith("/api/docs/");
}

export type EdgeSettings = Pick<Settings, "nodeEnv" | "corsOrigins" | "hstsMaxAgeSeconds" | "trustedProxies">;

export function gatewayEdge(cfg: EdgeSettings): Middleware {
	const headers = securityHeaders({
		production: cfg.nodeEnv === "production",
		hstsMaxAgeSeconds: cfg.hstsMaxAgeSeconds,
		trustedProxies: cfg.trustedProxies,
		isPage: isDocsPage,
	});
	const list = cfg.corsOrigins;
	const corsHeaders = cors({
		origin: list.any ? "*" : (origin, done) => done(null, originAllowed(origin, list)),
		methods: [...CORS_METHODS],
		allowedHeaders: [...CORS_REQUEST_HEADERS],
		exposedHeaders: [...CORS_EXPOSED_HEADERS],
		credentials: false,
		maxAge: CORS_MAX_AGE,
		preflightContinue: false,
		optionsSuccessStatus: 204,
	}) as Middleware;
	return (req: IncomingMessage, res: ServerResponse, next) => {
		headers(req, res, err => {
			if (err) return next(err);
			corsHeaders(req, res, corsErr => {
				if (corsErr) return next(corsErr);
				if (req.method === "OPTIONS") return answerOptions(res);
				next();
			});
		});
	};
}

/** An OPTIONS request `cors` did not answer (no Origin, or one outside the list): answered, never routed. */
function answerOptions(res: ServerResponse): void {
	if (res.headersSent) return void res.end();
	res.writeHead(204, { Allow: ["OPTIONS", ...CORS_METHODS].join(", "), "Content-Length": "0" });
	res.end();
}
