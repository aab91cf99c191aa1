/**
 * HTTP hygiene of the realtime port (Colyseus: matchmaking, health, the monitor), like the gateway's:
 * - the same security headers (services/shared/security-headers.ts), the monitor's pages getting the page
 *   policy, `Cache-Control: no-store` (a matchmaking answer is a seat reservation: a token to join);
 * - CORS from the same allow-list CORS_ORIGINS. Colyseus by default reflects ANY Origin with
 *   `Access-Control-Allow-Credentials: true`; here an allowed origin is reflected (with credentials, since
 *   the Colyseus SDK sends its requests `credentials: "include"`), any other gets no CORS header.
 *   With `*` in the list, `*` is answered without credentials (browsers refuse that pair anyway).
 * Colyseus answers OPTIONS itself (204, nothing run) with the headers `matchMaker.controller` gives.
 */
import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import { matchMaker } from "@colyseus/core";
import type { Settings } from "../../config/env.js";
import { originAllowed, type OriginList } from "../shared/allowed-origins.js";
import { pathOf, securityHeaders } from "../shared/security-headers.js";
import { isMonitorPath } from "./monitor-gate.js";

const CORS_BASE = {
	"Access-Control-Allow-Headers": "Authorization, Content-Type, Accept",
	"Access-Control-Allow-Methods": "GET, POST",
	"Access-Control-Max-Age": "600",
};

/** The CORS headers of a realtime answer to a request from `origin`: none unless it is allowed. */
export function realtimeCorsHeaders(origin: string | null | undefined, list: OriginList): Record<string, string> {
	if (!originAllowed(origin ?? undefined, list)) return {};
	if (list.any) return { ...CORS_BASE, "Access-Control-Allow-Origin": "*" };
	return { ...CORS_BASE, "Access-Control-Allow-Origin": origin!, "Access-Control-Allow-Credentials": "true", Vary: "Origin" };
}

/** Replaces Colyseus's reflect-everything CORS (process-wide: Colyseus keeps its controller in module state). */
export function configureRealtimeCors(list: OriginList): void {
	matchMaker.controller.DEFAULT_CORS_HEADERS = {} as typeof matchMaker.controller.DEFAULT_CORS_HEADERS;
	matchMaker.controller.getCorsHeaders = (headers: Headers) => realtimeCorsHeaders(headers.get("origin"), list);
}

/**
 * Colyseus answers matchmaking errors with its protocol codes as HTTP statuses (520-526), so a client's
 * mistake (an unknown room name, a refused join, an expired seat) looked like a server failure. The
 * body keeps Colyseus's `{code, error}`; the status becomes the 4xx it means. 523 (unhandled) stays 500.
 */
export const MATCHMAKE_STATUS: Readonly<Record<number, number>> = {
	520: 404, // no such room type
	521: 400, // invalid criteria
	522: 404, // no such room
	523: 500, // unhandled
	524: 410, // seat reservation expired
	525: 401, // authentication failed
	526: 400, // refused by the room
};

/**
 * Every answer of the realtime server passes through here first: the security headers, our CSP kept
 * against a library's own (Express's 404 page sets `default-src 'none'` without frame-ancestors), and
 * matchmaking statuses mapped to what they mean. Called once Colyseus has bound its routes: the
 * listeners already on the server (Colyseus's CORS and router, the monitor's Express app) run inside.
 */
export function secureRealtimeServer(http: HttpServer, cfg: Pick<Settings, "nodeEnv" | "hstsMaxAgeSeconds" | "trustedProxies">): void {
	const headers = securityHeaders({
		production: cfg.nodeEnv === "production",
		hstsMaxAgeSeconds: cfg.hstsMaxAgeSeconds,
		trustedProxies: cfg.trustedProxies,
		isPage: isMonitorPath,
	});
	const listeners = http.listeners("request") as ((req: IncomingMessage, res: ServerResponse) => void)[];
	http.removeAllListeners("request");
	http.on("request", (req: IncomingMessage, res: ServerResponse) => {
		// helmet's middlewares are synchronous: the headers are set when this returns.
		headers(req, res, () => undefined);
		keepOurPolicy(res);
		if (pathOf(req.url).startsWith("/matchmake/")) mapMatchmakeStatus(res);
		for (const listener of listeners) listener.call(http, req, res);
	});
}

function keepOurPolicy(res: ServerResponse): void {
	const setHeader = res.setHeader.bind(res);
	res.setHeader = ((name: string, value: number | string | readonly string[]) =>
		name.toLowerCase() === "content-security-policy" ? res : setHeader(name, value)) as ServerResponse["setHeader"];
}

function mapMatchmakeStatus(res: ServerResponse): void {
	const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
	res.writeHead = ((status: number, ...rest: unknown[]) => writeHead(MATCHMAKE_STATUS[status] ?? status, ...rest)) as ServerResponse["writeHead"];
}
