/**
 * Durable messages: what must not be lost (notification requests, the reporting feed) goes through
 * @moleculer/channels, on NATS JetStream when NATS_URL is set and on its in-memory adapter in one
 * process. Every message carries an `id` (consumers deduplicate on it) and the `schoolId` it is about.
 */
import Channels from "@moleculer/channels";
import { randomUUID } from "node:crypto";
import type { Middleware, ServiceBroker } from "moleculer";
import { settings } from "../../config/env.js";
import { currentRequest } from "../ops/request-context.js";
import { canKeep, keepForLater, startRelay } from "./durable-outbox.js";

export interface DurableMessage {
	/** Unique per business fact; a consumer that sees it twice acts once. */
	id: string;
	schoolId: string | null;
	occurredAt: string;
	[field: string]: unknown;
}

export function channelsMiddleware(natsUrl: string | undefined = settings().natsUrl): Middleware {
	const adapter = natsUrl
		? {
				type: "NATS",
				options: {
					nats: {
						url: natsUrl,
						// Reconnect for ever (nats.js gives up after 10 attempts by default): a NATS restart must not
						// leave this node's consumers and publishers dead until the node itself restarts.
						connectionOptions: { name: "learning-platform-channels", maxReconnectAttempts: -1, reconnectTimeWait: 1000 },
						streamConfig: { max_age: 30 * 24 * 3600 * 1e9 },
					},
					maxRetries: 5,
					deadLettering: { enabled: true, queueName: "DEAD_LETTERS" },
				},
			}
		: { type: "Fake", options: { maxRetries: 3 } };
	const middleware = (Channels as unknown as { Middleware: (opts: unknown) => Middleware }).Middleware({ adapter, context: true }) as Middleware & { created: (broker: ServiceBroker) => void };
	const created = middleware.created;
	middleware.created = function (this: unknown, broker: ServiceBroker) {
		created.call(this, broker);
		retrySubscribeRace((broker as any).channelAdapter);
	};
	return middleware;
}

/** JetStream's answer when another node created the same durable consumer (another deliver subject) a moment before. */
const CONSUMER_NAME_IN_USE = 10013;

/**
 * Two nodes starting together both find a channel group's durable consumer missing and both create it; the
 * second creation is refused (10013) and the adapter would fail the node's start. Subscribing again finds the
 * consumer the other node made and joins its queue group, as a node starting later does.
 */
function retrySubscribeRace(
	adapter: { subscribe?: (...args: unknown[]) => Promise<unknown>; activeMessages?: Map<string, unknown>; logger?: { info: (...a: unknown[]) => void } } | undefined,
): void {
	if (!adapter?.subscribe) return;
	const subscribe = adapter.subscribe.bind(adapter);
	adapter.subscribe = async (...args: unknown[]) => {
		for (let attempt = 1; ; attempt++) {
			try {
				return await subscribe(...args);
			} catch (err) {
				if ((err as { api_error?: { err_code?: number } })?.api_error?.err_code !== CONSUMER_NAME_IN_USE || attempt >= 5) throw err;
				adapter.logger?.info(`A consumer was created by another node meanwhile; subscribing again (attempt ${attempt + 1})`);
				// The failed attempt began tracking the channel's messages; the next one begins again.
				adapter.activeMessages?.delete((args[0] as { id: string }).id);
				await new Promise(resolve => setTimeout(resolve, 100 * attempt + Math.random() * 200));
			}
		}
	};
}

/** Subjects (namespace-prefixed) whose stream this process already ensured (JetStream answers 503 to a publish with no stream). */
const ensured = new Set<string>();

async function ensureStream(broker: ServiceBroker, channel: string): Promise<void> {
	// Only the JetStream adapter has streams to create; the in-memory one delivers to whoever listens.
	const adapter = (broker as any).channelAdapter;
	if (typeof adapter?.createStream !== "function") return;
	// The adapter prefixes subjects with the broker namespace; the stream must match what it publishes,
	// and two brokers of different namespaces in one process need a stream each.
	const subject: string = adapter.addPrefixTopic(channel);
	if (ensured.has(subject)) return;
	await adapter.createStream(subject.split(".").join("_"), [subject], {});
	ensured.add(subject);
}

export async function publishDurable(
	broker: ServiceBroker,
	channel: string,
	message: Omit<DurableMessage, "id" | "occurredAt"> & { id?: string; occurredAt?: string },
): Promise<DurableMessage> {
	const full = { ...message, id: message.id ?? randomUUID(), occurredAt: message.occurredAt ?? new Date().toISOString() } as DurableMessage;
	const requestId = currentRequest()?.requestId;
	const send = (ch: string, msg: DurableMessage, reqId?: string) => sendNow(broker, ch, msg, reqId);
	startRelay(broker, (ch, msg) => send(ch, msg));
	try {
		// NATS known to be away: straight to the outbox, without waiting for a publish to time out.
		if (isNats(broker) && natsDown(broker)) throw new Error("NATS is disconnected");
		await send(channel, full, requestId);
	} catch (err) {
		// NATS away (restarting, unreachable): kept in the database and published when it is back
		// (durable-outbox.ts). Without a database on this node the caller gets the error, as before.
		if (!isNats(broker) || !canKeep()) throw err;
		await keepForLater(channel, full, err, requestId);
		broker.logger.warn(`Durable message ${full.id} on ${channel} kept for later: NATS did not take it (${(err as Error)?.message ?? err})`);
	}
	return full;
}

const watched = new WeakSet<object>();
const down = new WeakSet<object>();

/** Follows the channels' NATS connection from the start (a middleware hook once the adapter is connected). */
export const NatsWatchMiddleware: Middleware = {
	name: "NatsWatch",
	started(broker: ServiceBroker) {
		natsDown(broker);
	},
} as unknown as Middleware;

/** Whether the channels' NATS connection is known to be lost (nats.js reports it while it reconnects). */
function natsDown(broker: ServiceBroker): boolean {
	const connection = (broker as any).channelAdapter?.connection;
	if (!connection || typeof connection.status !== "function") return false;
	if (!watched.has(connection)) {
		watched.add(connection);
		void (async () => {
			for await (const s of connection.status()) {
				if (s.type === "disconnect" || s.type === "reconnecting") down.add(connection);
				else if (s.type === "reconnect") down.delete(connection);
			}
		})().catch(() => undefined);
	}
	return down.has(connection) || connection.isClosed?.() === true;
}

function isNats(broker: ServiceBroker): boolean {
	return typeof (broker as any).channelAdapter?.createStream === "function";
}

/** Publishes now: the message id as JetStream's msgID (it drops a re-publish within its duplicate window), the request id in the headers. */
async function sendNow(broker: ServiceBroker, channel: string, message: DurableMessage, requestId?: string): Promise<void> {
	await ensureStream(broker, channel);
	const opts: Record<string, unknown> = isNats(broker) ? { msgID: message.id, timeout: PUBLISH_TIMEOUT_MS } : {};
	// The consumer's Context gets this request id (and only that: no meta, no user).
	if (requestId) opts.headers = { $requestID: requestId };
	await (broker as any).sendToChannel(channel, message, opts);
}

/** How long a publish waits for JetStream's acknowledgement before the message goes to the outbox. */
const PUBLISH_TIMEOUT_MS = 3_000;
