/**
 * What every platform room shares, so a new room only writes its own rules:
 * - `static onAuth` verifies the gateway's JWT and that the account is still active (before any seat);
 * - `call(client, action, params)` calls the owning service AS the connected user (the realtime service
 *   is an edge: the permission middleware treats these calls as the client's own);
 * - `command(type, rules, handler)` registers a client message with validation, a per-client token
 *   bucket and typed error answers, so a bad message never crashes the room nor drops the client;
 * - `relay(topic, key, listener)` subscribes to broker events relayed by the realtime service, and every
 *   subscription is removed on dispose (per-client ones on leave);
 * - live identity: a change of the account or its school (suspension, roles, logout, password, school
 *   suspended) re-checks the user's connections at once (services/shared/live-identity.ts) and closes those
 *   no longer valid with a typed code (ROOM_CLOSE); every IDENTITY_SWEEP_MS all clients are re-checked too,
 *   the safety net for a lost event;
 * - one seat per user (`seatsPerUser`): a user joining again replaces their older connection (closed with
 *   ROOM_CLOSE.REPLACED, as a reconnect would), and holds at most one pending seat reservation at a time, so
 *   one account cannot fill a room.
 *
 * Subclasses implement the hooks `admit` (refuse a join by throwing), `joined`, `left`, `disposed`,
 * and must not override onJoin / onLeave / onDispose / onUncaughtException themselves.
 * Rooms that allow reconnection (`onDrop` + `allowReconnection`) should re-run `admit` in `onReconnect`.
 */
import { Room, ServerError, ErrorCode, type AuthContext, type Client, type RoomOptions } from "@colyseus/core";
import type { MessageContext } from "@colyseus/shared-types";
import { verifyActiveUser } from "../services/realtime/active-user.js";
import { ClientError } from "../services/shared/errors.js";
import type { AuthUser } from "../services/shared/identity.js";
import { identityCacheOf, type Refusal } from "../services/shared/live-identity.js";
import { roomContext, type RoomContext } from "./context.js";
import { ROOM_CLOSE, ROOM_ERR, RoomError, toRoomError } from "./protocol.js";
import type { RelayListener, RelayTopic } from "./relay.js";
import { TokenBucket, type BucketRule } from "./token-bucket.js";

export type RoomClient = Client & { auth: AuthUser };

/** fastest-validator schema of a command's payload. */
export type CommandRules = Record<string, unknown>;

export interface CommandOptions {
	/** Message type the result is sent back as, for clients using `send` rather than `request`. */
	reply?: string;
	/** Tokens this command costs from the client's bucket (default 1). */
	cost?: number;
}

/** Default budget: bursts of 10 messages, 5 per second sustained. */
export const DEFAULT_RATE: BucketRule = { capacity: 10, perSecond: 5 };

/** How often a room re-checks all its clients' accounts, whatever events said. */
export const IDENTITY_SWEEP_MS = 30_000;

/** The close code of each reason a connection's token no longer stands. */
const CLOSE_FOR: Record<Refusal, { code: number; reason: string }> = {
	gone: { code: ROOM_CLOSE.SESSION_ENDED, reason: "This account no longer exists" },
	session_ended: { code: ROOM_CLOSE.SESSION_ENDED, reason: "Your session ended: sign in again" },
	roles_changed: { code: ROOM_CLOSE.ACCOUNT_CHANGED, reason: "Your account changed: sign in again" },
	suspended: { code: ROOM_CLOSE.ACCOUNT_CHANGED, reason: "Your account was suspended" },
	school_suspended: { code: ROOM_CLOSE.SCHOOL_SUSPENDED, reason: "Your school's space is suspended" },
};

/** Verifies the access token and that the account is still active; refuses the join otherwise. */
export async function authenticate(token: string | undefined): Promise<AuthUser> {
	try {
		return (await verifyActiveUser(roomContext().broker, token)).user;
	} catch (err) {
		// Whatever the reason (even the users service being unreachable), the join is refused, never let through.
		const message = err instanceof ClientError ? err.message : "This account could not be checked, try again";
		throw new ServerError(ErrorCode.AUTH_FAILED, message);
	}
}

/**
 * Runs a room's static onAuth check: a refusal is logged as one warning line (no stack: refusing is the
 * room's job) and becomes a ServerError, which Colyseus answers the client with and does not print.
 * Anything unexpected is logged as an error and refused too, never let through.
 */
