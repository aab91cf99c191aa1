/**
 * The gate in front of the Colyseus monitor (/monitor): only an ACTIVE platform admin gets through.
 * The monitor lists every school's rooms and its /monitor/api/room/call runs room methods (dispose,
 * disconnect) remotely, so nothing under the path is served before the caller is checked.
 *
 * The monitor handler is only reachable through `gateMonitor`: a request this gate does not see as
 * under /monitor is passed on without ever reaching it, so a spelling of the path the monitor or the
 * router in front would match and this gate would not (case, encoding) is refused by construction.
 *
 * Credentials: `Authorization: Bearer <access token>` (scripts), or the HttpOnly cookie a browser
 * gets by opening `/monitor/?token=<access token>` once: the token is checked, set as the cookie and
 * the browser is sent (303) to the same page without it, so it stays out of the address bar and history.
 * Refusals use the gateway's error body (`{"error": {"type", "message"}}`): 401 without a valid token,
 * 403 for a valid token of anyone but an active platform admin.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import type { ExpressMiddleware } from "@colyseus/core";
import type { Logger } from "moleculer";
import { toErrorBody } from "../gateway/errors.js";
import { ERR, forbidden, unauthorized } from "../shared/errors.js";
import type { ActiveUser } from "./active-user.js";

export const MONITOR_PATH = "/monitor";
export const MONITOR_COOKIE = "lp_monitor";
/** The query parameter a browser logs in with. */
export const LOGIN_PARAM = "token";
const ADMIN_ROLE = "platform_admin";

export interface MonitorGateOptions {
	/** The token's user and their account now, or a 401/403 ClientError (verifyActiveUser). */
	verify(token: string | undefined): Promise<ActiveUser>;
	/** The cookie lives no longer than the access token in it could. */
	cookieMaxAgeSeconds: number;
	logger?: Pick<Logger, "error">;
}

export function isMonitorPath(path: string): boolean {
	return path === MONITOR_PATH || path.startsWith(`${MONITOR_PATH}/`);
}

/** `monitor` served to active platform admins only; every other request goes on to `next` untouched. */
export function gateMonitor(monitor: ExpressMiddleware, opts: MonitorGateOptions): ExpressMiddleware {
	return (req, res, next) => {
		// Under an Express mount (app.use("/monitor", …)) req.url is relative to it; originalUrl is what was asked.
		const raw = (req as { originalUrl?: string }).originalUrl ?? req.url ?? "/";
		const q = raw.indexOf("?");
		const path = q < 0 ? raw : raw.slice(0, q);
		if (!isMonitorPath(path)) return next();
		withoutCors(res);
		const query = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
		const loginToken = req.method === "GET" ? query.get(LOGIN_PARAM) : null;
		if (loginToken !== null) {
			admitAdmin(opts, loginToken)
				.then(
					() => logIn(req, res, path, query, loginToken, opts.cookieMaxAgeSeconds),
					err => refuse(res, err, opts.logger),
				)
				.catch(next);
			return;
		}
		let token: string | undefined;
		try {
			token = tokenOf(req);
		} catch (err) {
			return refuse(res, err, opts.logger);
		}
		admitAdmin(opts, token)
			.then(
				() => monitor(req, res, next),
				err => refuse(res, err, opts.logger),
			)
			.catch(next);
	};
}

async function admitAdmin(opts: MonitorGateOptions, token: string | undefined): Promise<void> {
	const { user, account } = await opts.verify(token);
	// Both the token and the account as it is now: a token minted before a role change proves nothing.
	if (!user.roles.includes(ADMIN_ROLE) || !account.roles.includes(ADMIN_ROLE)) {
		throw forbidden("The monitor is for platform admins only");
	}
}

/** The bearer token if the request has an Authorization header (malformed: 401, as at the gateway), else the cookie's. */
function tokenOf(req: IncomingMessage): string | undefined {
	const header = req.headers.authorization;
	if (header !== undefined) {
		const match = /^Bearer\s+(\S+)$/i.exec(header);
		if (!match) throw unauthorized("Authorization header must be 'Bearer <token>'", ERR.INVALID_TOKEN);
		return match[1];
	}
	const token = cookieOf(req, MONITOR_COOKIE);
	// SameSite=Strict keeps the cookie from other sites, not from other origins of the same site (a sibling
	// subdomain), whose page could make the admin's browser GET /monitor/api/room/call. Browsers say where
	// a request comes from: the cookie only counts from the monitor's own pages or a typed address.
	const site = req.headers["sec-fetch-site"];
	if (token !== undefined && (site === "same-site" || site === "cross-site")) {
		throw forbidden("The monitor's cookie is only accepted from the monitor's own pages");
	}
	return token;
}

function cookieOf(req: IncomingMessage, name: string): string | undefined {
	for (const part of (req.headers.cookie ?? "").split(";")) {
		const eq = part.indexOf("=");
		if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim() || undefined;
	}
	return undefined;
}

function logIn(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, token: string, maxAge: number): void {
	query.delete(LOGIN_PARAM);
	const rest = query.toString();
	const cookie = [`${MONITOR_COOKIE}=${token}`, "HttpOnly", "SameSite=Strict", `Path=${MONITOR_PATH}`, `Max-Age=${maxAge}`];
	if (overHttps(req)) cookie.push("Secure");
	res.writeHead(303, {
		location: rest ? `${path}?${rest}` : path,
		"set-cookie": cookie.join("; "),
		"cache-control": "no-store",
	});
	res.end();
}

/**
 * x-forwarded-proto is believed from anyone here: it can only add Secure, which makes the cookie
 * stricter, never looser.
 */
function overHttps(req: IncomingMessage): boolean {
	const forwarded = String(req.headers["x-forwarded-proto"] ?? "").split(",")[0].trim().toLowerCase();
	return forwarded === "https" || (req.socket as TLSSocket).encrypted === true;
}

function refuse(res: ServerResponse, err: unknown, logger?: Pick<Logger, "error">): void {
	const { status, body, retryAfter } = toErrorBody(err);
	if (status >= 500) logger?.error("The monitor gate could not check a caller", err);
	if (res.headersSent) return void res.end();
	const headers: Record<string, string> = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };
	if (status === 401) headers["www-authenticate"] = `Bearer realm="monitor"`;
	if (retryAfter !== undefined) headers["retry-after"] = String(retryAfter);
	res.writeHead(status, headers);
	res.end(JSON.stringify(body));
}

/**
 * Colyseus puts its matchmaking CORS headers on every response: the caller's Origin reflected, with
 * credentials allowed. On the monitor that would let a page of any origin the cookie is sent from read
 * the monitor as the admin; the monitor is a same-origin page and needs none of them.
 */
function withoutCors(res: ServerResponse): void {
	for (const name of res.getHeaderNames()) if (name.startsWith("access-control-")) res.removeHeader(name);
}
