/**
 * Broker options, built from config/. One process with no transporter by default; NATS_URL switches
 * the transporter on so the same services run spread over several nodes.
 */
import type { BrokerOptions } from "moleculer";
import { settings } from "./config/env.js";
import { channelsMiddleware, NatsWatchMiddleware } from "./services/shared/durable.js";
import { PermissionMiddleware } from "./services/shared/permission.middleware.js";
import { DatabaseAvailabilityMiddleware } from "./services/ops/database-availability.js";
import { jsonLogFormatter } from "./services/ops/log-format.js";
import { InProcessPrometheusReporter } from "./services/ops/prometheus.js";
import { requestContextMiddleware } from "./services/ops/request-context.js";
import { markIdempotentActions, resilienceOptions } from "./services/ops/resilience.js";

export function brokerOptions(overrides: Partial<BrokerOptions> = {}): BrokerOptions {
	const cfg = settings();
	return {
		namespace: cfg.namespace,
		nodeID: cfg.nodeId,
		transporter: cfg.natsUrl ? { type: "NATS", options: { url: cfg.natsUrl } } : undefined,
		// LOG_FORMAT=json: one JSON object per line with the request id (services/ops/log-format.ts).
		logger:
			cfg.logLevel === "none"
				? false
				: { type: "Console", options: { level: cfg.logLevel, formatter: cfg.ops.logFormat === "json" ? jsonLogFormatter : "short", colors: cfg.ops.logFormat !== "json" } },
		// Timeouts, retries of the actions safe to run twice, circuit breaker, heartbeats: each value is
		// explained in services/ops/resilience.ts (README "Operations / Faults").
		...resilienceOptions(cfg.requestTimeoutMs),
		// Every action's params are checked by fastest-validator before the handler runs.
		validator: true,
		serializer: "JSON",
		// Collected on every node and served by the gateway at GET /metrics (services/ops/ops.service.ts).
		metrics: cfg.ops.metrics
			? {
					enabled: true,
					reporter: [new InProcessPrometheusReporter({}) as any],
					// Latency buckets (moleculer times requests in milliseconds) for an API whose interactive answers
					// take tens of ms and whose slow ones seconds, up to the 10 s request timeout.
					defaultBuckets: [5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000],
				}
			: { enabled: false },
		// Spans of every action, event and durable message, exported to a Zipkin-compatible collector
		// (Zipkin, Jaeger's Zipkin endpoint, Grafana Tempo, the OpenTelemetry collector's zipkin receiver).
		tracing: (cfg.ops.tracingExporter === "off"
				? { enabled: false }
				: {
						enabled: true,
						sampling: { rate: cfg.ops.tracingSampleRate },
						exporter:
							cfg.ops.tracingExporter === "zipkin"
								? { type: "Zipkin", options: { baseURL: cfg.ops.tracingZipkinUrl, interval: 2, payloadOptions: { debug: false, shared: false } } }
								: { type: "Console", options: { width: 100 } },
						// The request's user and school on the root spans: enough to find a school's slow calls.
						tags: { action: { meta: ["user.id", "user.schoolId"] } },
					}) as BrokerOptions["tracing"],
		registry: { strategy: "RoundRobin", preferLocal: true },
		// No bulkhead of our own; this only shapes the one @moleculer/channels' in-memory adapter (one process,
		// no NATS) puts before each consumer. With moleculer's default cap of 100 queued messages, the full
		// rooms benchmark logged ~200 QUEUE_FULL rejections of notifications.requested (durable messages lost
		// with a log line). In one process memory is the queue anyway: unbounded (0). With NATS, JetStream
		// holds what consumers have not taken yet.
		bulkhead: { enabled: false, concurrency: 10, maxQueueSize: 0 },
		middlewares: [
			channelsMiddleware(cfg.natsUrl),
			// Knows when NATS is away, so durable messages go to the outbox at once (services/shared/durable-outbox.ts).
			NatsWatchMiddleware,
			// Innermost: runs each handler in its request's scope (the request id in every log line).
			requestContextMiddleware(cfg.ops.slowActionMs),
			// The database away: 503 at once rather than a 500 or a wait (services/ops/database-availability.ts).
			DatabaseAvailabilityMiddleware,
			markIdempotentActions,
		],
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
