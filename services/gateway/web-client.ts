/**
 * Serves the built browser client (web/, built into web/dist) at the root of the gateway: its files, and
 * index.html for every client route (a path without a file extension), so /verify-email?token=…, /login,
 * /teacher/live/… open the single-page app. Never for /api or /health: those keep their JSON 404s.
 *
 * Hashed bundles under /assets are cached for a year; index.html is never cached (it names the current
 * bundles, and mail-link URLs carry tokens), and no page sends a Referer (a token in the URL must not
 * leak to another site). The client has no inline script or style: its pages carry a strict
 * Content-Security-Policy whose connect-src adds the realtime node (another port, or REALTIME_PUBLIC_URL),
 * as `realtime.clientConfig` tells the client itself.
 */
import { readFile } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import { fileURLToPath } from "node:url";
import serveStatic from "serve-static";

export const WEB_DIST = fileURLToPath(new URL("../../web/dist/", import.meta.url));

type Next = (err?: unknown) => void;
type Broker = { call(action: string, params: object, opts: object): Promise<unknown> };
interface ClientConfig {
	realtime: { url: string | null; port: number };
}

const LONG_CACHE = "public, max-age=31536000, immutable";

function setHeaders(res: ServerResponse, file: string): void {
	res.setHeader("Cache-Control", file.includes("/assets/") ? LONG_CACHE : "public, max-age=3600");
	res.setHeader("X-Content-Type-Options", "nosniff");
}

/** A client route: not an API or health path, not a file (no extension in the last segment), not an asset. */
export function isClientRoute(pathname: string): boolean {
	if (/^\/(api|health)(\/|$)/.test(pathname) || pathname.startsWith("/assets/")) return false;
	const last = pathname.slice(pathname.lastIndexOf("/") + 1);
	return !last.includes(".");
}

let cachedConfig: { at: number; value: Promise<ClientConfig | null> } | undefined;
/** Where the realtime node is, asked once every 30 s (it may run on another node, or not at all). */
function clientConfig(broker: Broker): Promise<ClientConfig | null> {
	if (!cachedConfig || Date.now() - cachedConfig.at > 30_000) {
		cachedConfig = { at: Date.now(), value: broker.call("realtime.clientConfig", {}, { meta: {} }).then(c => c as ClientConfig, () => null) };
	}
	return cachedConfig.value;
}

/** The origins live rooms are reached at (matchmaking over HTTP, then the WebSocket), for connect-src. */
export function realtimeSources(config: ClientConfig | null, hostHeader: string | undefined): string[] {
	if (!config) return [];
	if (config.realtime.url) {
		const u = new URL(config.realtime.url);
		return [`${u.protocol}//${u.host}`, `${u.protocol === "wss:" ? "https:" : "http:"}//${u.host}`];
	}
	// The page's own host name on the realtime port; a Host header that is not a plain name adds nothing.
	const host = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+)(:\d+)?$/.exec(hostHeader ?? "")?.[1];
	return host ? ["ws", "wss", "http", "https"].map(scheme => `${scheme}://${host}:${config.realtime.port}`) : [];
}

export function contentSecurityPolicy(realtime: string[]): string {
	return [
		"default-src 'self'",
		"script-src 'self'",
		"style-src 'self'",
		"img-src 'self' data:",
		`connect-src ${["'self'", ...realtime].join(" ")}`,
		"object-src 'none'",
		"base-uri 'none'",
		"form-action 'self'",
		"frame-ancestors 'none'",
	].join("; ");
}

async function sendIndex(broker: Broker, req: IncomingMessage, res: ServerResponse, next: Next): Promise<void> {
	let html: Buffer;
	try {
		html = await readFile(`${WEB_DIST}index.html`);
	} catch {
		res.writeHead(503, { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" });
		res.end("The web client is not built: run `npm run web:build` (npm start builds it when it can).\n");
		return;
	}
	const csp = contentSecurityPolicy(realtimeSources(await clientConfig(broker), req.headers.host));
	if (res.headersSent) return next();
	res.writeHead(200, {
		"Content-Security-Policy": csp,
		"Content-Type": "text/html; charset=utf-8",
		"Content-Length": html.length,
		"Cache-Control": "no-store",
		"Referrer-Policy": "no-referrer",
		"X-Content-Type-Options": "nosniff",
	});
	res.end(req.method === "HEAD" ? undefined : html);
}

/** A moleculer-web route, last in the list: what no other route took. */
export function webClientRoute() {
	const files = serveStatic(WEB_DIST, { index: false, fallthrough: true, setHeaders });
	return {
		path: "/",
		authentication: false,
		mappingPolicy: "restrict",
		bodyParsers: false,
		use: [
			function (this: { broker: Broker }, req: IncomingMessage, res: ServerResponse, next: Next) {
				const pathname = new URL(req.url ?? "/", "http://localhost").pathname;
				if ((req.method !== "GET" && req.method !== "HEAD") || /^\/(api|health)(\/|$)/.test(pathname)) return next();
				files(req, res, err => {
					if (err) return next(err);
					if (isClientRoute(pathname)) return void sendIndex(this.broker, req, res, next);
					next();
				});
			},
		],
	};
}
