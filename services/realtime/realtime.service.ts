/**
 * Hosts the Colyseus server (live rooms, rooms/index.ts) beside the broker, on REALTIME_PORT, and relays
 * the broker events rooms care about (stored chat messages, read receipts, notifications, account
 * changes) to this process's rooms. Events are broadcast, so every realtime node relays to its own rooms.
 *
 * With NATS_URL and REDIS_URL set, realtime processes share presence and matchmaking through Redis
 * (keys prefixed by NAMESPACE) and each announces REALTIME_PUBLIC_ADDRESS, so a client matchmaking on
 * one process is sent to the process that hosts its room. Redis without a transporter is not shared:
 * a room on another process could not hear this broker's events.
 *
 * With REALTIME_MONITOR on, the same HTTP server also serves the Colyseus monitor under /monitor to
 * active platform admins only (monitor.ts, monitor-gate.ts).
 *
 * Colyseus keeps its matchmaker in module state, so one process can host one server only: a second
 * realtime service in the same process fails at start with a clear error instead of corrupting it.
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { matchMaker, Server, type ServerOptions } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { RedisPresence } from "@colyseus/redis-presence";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { Redis } from "ioredis";
import { settings } from "../../config/env.js";
import { presenceKey } from "../../rooms/chat.room.js";
import { userPresenceKey } from "../../rooms/user.room.js";
import { openGroupRoom } from "../../rooms/group.room.js";
import { createRoomContext, setRoomContext, type RoomContext } from "../../rooms/context.js";
import { ROOMS } from "../../rooms/index.js";
import { WS_MAX_PAYLOAD } from "../../rooms/message-size.js";
import { ClientError, ERR } from "../shared/errors.js";
import { callerSchoolId, type Ctx } from "../shared/identity.js";
import { IDENTITY_CHANGED, identityCacheOf, LiveIdentityMixin, type IdentityChange } from "../shared/live-identity.js";
import type { ServiceDef } from "../shared/service.js";
import { ID } from "../shared/params.js";
import { configureRealtimeCors, secureRealtimeServer } from "./edge.js";
import { monitorOptions } from "./monitor.js";
import { addCollector } from "../ops/node-metrics.js";
import { restoreListingsOnReconnect } from "./redis-recovery.js";
import { collectRoomMetrics } from "./room-metrics.js";
import { roomAlive } from "./room-liveness.js";

/**
 * The service instance whose Colyseus server runs in this process, if any. Kept on globalThis: the
 * same module loaded twice (ESM and CommonJS, as test runners may do) must still see one owner.
 */
const OWNER = Symbol.for("learning-platform.realtime.colyseus-owner");
const registry = globalThis as { [OWNER]?: unknown };

function listenOrFail(colyseus: Server, http: HttpServer, port: number): Promise<void> {
	// Colyseus only logs a listen error (EADDRINUSE) and never settles: surface it.
	const failed = new Promise<never>((_, reject) => http.once("error", reject));
	return Promise.race([colyseus.listen(port), failed]);
}

function closed(http: HttpServer): Promise<void> {
	if (!http.listening) return Promise.resolve();
	return new Promise(resolve => {
		http.once("close", () => resolve());
		http.closeAllConnections();
	});
}

/** Shared presence and matchmaking when this process is one of several realtime nodes. */
function scaleOutOptions(port: number, logger?: any): Pick<ServerOptions, "presence" | "driver" | "publicAddress" | "selectProcessIdToCreateRoom"> {
	const cfg = settings();
	if (!cfg.redisUrl || !cfg.natsUrl) return {};
	if (port === 0 && !cfg.realtimePublicAddress) {
		throw new Error("Invalid configuration: REALTIME_PORT must be fixed (or REALTIME_PUBLIC_ADDRESS set) when realtime nodes share Redis");
	}
	// Runs of the same Redis (tests, several deployments) must not see each other's rooms.
	const keyPrefix = `${cfg.namespace}:colyseus:`;
	const driverClient = new Redis(cfg.redisUrl, { keyPrefix });
	// A Redis restarted empty: list this process and its rooms again (redis-recovery.ts).
	if (logger) restoreListingsOnReconnect(driverClient, logger);
	return {
		presence: new RedisPresence(new Redis(cfg.redisUrl, { keyPrefix })),
		driver: new RedisDriver(driverClient),
		publicAddress: cfg.realtimePublicAddress ?? `127.0.0.1:${port}`,
		// A new room lives where it was asked for: the load balancer already spread the requests, and the
		// creator then needs no hop to another process. Later joiners are sent wherever it lives.
		selectProcessIdToCreateRoom: async () => matchMaker.processId,
	};
}