export async function checkJoin<T>(room: string, check: () => Promise<T>): Promise<T> {
	try {
		return await check();
	} catch (err) {
		throw refusal(`Room ${room} refused a join`, err);
	}
}

function logger(): Pick<Console, "warn" | "error"> {
	try {
		return roomContext().logger;
	} catch {
		return console;
	}
}

/** The ServerError a client gets for a refused join, logged as a warning (or an error when unexpected). */
function refusal(what: string, err: unknown, userId?: string): ServerError {
	const who = userId ? ` by user ${userId}` : "";
	if (err instanceof ServerError) {
		logger().warn(`${what}${who}: ${err.message}`);
		return err;
	}
	const { expected, type, message } = toRoomError(err);
	if (!expected) {
		logger().error(`${what}${who}: unexpected failure`, err);
		return new ServerError(ErrorCode.AUTH_FAILED, "This account could not be checked, try again");
	}
	logger().warn(`${what}${who}: ${type}: ${message}`);
	const code = typeof (err as { code?: unknown }).code === "number" ? (err as { code: number }).code : ErrorCode.APPLICATION_ERROR;
	return new ServerError(code, message);
}

/** Calls a service action as this user: usable from static onAuth, which Colyseus calls without a room. */
export function callAs<R = unknown>(user: AuthUser, action: string, params: Record<string, unknown>, opts: { timeout?: number } = {}): Promise<R> {
	return roomContext().broker.call<R, Record<string, unknown>>(action, params, { meta: { user }, ...opts });
}

export abstract class PlatformRoom<T extends RoomOptions = RoomOptions> extends Room<T> {
	/** Overridable per room type, before any client joins. */
	protected rate: BucketRule = DEFAULT_RATE;
	/** Connections one user may hold in this room; one more replaces the oldest. */
	protected seatsPerUser = 1;
	private identitySweep: { clear(): void } | undefined;
	/** Join order: of one user's connections joining at once, only the newest keeps its seat. */
	private joins = 0;
	private readonly joinedAs = new Map<string, number>();
	private readonly buckets = new Map<string, TokenBucket>();
	private readonly roomLinks: (() => void)[] = [];
	private readonly clientLinks = new Map<string, (() => void)[]>();

	constructor() {
		super();
		// Colyseus drops a client that sends an unknown type; answering it keeps the connection.
		this.onMessage("*", (client: Client, type: string | number) => {
			client.send("error", { type: ROOM_ERR.UNKNOWN_MESSAGE, message: `Unknown message type "${String(type)}"`, command: String(type) });
		});
		// A flood far beyond any bucket is not a client worth answering.
		this.maxMessagesPerSecond = 50;
		this.limitPendingSeats();
	}

	static async onAuth(token: string, _options: unknown, _context: AuthContext): Promise<unknown> {
		return checkJoin("(any)", () => authenticate(token));
	}

	protected get context(): RoomContext {
		return roomContext();
	}

	protected userOf(client: Client): AuthUser {
		return (client as RoomClient).auth;
	}

	/** Calls a service action as the client's user. */
	protected call<R = unknown>(client: Client | AuthUser, action: string, params: Record<string, unknown>, opts: { timeout?: number } = {}): Promise<R> {
		return callAs<R>("sessionId" in client ? this.userOf(client) : client, action, params, opts);
	}

	/** Subscribes the room to relayed events until it is disposed. */
	protected relay(topic: RelayTopic, key: string, listener: RelayListener): void {
		this.roomLinks.push(this.context.relay.subscribe(topic, key, listener));
	}

