/**
 * The room protocol's error answers. A rejected client message gets `error` `{type, message, command,
 * data?, clientId?}` (or a rejected `room.request`), never a dropped connection. Service errors keep
 * their ERR type, so a client handles a 403 from REST and from a room the same way.
 */
import { Errors } from "moleculer";
import { ERR } from "../services/shared/errors.js";

export const ROOM_ERR = {
	VALIDATION: ERR.VALIDATION,
	RATE_LIMITED: "RATE_LIMITED",
	UNKNOWN_MESSAGE: "UNKNOWN_MESSAGE",
	FORBIDDEN: ERR.FORBIDDEN,
	INTERNAL: ERR.INTERNAL,
	UNAVAILABLE: ERR.UNAVAILABLE,
} as const;

/**
 * WebSocket close codes the platform uses (4000-4999 are the application's). A live identity change
 * (services/shared/live-identity.ts) closes the account's sockets on every node with one of the first four.
 */
export const ROOM_CLOSE = {
	/** The session ended (logout, password changed or reset): refresh the access token or sign in again, then rejoin. */
	SESSION_ENDED: 4401,
	/** The account was suspended, or its roles changed: sign in again (a suspended account cannot). */
	ACCOUNT_CHANGED: 4403,
	/** The same user joined this room again (another tab, a reconnect): this older connection gave its seat up. */
	REPLACED: 4409,
	/** The school's space was suspended by the platform. */
	SCHOOL_SUSPENDED: 4423,
} as const;

export interface RoomErrorBody {
	type: string;
	message: string;
	data?: unknown;
}

export class RoomError extends Error {
	constructor(readonly type: string, message: string, readonly data?: unknown) {
		super(message);
		this.name = "RoomError";
	}
}

/** What a client may learn of a failure: typed client errors as they are, anything else hidden. */
export function toRoomError(err: unknown): RoomErrorBody & { expected: boolean } {
	if (err instanceof RoomError) return { type: err.type, message: err.message, data: err.data, expected: true };
	if (err instanceof Errors.MoleculerClientError) {
		return { type: String(err.type ?? ROOM_ERR.FORBIDDEN), message: err.message, data: err.data, expected: true };
	}
	if (err instanceof Errors.ServiceNotFoundError || err instanceof Errors.RequestTimeoutError || err instanceof Errors.ServiceNotAvailableError) {
		return { type: ROOM_ERR.UNAVAILABLE, message: "The service is temporarily unavailable, try again", expected: true };
	}
	return { type: ROOM_ERR.INTERNAL, message: "Something went wrong", expected: false };
}