const RealtimeService: ServiceDef = {
	name: "realtime",
	settings: { rest: "/" },
	mixins: [LiveIdentityMixin],

	actions: {
		/**
		 * Where a browser opens live rooms (the web client asks once): REALTIME_PUBLIC_URL when set, else
		 * this node's port, which the client pairs with the page's own host name (README "Web client").
		 */
		clientConfig: {
			rest: "GET /client-config",
			params: { $$strict: "remove" },
			handler(this: any) {
				return { realtime: { url: settings().realtimePublicUrl ?? null, port: this.port ?? settings().realtimePort } };
			},
		},

		/** Which of these users are in the conversation's chat room, on any realtime node (shared presence). */
		presentUsers: {
			params: { $$strict: "remove", conversationId: ID, userIds: { type: "array", max: 100, items: ID } },
			async handler(this: any, ctx: Ctx<{ conversationId: string; userIds: string[] }>) {
				const { conversationId, userIds } = ctx.params;
				const here = await Promise.all(userIds.map(userId => matchMaker.presence.exists(presenceKey(conversationId, userId))));
				return { present: userIds.filter((_, i) => here[i]) };
			},
		},

		/** Which of these users hold their own live channel (the `user` room) open on any realtime node. */
		connectedUsers: {
			params: { $$strict: "remove", userIds: { type: "array", max: 1000, items: ID } },
			async handler(this: any, ctx: Ctx<{ userIds: string[] }>) {
				const here = await Promise.all(ctx.params.userIds.map(userId => matchMaker.presence.exists(userPresenceKey(userId))));
				return { connected: ctx.params.userIds.filter((_, i) => here[i]) };
			},
		},

		/** A live group session's room, created on this node (liveSessions.create): → `{roomId}`. */
		openGroupRoom: {
			// resume: the session's previous room died with its process; this one rebuilds it from what was saved (issue 16).
			params: { $$strict: "remove", liveSessionId: ID, code: { type: "string", min: 1, max: 16 }, resume: { type: "boolean", optional: true } },
			async handler(this: any, ctx: Ctx<{ liveSessionId: string; code: string; resume?: boolean }>) {
				if (!this.colyseus) throw new ClientError("The realtime server is not running on this node", 503, ERR.UNAVAILABLE);
				return openGroupRoom({ liveSessionId: ctx.params.liveSessionId, code: ctx.params.code, schoolId: callerSchoolId(ctx), ...(ctx.params.resume ? { resume: true } : {}) });
			},
		},

		/** Whether a room still runs somewhere: its listing exists and its process answers (a dead one's listings are swept). */
		groupRoomAlive: {
			params: { $$strict: "remove", roomId: { type: "string", min: 1, max: 64 } },
			async handler(this: any, ctx: Ctx<{ roomId: string }>) {
				return { alive: await roomAlive(ctx.params.roomId) };
			},
		},
	},

	events: {
		"communication.message.sent"(this: any, ctx: Ctx<{ conversationId: string; message: unknown }>) {
			this.relay("conversation", ctx.params.conversationId, { kind: "message", message: ctx.params.message });
		},
		"communication.conversation.read"(this: any, ctx: Ctx<Record<string, unknown> & { conversationId: string }>) {
			const { conversationId, userId, lastReadMessageId, lastReadAt } = ctx.params;
			this.relay("conversation", conversationId, { kind: "read", receipt: { conversationId, userId, lastReadMessageId, lastReadAt } });
		},
		"communication.notification.created"(this: any, ctx: Ctx<{ userId: string; notification: unknown }>) {
			this.relay("user", ctx.params.userId, { kind: "notification", notification: ctx.params.notification });
		},
		"ai.source.progressed"(this: any, ctx: Ctx<{ userId: string; source: unknown }>) {
			this.relay("user", ctx.params.userId, { kind: "ai.source.progress", payload: ctx.params.source });
		},
		/** Re-checks the open sockets of the account (or of the whole school) the change names; rooms close those no longer valid. */
		[IDENTITY_CHANGED](this: any, ctx: Ctx<IdentityChange>) {
			const change = ctx.params ?? {};
			// Before the rooms look: their re-check must read the account as it is now.
			identityCacheOf(this.broker).invalidate(change);
			if (change.userId) this.relay("account", change.userId, change);
			if (change.schoolId) this.relay("school", change.schoolId, change);
		},
	},

	methods: {
		relay(this: any, topic: string, key: unknown, payload: unknown) {
			const context: RoomContext | undefined = this.roomContext;
			if (!context || typeof key !== "string") return;
			try {
				context.relay.publish(topic, key, payload);
			} catch (err) {
				this.logger.error(`Relaying ${topic} ${key} failed`, err);
			}
		},

		async shutdownColyseus(this: any) {
			if (registry[OWNER] !== this) return;
			const http: HttpServer = this.http;
			const done = closed(http);
			try {
				await (this.colyseus as Server).gracefullyShutdown(false);
			} finally {
				if (http.listening) http.close();
				await done;
				// After the rooms were disposed (each waited for its answers): nothing is left to write.
				(this.roomContext as RoomContext | undefined)?.answers.close();
				setRoomContext(undefined);
				this.roomContext = undefined;
				registry[OWNER] = undefined;
				this.colyseus = undefined;
			}
		},
	},

	async started(this: any) {
		if (registry[OWNER]) {
			throw new Error("A Colyseus server already runs in this process: run at most one realtime service per process");
		}
		registry[OWNER] = this;
		const port = settings().realtimePort;
		const http = createServer();
		let colyseus: Server;
		try {
			// The start script handles SIGTERM and stops the broker, which stops this server.
			colyseus = new Server({
				// The largest valid client message (rooms/message-size.ts), not Colyseus's 4 KiB default.
				transport: new WebSocketTransport({ server: http, maxPayload: WS_MAX_PAYLOAD }),
				gracefullyShutdown: false,
				greet: false,
				logger: this.logger,
				...scaleOutOptions(port, this.logger),
				...(await monitorOptions(this.broker, this.logger)),
			});
		} catch (err) {
			registry[OWNER] = undefined;
			throw err;
		}
		this.http = http;
		this.colyseus = colyseus;
		this.roomContext = createRoomContext(this.broker, this.logger);
		setRoomContext(this.roomContext);
		for (const def of ROOMS) {
			const handler = colyseus.define(def.name, def.room, def.options as any);
			if (def.filterBy) handler.filterBy(def.filterBy);
		}
		configureRealtimeCors(settings().corsOrigins);
		// Rooms and clients per room type on the metrics endpoint (services/ops/node-metrics.ts).
		this.removeRoomMetrics = addCollector(broker => collectRoomMetrics(broker, ROOMS.map(r => r.name)));
		try {
			await listenOrFail(colyseus, http, port);
		} catch (err) {
			await this.shutdownColyseus();
			throw err;
		}
		secureRealtimeServer(http, settings());
		this.port = (http.address() as AddressInfo).port;
		this.logger.info(`Realtime (Colyseus) listening on port ${this.port}`);
		if (settings().realtimeMonitor) this.logger.info(`Colyseus monitor (platform admins) at http://localhost:${this.port}/monitor/`);
	},

	async stopped(this: any) {
		this.removeRoomMetrics?.();
		await this.shutdownColyseus();
	},
};

export default RealtimeService;
