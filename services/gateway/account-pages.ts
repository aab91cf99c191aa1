/**
 * The pages mails link to (`/verify-email`, `/accept-invitation`, `/reset-password`, each `?token=…`):
 * one static page and a small script that sends the token to the REST API. Without them the links in
 * signup, invitation and reset mails answered 404. Files are read once at start; no inline script, so a
 * strict Content-Security-Policy applies.
 */
import { readFileSync } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";

const DIR = new URL("./account-pages/", import.meta.url);
const TEMPLATE = readFileSync(new URL("page.html", DIR), "utf8");
const ASSETS: Record<string, { type: string; body: string }> = {
	"pages.js": { type: "text/javascript; charset=utf-8", body: readFileSync(new URL("pages.js", DIR), "utf8") },
	"pages.css": { type: "text/css; charset=utf-8", body: readFileSync(new URL("pages.css", DIR), "utf8") },
};
export const ACCOUNT_PAGES = ["verify-email", "accept-invitation", "reset-password"] as const;

function send(res: ServerResponse, type: string, body: string, cache: string): void {
	res.writeHead(200, {
		"Content-Type": type,
		"Content-Length": Buffer.byteLength(body),
		"Cache-Control": cache,
		// The token is in the URL: it must not leak to another site through the Referer header.
		"Referrer-Policy": "no-referrer",
	});
	res.end(body);
}

function page(name: (typeof ACCOUNT_PAGES)[number]) {
	const html = TEMPLATE.replace("__PAGE__", name);
	return (_req: IncomingMessage, res: ServerResponse) => send(res, "text/html; charset=utf-8", html, "no-store");
}

/** A moleculer-web route serving the pages at the root of the gateway. */
export function accountPagesRoute() {
	const aliases: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {};
	for (const name of ACCOUNT_PAGES) aliases[`GET ${name}`] = page(name);
	for (const [file, asset] of Object.entries(ASSETS)) {
		aliases[`GET account/${file}`] = (_req, res) => send(res, asset.type, asset.body, "public, max-age=300");
	}
	return { path: "/", authentication: false, mappingPolicy: "restrict", bodyParsers: false, aliases };
}
