/**
 * The domain's error types in one place. Every client error is a MoleculerClientError with a stable
 * `type`; the gateway turns it into `{"error": {"type", "message", "data"}}` with its HTTP status.
 */
import { Errors } from "moleculer";

export const ERR = {
	VALIDATION: "VALIDATION_ERROR",
	BAD_REQUEST: "BAD_REQUEST",
	MALFORMED_JSON: "MALFORMED_JSON",
	PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
	UNAUTHORIZED: "UNAUTHORIZED",
	INVALID_TOKEN: "INVALID_TOKEN",
	INVALID_CREDENTIALS: "INVALID_CREDENTIALS",
	EMAIL_NOT_VERIFIED: "EMAIL_NOT_VERIFIED",
	ACCOUNT_SUSPENDED: "ACCOUNT_SUSPENDED",
	SCHOOL_SUSPENDED: "SCHOOL_SUSPENDED",
	/** The access token predates a logout, a password or role change: refresh it or sign in again. */
	SESSION_ENDED: "SESSION_ENDED",
	FORBIDDEN: "FORBIDDEN",
	FORBIDDEN_ROLE: "FORBIDDEN_ROLE",
	NOT_FOUND: "NOT_FOUND",
	ROUTE_NOT_FOUND: "ROUTE_NOT_FOUND",
	CONFLICT: "CONFLICT",
	EMAIL_TAKEN: "EMAIL_TAKEN",
	USERNAME_TAKEN: "USERNAME_TAKEN",
	SEAT_LIMIT_REACHED: "SEAT_LIMIT_REACHED",
	PLAN_FORBIDS: "PLAN_FORBIDS",
	SUBSCRIPTION_INACTIVE: "SUBSCRIPTION_INACTIVE",
	TOKEN_EXPIRED: "TOKEN_EXPIRED",
	TOKEN_USED: "TOKEN_USED",
	TOO_MANY_REQUESTS: "TOO_MANY_REQUESTS",
	IMPORT_INVALID: "IMPORT_INVALID",
	NOT_ENOUGH_REVIEWS: "NOT_ENOUGH_REVIEWS",
	// Block 2, learning sessions (docs/LEARNING.md)
	NOT_ASSIGNED: "NOT_ASSIGNED",
	PATH_INACTIVE: "PATH_INACTIVE",
	STEP_LOCKED: "STEP_LOCKED",
	STEP_NOT_AVAILABLE: "STEP_NOT_AVAILABLE",
	CONTENT_NOT_VALIDATED: "CONTENT_NOT_VALIDATED",
	ACTIVE_PATH_LIMIT_REACHED: "ACTIVE_PATH_LIMIT_REACHED",
	NOTHING_TO_REVIEW: "NOTHING_TO_REVIEW",
	SESSION_CLOSED: "SESSION_CLOSED",
	ALREADY_ANSWERED: "ALREADY_ANSWERED",
	NO_ATTEMPTS_LEFT: "NO_ATTEMPTS_LEFT",
	DEADLINE_PASSED: "DEADLINE_PASSED",
	// Block 4, rendez-vous and visio (docs/COMMUNICATION.md)
	DOUBLE_BOOKED: "DOUBLE_BOOKED",
	SLOT_UNAVAILABLE: "SLOT_UNAVAILABLE",
	NOT_AWAITED: "NOT_AWAITED",
	TOO_LATE: "TOO_LATE",
	VISIO_NOT_OPEN: "VISIO_NOT_OPEN",
	VISIO_OVER: "VISIO_OVER",
	VISIO_CANCELLED: "VISIO_CANCELLED",
	INVALID_SIGNATURE: "INVALID_SIGNATURE",
	// Block 3, AI (docs/AI.md)
	AI_QUOTA_EXCEEDED: "AI_QUOTA_EXCEEDED",
	TUTOR_OFF: "TUTOR_OFF",
	NO_TUTOR: "NO_TUTOR",
	SOURCE_INVALID: "SOURCE_INVALID",
	SOURCE_NOT_READY: "SOURCE_NOT_READY",
	// Block 6, billing (docs/BILLING.md)
	PAYMENTS_UNAVAILABLE: "PAYMENTS_UNAVAILABLE",
	BILLING_NOT_CONFIGURED: "BILLING_NOT_CONFIGURED",
	PAYMENT_METHOD_REQUIRED: "PAYMENT_METHOD_REQUIRED",
	INVOICE_NOT_PAYABLE: "INVOICE_NOT_PAYABLE",
	INVOICE_STATE: "INVOICE_STATE",
	AMOUNT_TOO_HIGH: "AMOUNT_TOO_HIGH",
	RUN_IN_PROGRESS: "RUN_IN_PROGRESS",
	INTERNAL: "INTERNAL_ERROR",
	UNAVAILABLE: "SERVICE_UNAVAILABLE",
} as const;
export type ErrorType = (typeof ERR)[keyof typeof ERR];

export interface FieldProblem {
	field: string;
	message: string;
	[extra: string]: unknown;
}

export class ClientError extends Errors.MoleculerClientError {
	constructor(message: string, code: number, type: ErrorType, data?: unknown) {
		super(message, code, type, data);
	}
}

export const badRequest = (message: string, data?: FieldProblem[] | Record<string, unknown>) =>
	new ClientError(message, 400, ERR.BAD_REQUEST, data);
export const invalid = (field: string, message: string) =>
	new ClientError(`Invalid ${field}: ${message}`, 422, ERR.VALIDATION, [{ field, message }]);
export const unauthorized = (message = "Authentication required", type: ErrorType = ERR.UNAUTHORIZED) =>
	new ClientError(message, 401, type);
export const forbidden = (message = "You may not do this", type: ErrorType = ERR.FORBIDDEN) =>
	new ClientError(message, 403, type);
export const notFound = (entity: string, id?: string) =>
	new ClientError(`${entity} not found`, 404, ERR.NOT_FOUND, id === undefined ? { entity } : { entity, id });
export const conflict = (message: string, type: ErrorType = ERR.CONFLICT, data?: unknown) =>
	new ClientError(message, 409, type, data);
export const gone = (message: string, type: ErrorType) => new ClientError(message, 410, type);
export const tooManyRequests = (retryAfterSeconds: number) =>
	new ClientError("Too many attempts, try again later", 429, ERR.TOO_MANY_REQUESTS, { retryAfter: retryAfterSeconds });

/** MongoDB duplicate-key error (unique index), as raised by the driver. */
export function isDuplicateKey(err: unknown): boolean {
	return typeof err === "object" && err !== null && (err as { code?: number }).code === 11000;
}

/**
 * The indexes of the writes of an unordered insertMany/bulkWrite that a unique key refused (the others
 * went through); any other failure, or an error without write errors, is thrown again.
 */
export function duplicateKeyIndexes(err: unknown): number[] {
	const failures: any[] = (err as { writeErrors?: any[] } | null)?.writeErrors ?? [];
	if (failures.length === 0 || !failures.every(f => isDuplicateKey(f) || isDuplicateKey(f?.err))) throw err;
	return failures.map(f => f.index ?? f.err?.index);
}
