/**
 * Turns whatever went wrong into the one error body clients get:
 * `{"error": {"type", "message", "data"}}` with a 4xx for their mistakes and a bare 500 otherwise.
 * No stack trace and no internal message ever reaches a client.
 */
import { Errors } from "moleculer";
import { ERR } from "../shared/errors.js";
import { isDatabaseUnavailable } from "../ops/database-availability.js";

export interface ErrorBody {
	status: number;
	body: { error: { type: string; message: string; data?: unknown } };
	retryAfter?: number;
	/** A client error that the params schema should have caught first (worth a warning in the logs). */
	lateValidation?: boolean;
}

interface AnyError {
	name?: string;
	message?: string;
	code?: unknown;
	status?: unknown;
	type?: unknown;
	data?: unknown;
}

export function toErrorBody(raw: unknown): ErrorBody {
	const err = (raw ?? {}) as AnyError;
	// body-parser errors carry `type` and `status`.
	if (err.type === "entity.parse.failed") return client(400, ERR.MALFORMED_JSON, "The request body is not valid JSON");
	if (err.type === "entity.too.large") return client(413, ERR.PAYLOAD_TOO_LARGE, "The request body is too large");
	if (typeof err.type === "string" && err.type.startsWith("charset.unsupported")) {
		return client(415, ERR.BAD_REQUEST, "Unsupported charset");
	}
	if (err.name === "NotFoundError" && err.code === 404 && err.type === "NOT_FOUND" && err.message === "Not found") {
		return client(404, ERR.ROUTE_NOT_FOUND, "No such route");
	}
	if (err instanceof Errors.ServiceNotFoundError || err instanceof Errors.ServiceNotAvailableError) {
		return client(503, ERR.UNAVAILABLE, "The service is temporarily unavailable", 5);
	}
	if (err instanceof Errors.RequestTimeoutError) return client(503, ERR.UNAVAILABLE, "The service did not answer in time", 5);
	// A node that died (or lost NATS) with the request in flight, or a full queue: unknown outcome, retry later.
	if (err instanceof Errors.RequestRejectedError || err instanceof Errors.QueueIsFullError) return client(503, ERR.UNAVAILABLE, "The service is temporarily unavailable", 5);
	if (isDatabaseUnavailable(err)) return client(503, ERR.UNAVAILABLE, "The database is unavailable, try again shortly", 5);
	// The database's own validation (mongoose) refused a document: input that the action's params schema let
	// through, e.g. an optional field sent as null, which fastest-validator accepts for `optional` rules.
	// Nothing was written (validators run before the write); the client gets the 422 it deserves, not a 500.
	if ((err.name === "ValidationError" || err.name === "CastError") && !((raw as object) instanceof Errors.MoleculerError)) {
		return { status: 422, body: { error: { type: ERR.VALIDATION, message: "Parameters are invalid", data: documentProblems(raw) } }, lateValidation: true };
	}
	if (err instanceof Errors.ValidationError) {
		return { status: 422, body: { error: { type: ERR.VALIDATION, message: "Parameters are invalid", data: sanitizeValidation(err.data) } } };
	}
	const code = typeof err.code === "number" ? err.code : typeof err.status === "number" ? err.status : 500;
	// A service saying on purpose that something it depends on is away or not configured (a payment
	// provider): 503 with its type and message, which name no internals.
	const deliberate503 = code === 503 && ["ClientError", "MoleculerClientError"].includes(String(err.name)) && typeof err.type === "string";
	if ((code >= 400 && code < 500) || deliberate503) {
		const type = typeof err.type === "string" && err.type !== "" ? err.type : ERR.BAD_REQUEST;
		const retryAfter = (err.data as { retryAfter?: number } | undefined)?.retryAfter;
		return {
			status: code,
			body: { error: { type, message: err.message ?? "Bad request", ...(err.data === undefined ? {} : { data: err.data }) } },
			retryAfter: typeof retryAfter === "number" ? retryAfter : undefined,
		};
	}
	return client(500, ERR.INTERNAL, "Internal error");
}

function client(status: number, type: string, message: string, retryAfter?: number): ErrorBody {
	return { status, body: { error: { type, message } }, retryAfter };
}

/** A mongoose validation or cast error's fields, without the values (they may be huge or sensitive). */
function documentProblems(raw: unknown): { field: string; type: string; message: string }[] {
	const e = raw as { path?: string; kind?: string; errors?: Record<string, { path?: string; kind?: string }> };
	const describe = (kind?: string) => (kind === "required" ? "is required" : kind === "ObjectId" || kind === "Number" || kind === "String" ? "has the wrong type" : "is invalid");
	if (e.errors && typeof e.errors === "object") {
		return Object.entries(e.errors).map(([path, sub]) => ({ field: sub?.path ?? path, type: String(sub?.kind ?? "invalid"), message: describe(sub?.kind) }));
	}
	return [{ field: e.path ?? "params", type: String(e.kind ?? "invalid"), message: describe(e.kind) }];
}

/** fastest-validator problems minus the echoed values (they may be huge or sensitive). */
function sanitizeValidation(data: unknown): unknown {
	if (!Array.isArray(data)) return data;
	return data.map(p => ({ field: p.field, type: p.type, message: p.message }));
}