	protected command<P = any>(type: string, rules: CommandRules, handler: (client: RoomClient, params: P) => unknown, options: CommandOptions = {}): void {
		const check = this.context.broker.validator!.compile({ $$strict: "remove", ...rules }) as (value: unknown) => true | { field?: string; message?: string }[];
		this.onMessage(type, async (client: Client, payload: unknown, mctx?: MessageContext) => {
			const isRequest = mctx?.id !== undefined;
			const clientId = typeof (payload as any)?.clientId === "string" ? (payload as any).clientId : undefined;
			try {
				if (!this.bucketOf(client).take(Date.now(), options.cost ?? 1)) throw new RoomError(ROOM_ERR.RATE_LIMITED, "Too many messages, slow down");
				const params = payload === undefined ? {} : payload;
				if (typeof params !== "object" || params === null || Array.isArray(params)) throw new RoomError(ROOM_ERR.VALIDATION, "The message must be an object");
				const verdict = check(params);
				if (verdict !== true) {
					const problems = verdict.map(p => ({ field: p.field, message: p.message }));
					throw new RoomError(ROOM_ERR.VALIDATION, problems[0]?.message ?? "Invalid message", problems);
				}
				const result = await handler(client as RoomClient, params as P);
				if (isRequest) return result;
				if (options.reply && result !== undefined) client.send(options.reply, result);
				return undefined;
			} catch (err) {
				const { expected, ...body } = toRoomError(err);
				if (!expected) this.context.logger.error(`Room ${this.roomName} (${this.roomId}) failed on "${type}"`, err);
				if (isRequest) return mctx!.reject(body);
				client.send("error", { ...body, command: type, ...(clientId ? { clientId } : {}) });
				return undefined;
			}
		});
	}

	// --- Colyseus lifecycle: final here, subclasses use the hooks below ---

	async onJoin(client: Client, options: any): Promise<void> {
		this.joinedAs.set(client.sessionId, ++this.joins);
		try {
			await this.admit(client as RoomClient, options ?? {});
		} catch (err) {
			throw this.refused(client, err);
		}
		const user = this.userOf(client);
		const links = [this.context.relay.subscribe("account", user.id, () => void this.recheck(client))];
		if (user.schoolId) links.push(this.context.relay.subscribe("school", user.schoolId, () => void this.recheck(client)));
		this.clientLinks.set(client.sessionId, links);
		this.replaceOlderSeats(client);
		this.identitySweep ??= this.clock.setInterval(() => {
			for (const c of this.clients) void this.recheck(c);
		}, IDENTITY_SWEEP_MS);
		await this.joined?.(client as RoomClient, options ?? {});
	}

	async onLeave(client: Client, code?: number): Promise<void> {
		for (const unlink of this.clientLinks.get(client.sessionId) ?? []) unlink();
		this.clientLinks.delete(client.sessionId);
		this.buckets.delete(client.sessionId);
		this.joinedAs.delete(client.sessionId);
		await this.left?.(client as RoomClient, code);
	}

	async onDispose(): Promise<void> {
		for (const unlink of this.roomLinks.splice(0)) unlink();
		for (const links of this.clientLinks.values()) for (const unlink of links) unlink();
		this.clientLinks.clear();
		this.buckets.clear();
		this.joinedAs.clear();
		await this.disposed?.();
	}

	onUncaughtException(error: Error & { cause?: unknown }, methodName: string): void {
		const cause = error.cause ?? error;
		const refusedByRoom = cause instanceof ServerError || toRoomError(cause).expected;
		// A refused join is the room doing its job, not a failure (onJoin logged it as a warning: `refused`).
		if (refusedByRoom && (methodName === "onJoin" || methodName === "onAuth")) return;
		// So is a refused creation (a group room asked for without a live session): one warning line.
		if (refusedByRoom && methodName === "onCreate") return void logger().warn(`Room ${this.roomName} refused to be created: ${(cause as Error).message}`);
		logger().error(`Room ${this.roomName} (${this.roomId}) failed in ${methodName}`, cause);
	}

	/** Whether the client passed `admit`: Colyseus also calls onDrop / onLeave for a join that was refused. */
	protected admitted(client: Client): boolean {
		return this.clientLinks.has(client.sessionId);
	}

	/**
	 * Keeps an admitted client's seat for its reconnection; nothing for a client whose join was refused
	 * (Colyseus's allowReconnection then rejects with "not joined"). The promise never rejects unhandled.
	 */
	protected holdSeat(client: Client, seconds: number): ReturnType<Room["allowReconnection"]> | undefined {
		if (!this.admitted(client)) return undefined;
		const reconnection = this.allowReconnection(client, seconds);
		reconnection.catch(() => undefined);
		return reconnection;
	}

