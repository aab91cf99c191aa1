/**
 * Durable messages that could not reach NATS when they were published (NATS restarting or unreachable):
 * kept here until a relay of any node publishes them (services/shared/durable-outbox.ts). The message's
 * own id is the document id, so a message is kept once, and consumers, which deduplicate by that id,
 * apply it once even if two relays publish it.
 */
import { defineModel, defineSchema } from "./define.js";

export const DurableOutboxSchema = defineSchema({
	_id: { type: String, required: true },
	channel: { type: String, required: true },
	message: { type: Object, required: true },
	/** Request id of the publisher (log correlation). */
	requestId: { type: String, default: null },
	attempts: { type: Number, default: 0 },
	/** A relay holds the message until then; another may take it afterwards (a relay that died). The epoch: free. */
	claimedUntil: { type: Date, default: () => new Date(0) },
	lastError: { type: String, default: null },
});
// The relay's query: the messages no relay holds (an index on an empty collection most of the time, but a scan when NATS was away long).
DurableOutboxSchema.index({ claimedUntil: 1, createdAt: 1 });

export const DurableOutbox = defineModel("DurableOutbox", DurableOutboxSchema);
