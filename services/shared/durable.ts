/**
 * Durable messages: what must not be lost (notification requests, the reporting feed) goes through
 * @moleculer/channels, on NATS JetStream when NATS_URL is set and on its in-memory adapter in one
 * process. Every message carries an `id` (consumers deduplicate on it) and the `schoolId` it is about.
 */
import Channels from "@moleculer/channels";
import { randomUUID } from "node:crypto";
import type { Middleware, ServiceBroker } from "moleculer";
import { settings } from "../../config/env.js";

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
						connectionOptions: { name: "learning-platform-channels" },
						streamConfig: { max_age: 30 * 24 * 3600 * 1e9 },
					},
					maxRetries: 5,
					deadLettering: { enabled: true, queueName: "DEAD_LETTERS" },
				},
			}
		: { type: "Fake", options: { maxRetries: 3 } };
	return (Channels as unknown as { Middleware: (opts: unknown) => Middleware }).Middleware({ adapter, context: true });
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
	await ensureStream(broker, channel);
	await (broker as any).sendToChannel(channel, full);
	return full;
}
