/**
 * Broker options, built from config/. One process with no transporter by default; NATS_URL switches
 * the transporter on so the same services run spread over several nodes.
 */
import type { BrokerOptions } from "moleculer";
import { settings } from "./config/env.js";
import { channelsMiddleware } from "./services/shared/durable.js";
import { PermissionMiddleware } from "./services/shared/permission.middleware.js";

export function brokerOptions(overrides: Partial<BrokerOptions> = {}): BrokerOptions {
	const cfg = settings();
	return {
		namespace: cfg.namespace,
		nodeID: cfg.nodeId,
		transporter: cfg.natsUrl ? { type: "NATS", options: { url: cfg.natsUrl } } : undefined,
		logger: cfg.logLevel === "none" ? false : { type: "Console", options: { level: cfg.logLevel, formatter: "short" } },
		requestTimeout: cfg.requestTimeoutMs,
		retryPolicy: { enabled: false },
		// Every action's params are checked by fastest-validator before the handler runs.
		validator: true,
		serializer: "JSON",
		metrics: { enabled: false },
		tracing: { enabled: false },
		registry: { strategy: "RoundRobin", preferLocal: true },
		// No bulkhead of our own; this only shapes the one @moleculer/channels' in-memory adapter (one process,
		// no NATS) puts before each consumer. With moleculer's default cap of 100 queued messages, the full
		// rooms benchmark logged ~200 QUEUE_FULL rejections of notifications.requested (durable messages lost
		// with a log line). In one process memory is the queue anyway: unbounded (0). With NATS, JetStream
		// holds what consumers have not taken yet.
		bulkhead: { enabled: false, concurrency: 10, maxQueueSize: 0 },
		middlewares: [channelsMiddleware(cfg.natsUrl)],
		...overrides,
		// Added after moleculer's internal middlewares so it wraps them all: the permission check runs
		// before validation, and a caller without the right gets 403, not a hint at the params' rules.
		created(broker) {
			broker.middlewares.add(PermissionMiddleware);
			overrides.created?.(broker);
		},
	};
}

export default brokerOptions;
