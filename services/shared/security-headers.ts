/**
 * The security headers of every HTTP answer, on the gateway and on the realtime port alike, from
 * helmet (one maintained library rather than headers scattered over handlers):
 * - `X-Content-Type-Options: nosniff`, `X-Frame-Options: DENY` and CSP `frame-ancestors 'none'`
 *   (nothing of ours is meant to be framed), `Referrer-Policy: no-referrer`, COOP/CORP same-origin;
 * - a Content-Security-Policy: `default-src 'none'` for data (JSON answers never need to load anything),
 *   and for the few HTML pages (the swagger-ui docs, the Colyseus monitor), whose scripts and styles
 *   are served by us, a policy of `'self'` only (no CDN, no inline script);
 * - `Strict-Transport-Security` only in production and only over TLS (the socket's own, or
 *   `X-Forwarded-Proto: https` from a trusted proxy): over plain HTTP it is meaningless, and in
 *   development it would pin `localhost` to HTTPS in the developer's browser;
 * - `Cache-Control: no-store` by default: answers carry tokens (login, refresh, invitations, seat
 *   reservations) or one user's data; the handlers of static assets set their own.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { TLSSocket } from "node:tls";
import helmet from "helmet";

export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (err?: unknown) => void) => void;

export interface SecurityHeaderOptions {
	production: boolean;
	hstsMaxAgeSeconds: number;
	trustedProxies: readonly string[];
	/** Whether the request is for an HTML page (docs, monitor), which gets the page policy. */
	isPage(path: string): boolean;
}

/** For JSON and everything that is not a page: load nothing, be framed by nobody. */
export const DATA_CSP = {
	"default-src": ["'none'"],
	"frame-ancestors": ["'none'"],
	"base-uri": ["'none'"],
	"form-action": ["'none'"],
};

/**
 * For our HTML pages: everything from our own origin. Styles may be inline (swagger-ui and the monitor
 * set style attributes); scripts may not. `data:` images are swagger-ui's icons.
 */
export const PAGE_CSP = {
	"default-src": ["'self'"],
	"script-src": ["'self'"],
	"style-src": ["'self'", "'unsafe-inline'"],
	"img-src": ["'self'", "data:"],
	"font-src": ["'self'", "data:"],
	"connect-src": ["'self'"],
	"object-src": ["'none'"],
	"base-uri": ["'self'"],
	"form-action": ["'self'"],
	"frame-ancestors": ["'none'"],
};

function withPolicy(directives: Record<string, string[]>): Middleware {
	return helmet({
		contentSecurityPolicy: { useDefaults: false, directives },
		strictTransportSecurity: false,
		xFrameOptions: { action: "deny" },
		referrerPolicy: { policy: "no-referrer" },
		crossOriginResourcePolicy: { policy: "same-origin" },
		crossOriginOpenerPolicy: { policy: "same-origin" },
	});
}

function normalizeIp(ip: string): string {
	return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}

/** Whether the client reached us over TLS: the socket's own, or a trusted proxy saying so. */
export function overTls(req: IncomingMessage, trustedProxies: readonly string[]): boolean {
	if ((req.socket as TLSSocket | undefined)?.encrypted === true) return true;
	if (!trustedProxies.includes(normalizeIp(req.socket?.remoteAddress ?? ""))) return false;
	const proto = req.headers["x-forwarded-proto"];
	return String(Array.isArray(proto) ? proto[0] : proto ?? "").split(",")[0].trim().toLowerCase() === "https";
}

export function pathOf(url: string | undefined): string {
	const raw = url ?? "/";
	const q = raw.indexOf("?");
	return q < 0 ? raw : raw.slice(0, q);
}

export function securityHeaders(opts: SecurityHeaderOptions): Middleware {
	const data = withPolicy(DATA_CSP);
	const page = withPolicy(PAGE_CSP);
	const hsts = opts.production && opts.hstsMaxAgeSeconds > 0 ? helmet.strictTransportSecurity({ maxAge: opts.hstsMaxAgeSeconds, includeSubDomains: true }) : undefined;
	return (req, res, next) => {
		res.setHeader("Cache-Control", "no-store");
		const headers = opts.isPage(pathOf(req.url)) ? page : data;
		headers(req, res, err => {
			if (err) return next(err);
			if (hsts && overTls(req, opts.trustedProxies)) return hsts(req, res, next);
			next();
		});
	};
}