	/** A join `admit` refused: a warning line and a ServerError (see `refusal`); unexpected failures stay errors. */
	private refused(client: Client, err: unknown): unknown {
		if (!(err instanceof ServerError) && !toRoomError(err).expected) {
			this.context.logger.error(`Room ${this.roomName} (${this.roomId}) failed to admit a client`, err);
			return err;
		}
		return refusal(`Room ${this.roomName} (${this.roomId}) refused a join`, err, (client as RoomClient).auth?.id);
	}

	// --- hooks ---

	/** Refuse a join by throwing (a ClientError or RoomError reaches the client as the join's error). */
	protected abstract admit(client: RoomClient, options: Record<string, unknown>): Promise<void>;
	protected joined?(client: RoomClient, options: Record<string, unknown>): void | Promise<void>;
	protected left?(client: RoomClient, code?: number): void | Promise<void>;
	/** After a user's join replaced their older connections: a room ends the user's other reconnection windows here. */
	protected replacedSeats?(userId: string, current: RoomClient): void;
	protected disposed?(): void | Promise<void>;

	/**
	 * Disconnects a client whose token no longer stands, or whose seat a newer connection of the same user
	 * took; a room may override to also end reconnection windows.
	 */
	protected evict(client: Client, code: number = ROOM_CLOSE.ACCOUNT_CHANGED, reason = "Your account changed: sign in again"): void {
		try {
			client.leave(code, reason);
		} catch {
			/* already gone */
		}
	}

	/** Whether the client's token still stands against its account and school now; closes it otherwise. */
	private async recheck(client: Client): Promise<void> {
		const auth = this.userOf(client);
		if (!auth) return;
		try {
			const verdict = await identityCacheOf(this.context.broker).evaluate(auth);
			if (verdict.ok) return;
			const { code, reason } = CLOSE_FOR[verdict.reason];
			this.evict(client, code, reason);
		} catch (err) {
			// The users service unreachable: the socket stays until a check can be made (joins are refused meanwhile).
			this.context.logger.warn(`Room ${this.roomName} (${this.roomId}): identity of ${auth.id} not checked`, err instanceof Error ? err.message : err);
		}
	}

	/**
	 * The user's older connections beyond `seatsPerUser` give their seats to this one. Only older ones: of
	 * connections joining at the same time (each admitted asynchronously), the newest is the one that stays.
	 */
	private replaceOlderSeats(client: Client): void {
		const userId = this.userOf(client).id;
		const order = (c: Client) => this.joinedAs.get(c.sessionId) ?? 0;
		const mine = this.clients.filter(c => c !== client && (c as RoomClient).auth?.id === userId && order(c) < order(client)).sort((a, b) => order(a) - order(b));
		const surplus = mine.length - (this.seatsPerUser - 1);
		for (const older of mine.slice(0, Math.max(0, surplus))) this.evict(older, ROOM_CLOSE.REPLACED, "You joined this room from another connection");
		this.replacedSeats?.(userId, client as RoomClient);
	}

	/**
	 * A user holds at most one pending seat reservation in the room (a join matched but not yet connected),
	 * so repeated matchmaking cannot hold every seat. Colyseus reserves seats in `_reserveSeat`, which its
	 * typings keep private: wrapped here, with the reconnection reservations (allowReconnection) left alone.
	 */
	private limitPendingSeats(): void {
		const room = this as unknown as { _reserveSeat: (...args: any[]) => Promise<boolean>; _reservedSeats: Record<string, [unknown, { id?: string } | undefined, boolean, boolean]> };
		const reserve = room._reserveSeat.bind(this);
		room._reserveSeat = async (sessionId: string, joinOptions?: unknown, authData?: { id?: string }, seconds?: number, allowReconnection = false, ...rest: unknown[]) => {
			if (!allowReconnection && authData?.id) {
				// Consumed seats are made non-enumerable by Colyseus: only pending reservations are counted here.
				const pending = Object.values(room._reservedSeats).filter(([, auth, consumed, reconnecting]) => !consumed && !reconnecting && auth?.id === authData.id);
				if (pending.length > 0) return false;
			}
			return reserve(sessionId, joinOptions, authData, seconds, allowReconnection, ...rest);
		};
	}

	private bucketOf(client: Client): TokenBucket {
		let bucket = this.buckets.get(client.sessionId);
		if (!bucket) this.buckets.set(client.sessionId, (bucket = new TokenBucket(this.rate)));
		return bucket;
	}
}

