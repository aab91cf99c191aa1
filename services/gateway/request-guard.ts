/**
 * Request-level defences applied to every API call before it reaches a service.
 */
import type { IncomingMessage } from "node:http";
import { badRequest } from "../shared/errors.js";

const FORBIDDEN_KEYS = new Set(["__proto__", "constructor", "prototype"]);
const MAX_DEPTH = 12;

/**
 * Rejects keys that could reach a prototype or a Mongo operator (`$gt`, `$where`, ...), and NUL characters.
 * Validation would refuse most of them too; refusing here keeps a forgotten schema from being a hole.
 */
export function assertSafeParams(value: unknown, path = "", depth = 0): void {
	if (depth > MAX_DEPTH) throw badRequest("Parameters are nested too deeply", [{ field: path, message: "too deep" }]);
	if (Array.isArray(value)) {
		value.forEach((item, i) => assertSafeParams(item, `${path}[${i}]`, depth + 1));
		return;
	}
	// A NUL character is never meaningful text here, and MongoDB refuses it in a regular expression (a
	// search `q`): the driver failed with a 500. Refused here for every parameter at once.
	if (typeof value === "string") {
		if (value.includes("\u0000")) throw badRequest("Parameters may not contain a NUL character", [{ field: path || "params", message: "contains a NUL character" }]);
		return;
	}
	if (value === null || typeof value !== "object") return;
	for (const key of Object.keys(value)) {
		const field = path ? `${path}.${key}` : key;
		if (FORBIDDEN_KEYS.has(key) || key.startsWith("$") || key.includes("\u0000")) {
			throw badRequest(`Parameter name not allowed: ${key}`, [{ field, message: "reserved name" }]);
		}
		assertSafeParams((value as Record<string, unknown>)[key], field, depth + 1);
	}
}

/**
 * The client's address: the socket's, unless the socket is a trusted proxy, in which case the
 * nearest X-Forwarded-For hop that is not itself a trusted proxy.
 */
export function clientIp(req: IncomingMessage, trustedProxies: readonly string[]): string {
	const socketIp = normalize(req.socket?.remoteAddress ?? "unknown");
	if (!trustedProxies.includes(socketIp)) return socketIp;
	const header = req.headers["x-forwarded-for"];
	const hops = (Array.isArray(header) ? header.join(",") : header ?? "").split(",").map(s => normalize(s.trim())).filter(Boolean);
	for (let i = hops.length - 1; i >= 0; i--) {
		if (!trustedProxies.includes(hops[i])) return hops[i];
	}
	return socketIp;
}

function normalize(ip: string): string {
	return ip.startsWith("::ffff:") ? ip.slice(7) : ip;
}

/**
 * The whole request, checked before moleculer-web's merge of query, body and path params is used:
 * the merge copies an own `__proto__` key of the parsed body into the prototype of the params, where
 * no key walk sees it any more; and a JSON array body would be merged as keys "0", "1", ...
 */
export function assertSafeRequest(req: { body?: unknown; query?: unknown; $params?: Record<string, unknown> }): void {
	if (req.body !== undefined && (req.body === null || typeof req.body !== "object" || Array.isArray(req.body))) {
		throw badRequest("The request body must be a JSON object", [{ field: "body", message: "not an object" }]);
	}
	assertSafeParams(req.body);
	assertSafeParams(req.query);
	assertSafeParams(req.$params);
	if (req.$params && Object.getPrototypeOf(req.$params) !== Object.prototype && Object.getPrototypeOf(req.$params) !== null) {
		throw badRequest("Parameter name not allowed: __proto__", [{ field: "__proto__", message: "reserved name" }]);
	}
}
