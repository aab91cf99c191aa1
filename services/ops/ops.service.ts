/**
 * Operations, on every node (services/platform.ts adds it whatever SERVICES says):
 * - `nodeMetrics`: this node's metrics in Prometheus text (moleculer's request counts, latencies and
 *   errors per action, channels; event-loop delay, database pool, live rooms: node-metrics.ts);
 * - `scrape`: the whole cluster's, merged into one exposition (each sample labelled with its nodeID),
 *   plus what only the cluster knows: the durable channels' backlog in JetStream, the durable outbox,
 *   which nodes answered. The gateway serves it at `GET /metrics` to platform admins and to a scraper
 *   holding METRICS_TOKEN (services/gateway/ops-routes.ts).
 */
import type { ServiceBroker } from "moleculer";
import mongoose from "mongoose";
import type { Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { pendingCount } from "../shared/durable-outbox.js";
import { collectNodeMetrics, registerNodeMetrics } from "./node-metrics.js";
import { gaugeFamily, mergeExpositions, renderNodeMetrics } from "./prometheus.js";

const NODE_TIMEOUT_MS = 3_000;

interface Backlog {
	stream: string;
	consumer: string;
	pending: number;
	ackPending: number;
	redelivered: number;
}

/** Per consumer group of this namespace's durable channels: messages not yet delivered, and delivered but not acknowledged. */
async function channelBacklog(broker: ServiceBroker): Promise<Backlog[] | null> {
	const manager = (broker as any).channelAdapter?.manager;
	if (!manager) return null;
	const prefix = `${broker.namespace}_`;
	const rows: Backlog[] = [];
	const streams = await manager.streams.list().next();
	for (const stream of streams) {
		const name: string = stream.config.name;
		if (broker.namespace && !name.startsWith(prefix)) continue;
		const consumers = await manager.consumers.list(name).next();
		for (const c of consumers) {
			rows.push({ stream: name, consumer: c.name, pending: c.num_pending ?? 0, ackPending: c.num_ack_pending ?? 0, redelivered: c.num_redelivered ?? 0 });
		}
		if (consumers.length === 0) rows.push({ stream: name, consumer: "", pending: stream.state?.messages ?? 0, ackPending: 0, redelivered: 0 });
	}
	return rows;
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
	return Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms).unref())]);
}

const OpsService: ServiceDef = {
	name: "ops",

	actions: {
		nodeMetrics: {
			visibility: "public",
			async handler(this: any) {
				await collectNodeMetrics(this.broker);
				return { nodeID: this.broker.nodeID, text: renderNodeMetrics(this.broker) };
			},
		},

		scrape: {
			params: { $$strict: "remove", node: { type: "string", min: 1, max: 200, optional: true } },
			async handler(this: any, ctx: Ctx<{ node?: string }>) {
				const nodes = (this.broker.registry.getNodeList({ onlyAvailable: true, withServices: true }) as any[])
					.filter(n => (n.services ?? []).some((s: any) => s.name === "ops"))
					.map(n => String(n.id))
					.filter(id => !ctx.params.node || id === ctx.params.node);
				const results = await Promise.all(
					nodes.map(nodeID =>
						withTimeout(ctx.call("ops.nodeMetrics", {}, { nodeID, timeout: NODE_TIMEOUT_MS, retries: 0 }) as Promise<{ text: string }>, NODE_TIMEOUT_MS + 500).then(
							r => ({ nodeID, ok: true, text: r.text }),
							() => ({ nodeID, ok: false, text: "" }),
						),
					),
				);
				const parts = results.map(r => r.text);
				parts.push(gaugeFamily("lp_scrape_node_up", "1 when the node answered this scrape", results.map(r => ({ labels: { nodeID: r.nodeID }, value: r.ok ? 1 : 0 }))));
				if (!ctx.params.node) parts.push(await this.clusterMetrics());
				return mergeExpositions(parts);
			},
		},
	},

	methods: {
		/** Figures of the cluster rather than of a node: reported once, by the node that serves the scrape. */
		async clusterMetrics(this: any): Promise<string> {
			const parts: string[] = [];
			try {
				const backlog = await withTimeout(channelBacklog(this.broker), NODE_TIMEOUT_MS);
				if (backlog) {
					parts.push(gaugeFamily("lp_channel_backlog_messages", "Durable messages of a channel not yet delivered to the consumer group", backlog.map(b => ({ labels: { stream: b.stream, group: b.consumer }, value: b.pending }))));
					parts.push(gaugeFamily("lp_channel_unacked_messages", "Durable messages delivered to the consumer group and not yet acknowledged", backlog.map(b => ({ labels: { stream: b.stream, group: b.consumer }, value: b.ackPending }))));
					parts.push(gaugeFamily("lp_channel_redelivered_messages", "Durable messages delivered more than once (a consumer failed or died)", backlog.map(b => ({ labels: { stream: b.stream, group: b.consumer }, value: b.redelivered }))));
				}
			} catch (err) {
				this.logger.warn("Reading the durable channels' backlog failed", err);
				parts.push(gaugeFamily("lp_channel_backlog_error", "1 when JetStream did not answer the backlog query", [{ labels: {}, value: 1 }]));
			}
			if (mongoose.connection.readyState === 1) {
				try {
					parts.push(gaugeFamily("lp_durable_outbox_messages", "Durable messages kept in the database until NATS takes them", [{ labels: {}, value: await withTimeout(pendingCount(), NODE_TIMEOUT_MS) }]));
				} catch {
					/* the database is away: lp_mongo_connected says so */
				}
			}
			return parts.join("");
		},
	},

	created(this: any) {
		registerNodeMetrics(this.broker);
	},
};

export default OpsService;
