/**
 * This node's own gauges, beside moleculer's (requests, latencies and errors per action, channels):
 * - lp_eventloop_delay_seconds{quantile}: Node's event-loop delay since the previous scrape (p50, p99, max);
 * - lp_mongo_pool_*: the MongoDB driver's connection pool (open, in use, operations waiting for one) and
 *   whether this node's connection is up;
 * - whatever the services of this node add with `addCollector` (the realtime service: rooms and clients
 *   per room type).
 * Gauges are refreshed when the node is scraped, so they cost nothing between scrapes.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { ServiceBroker } from "moleculer";
import mongoose from "mongoose";

type Collector = (broker: ServiceBroker) => Promise<void> | void;
const collectors = new Set<Collector>();

/** A function run before each scrape of this node to set its gauges; returns its removal. */
export function addCollector(collector: Collector): () => void {
	collectors.add(collector);
	return () => collectors.delete(collector);
}

let loopDelay: ReturnType<typeof monitorEventLoopDelay> | undefined;
const pool = { open: 0, inUse: 0, waiting: 0 };
const watched = new WeakSet<object>();

function watchPool(): void {
	const client = (mongoose.connection as any).getClient?.();
	if (!client || watched.has(client)) return;
	watched.add(client);
	client.on("connectionCreated", () => pool.open++);
	client.on("connectionClosed", () => (pool.open = Math.max(0, pool.open - 1)));
	client.on("connectionCheckOutStarted", () => pool.waiting++);
	client.on("connectionCheckOutFailed", () => (pool.waiting = Math.max(0, pool.waiting - 1)));
	client.on("connectionCheckedOut", () => {
		pool.waiting = Math.max(0, pool.waiting - 1);
		pool.inUse++;
	});
	client.on("connectionCheckedIn", () => (pool.inUse = Math.max(0, pool.inUse - 1)));
	client.on("connectionPoolCleared", () => (pool.inUse = 0));
}

export function registerNodeMetrics(broker: ServiceBroker): void {
	const metrics = (broker as any).metrics;
	if (!broker.isMetricsEnabled()) return;
	metrics.register({ name: "lp.eventloop.delay.seconds", type: "gauge", labelNames: ["quantile"], description: "Event-loop delay since the previous scrape" });
	metrics.register({ name: "lp.mongo.connected", type: "gauge", description: "1 when this node's database connection is up" });
	metrics.register({ name: "lp.mongo.pool.open", type: "gauge", description: "Open connections of the MongoDB driver's pool" });
	metrics.register({ name: "lp.mongo.pool.in_use", type: "gauge", description: "Pool connections checked out by operations" });
	metrics.register({ name: "lp.mongo.pool.waiting", type: "gauge", description: "Operations waiting for a pool connection" });
	metrics.register({ name: "lp.realtime.rooms", type: "gauge", labelNames: ["room"], description: "Live rooms on this realtime node, by room type" });
	metrics.register({ name: "lp.realtime.clients", type: "gauge", labelNames: ["room"], description: "Clients connected to this realtime node, by room type" });
	loopDelay ??= monitorEventLoopDelay({ resolution: 10 });
	loopDelay.enable();
	watchPool();
	mongoose.connection.on("connected", watchPool);
}

/** Refreshes the gauges; called just before this node's metrics are rendered. */
export async function collectNodeMetrics(broker: ServiceBroker): Promise<void> {
	const metrics = (broker as any).metrics;
	if (!broker.isMetricsEnabled()) return;
	if (loopDelay) {
		metrics.set("lp.eventloop.delay.seconds", loopDelay.percentile(50) / 1e9, { quantile: "0.5" });
		metrics.set("lp.eventloop.delay.seconds", loopDelay.percentile(99) / 1e9, { quantile: "0.99" });
		metrics.set("lp.eventloop.delay.seconds", loopDelay.max / 1e9, { quantile: "1" });
		loopDelay.reset();
	}
	watchPool();
	const usesDb = broker.services.some((s: any) => s.adapter);
	if (usesDb) {
		metrics.set("lp.mongo.connected", mongoose.connection.readyState === 1 ? 1 : 0);
		metrics.set("lp.mongo.pool.open", pool.open);
		metrics.set("lp.mongo.pool.in_use", pool.inUse);
		metrics.set("lp.mongo.pool.waiting", pool.waiting);
	}
	for (const collector of collectors) {
		try {
			await collector(broker);
		} catch (err) {
			broker.logger.warn("A metrics collector failed", err);
		}
	}
}
