/**
 * Keeps durable messages that NATS did not take (it is restarting, or unreachable from this node) and
 * publishes them once it is back: publishDurable (durable.ts) stores the message here when the publish
 * fails and this node has its database; a relay on every such node publishes what is stored, oldest
 * first, every RELAY_INTERVAL_MS, and deletes each once JetStream acknowledged it. JetStream drops a
 * re-publish of the same message id within its duplicate window, and consumers deduplicate by id
 * anyway, so a message relayed twice is still applied once.
 */
import type { ServiceBroker } from "moleculer";
import mongoose from "mongoose";
import { DurableOutbox } from "../../models/durable-outbox.model.js";
import type { DurableMessage } from "./durable.js";

const RELAY_INTERVAL_MS = 2_000;
const BATCH = 100;
/** How long a relay holds the messages it took (a relay that dies mid-batch lets them go after this). */
const CLAIM_MS = 30_000;
/** claimedUntil of a message no relay holds (a date, so that one indexed `$lt` finds what is free). */
const UNCLAIMED = new Date(0);

/** Whether this node can keep a message in its database right now. */
export function canKeep(): boolean {
	return mongoose.connection.readyState === 1;
}

export async function keepForLater(channel: string, message: DurableMessage, error: unknown, requestId?: string): Promise<void> {
	await DurableOutbox.updateOne(
		{ _id: message.id },
		{ $setOnInsert: { channel, message, requestId: requestId ?? null, attempts: 0, claimedUntil: UNCLAIMED, lastError: String((error as Error)?.message ?? error).slice(0, 300) } },
		{ upsert: true },
	);
	ensureRelay(undefined);
}

type Publish = (channel: string, message: DurableMessage) => Promise<void>;

interface Relay {
	timer: NodeJS.Timeout;
	running: boolean;
	publish: Publish;
	logger: { warn: (...a: unknown[]) => void; info: (...a: unknown[]) => void };
}

let relay: Relay | undefined;
let pendingSetup: { publish: Publish; logger: Relay["logger"] } | undefined;

/** Starts this process's relay (once); the first broker that publishes durably provides the way to publish. */
export function startRelay(broker: ServiceBroker, publish: Publish): void {
	pendingSetup ??= { publish, logger: broker.getLogger("durable-outbox") as any };
	ensureRelay(pendingSetup);
}

function ensureRelay(setup: typeof pendingSetup): void {
	if (relay) return;
	const s = setup ?? pendingSetup;
	if (!s) return;
	relay = { timer: setInterval(() => void relayOnce(), RELAY_INTERVAL_MS), running: false, ...s };
	relay.timer.unref();
}

export function stopRelay(): void {
	if (relay) clearInterval(relay.timer);
	relay = undefined;
	pendingSetup = undefined;
}

/** Publishes what is kept, oldest first; returns how many went out. */
export async function relayOnce(): Promise<number> {
	const r = relay;
	if (!r || r.running || !canKeep()) return 0;
	r.running = true;
	let sent = 0;
	try {
		for (;;) {
			const now = new Date();
			const docs = await DurableOutbox.find({ claimedUntil: { $lt: now } }).sort({ createdAt: 1 }).limit(BATCH).lean();
			if (docs.length === 0) break;
			let progressed = false;
			for (const doc of docs as any[]) {
				const claimed = await DurableOutbox.updateOne(
					{ _id: doc._id, claimedUntil: { $lt: new Date() } },
					{ $set: { claimedUntil: new Date(Date.now() + CLAIM_MS) }, $inc: { attempts: 1 } },
				);
				if (claimed.modifiedCount !== 1) continue;
				try {
					await r.publish(doc.channel, doc.message);
				} catch (err) {
					await DurableOutbox.updateOne({ _id: doc._id }, { $set: { claimedUntil: UNCLAIMED, lastError: String((err as Error)?.message ?? err).slice(0, 300) } });
					// NATS is still away: try again at the next tick.
					return sent;
				}
				await DurableOutbox.deleteOne({ _id: doc._id });
				sent++;
				progressed = true;
			}
			if (!progressed) break;
		}
		if (sent > 0) r.logger.info(`Published ${sent} durable message(s) kept while NATS was unreachable`);
		return sent;
	} catch (err) {
		r.logger.warn("The durable outbox relay failed; it will try again", err);
		return sent;
	} finally {
		r.running = false;
	}
}

/** Messages waiting in the outbox (the metrics endpoint reports it). */
export function pendingCount(): Promise<number> {
	return DurableOutbox.countDocuments({});
}
