/**
 * The browser origins allowed to call the platform cross-origin (CORS_ORIGINS), and the test of a
 * request's `Origin` header against them. Pure: used by the gateway and the realtime port alike.
 *
 * An entry is an exact origin, `scheme://host[:port]` (`https://app.school.example`), or the same with
 * `*` as the port (`http://localhost:*`: any port of that host, for development servers). `*` alone
 * allows every origin, and is answered with `Access-Control-Allow-Origin: *`, never with credentials.
 * No path, no wildcard in the host: a pattern like `*.example.org` would also trust a subdomain an
 * attacker can get (a user's page on a shared host).
 */

export interface OriginRule {
	scheme: "http" | "https";
	host: string;
	/** A port number, or "*" for any. */
	port: number | "*";
}

export type OriginList = { any: true } | { any: false; rules: OriginRule[] };

/** Allowed when nothing is configured, outside production: local development servers on any port. */
export const DEV_ORIGINS = ["http://localhost:*", "http://127.0.0.1:*", "http://[::1]:*"] as const;

const ORIGIN_RE = /^(https?):\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(?::(\d{1,5}|\*))?$/;
const DEFAULT_PORT = { http: 80, https: 443 } as const;

/** One entry, or an error message saying what is wrong with it. */
export function parseOriginRule(entry: string): OriginRule | string {
	const m = ORIGIN_RE.exec(entry.trim().toLowerCase());
	if (!m) return `"${entry}" is not an origin like https://app.example.org or http://localhost:*`;
	const scheme = m[1] as "http" | "https";
	const port = m[3] === undefined ? DEFAULT_PORT[scheme] : m[3] === "*" ? "*" : Number(m[3]);
	if (port !== "*" && (port < 1 || port > 65535)) return `"${entry}" has a port outside 1..65535`;
	return { scheme, host: m[2], port };
}

/** The whole list, or the first entry's error. `*` must stand alone. */
export function parseOriginList(entries: readonly string[]): OriginList | string {
	if (entries.includes("*")) return entries.length === 1 ? { any: true } : `"*" cannot be combined with other origins`;
	const rules: OriginRule[] = [];
	for (const entry of entries) {
		const rule = parseOriginRule(entry);
		if (typeof rule === "string") return rule;
		rules.push(rule);
	}
	return { any: false, rules };
}

/** Whether a request's Origin header names an allowed origin. `null` (sandboxed pages, files) never is. */
export function originAllowed(origin: string | undefined, list: OriginList): boolean {
	if (!origin || origin === "null") return false;
	if (list.any) return true;
	const m = ORIGIN_RE.exec(origin.toLowerCase());
	// Browsers send the origin without a wildcard; "*" there is not a port.
	if (!m || m[3] === "*") return false;
	const scheme = m[1] as "http" | "https";
	const port = m[3] === undefined ? DEFAULT_PORT[scheme] : Number(m[3]);
	return list.rules.some(r => r.scheme === scheme && r.host === m[2] && (r.port === "*" || r.port === port));
}
