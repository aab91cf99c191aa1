/**
 * Log line formats for moleculer's Console logger (LOG_FORMAT). `json`: one JSON object per line, for a
 * log shipper (Loki, CloudWatch, ELK): time, level, node, module, message, the request id and handler of
 * the request being served (request-context.ts), and the fields of a trailing plain object; errors keep
 * their name, type, code and stack. `text`: moleculer's short human-readable lines.
 */
import { currentRequest } from "./request-context.js";

type Bindings = { nodeID?: string; ns?: string; mod?: string; svc?: string };

function errorFields(err: Error & { code?: unknown; type?: unknown; data?: unknown }) {
	return { name: err.name, message: err.message, ...(err.code === undefined ? {} : { code: err.code }), ...(err.type === undefined ? {} : { type: err.type }), stack: err.stack };
}

function safeJson(value: unknown): unknown {
	try {
		JSON.stringify(value);
		return value;
	} catch {
		return String(value);
	}
}

/** moleculer's custom formatter signature: (level, args, bindings) → the arguments console.log gets. */
export function jsonLogFormatter(level: string, args: unknown[], bindings: Bindings): string[] {
	const line: Record<string, unknown> = { time: new Date().toISOString(), level, nodeID: bindings?.nodeID, mod: bindings?.mod };
	if (bindings?.svc) line.svc = bindings.svc;
	const scope = currentRequest();
	if (scope?.requestId) line.requestId = scope.requestId;
	if (scope?.handler) line.handler = scope.handler;
	if (scope?.userId) line.userId = scope.userId;
	const words: string[] = [];
	const errors: unknown[] = [];
	for (const arg of args) {
		if (arg instanceof Error) errors.push(errorFields(arg as any));
		else if (arg && typeof arg === "object" && !Array.isArray(arg)) {
			// A field the caller names wins over the request scope's (an access line names its own request).
			for (const [key, value] of Object.entries(arg)) if (!["time", "level", "nodeID", "mod", "svc", "msg"].includes(key)) line[key] = safeJson(value);
		} else words.push(typeof arg === "string" ? arg : JSON.stringify(safeJson(arg)));
	}
	line.msg = words.join(" ");
	if (errors.length === 1) line.err = errors[0];
	else if (errors.length > 1) line.errors = errors;
	return [JSON.stringify(line)];
}
