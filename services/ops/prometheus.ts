/**
 * Prometheus text for the metrics endpoint. Each node renders its own registry with moleculer's own
 * Prometheus reporter (its formatting, no HTTP server of its own: the admin-only endpoint of the gateway
 * serves it), and the scraping node merges the nodes' texts into one exposition, one family per metric,
 * every sample labelled with its nodeID.
 */
import { MetricReporters, type ServiceBroker } from "moleculer";

const PrometheusReporter = (MetricReporters as any).Prometheus as new (opts: Record<string, unknown>) => any;
const BaseReporter = (MetricReporters as any).Base as { prototype: { init(registry: unknown): void } };

/** moleculer's Prometheus reporter without its listening socket. */
export class InProcessPrometheusReporter extends PrometheusReporter {
	init(this: any, registry: any) {
		BaseReporter.prototype.init.call(this, registry);
		this.defaultLabels = { namespace: registry.broker.namespace, nodeID: registry.broker.nodeID };
	}
	stop() {
		return Promise.resolve();
	}
}

/** This node's metrics as Prometheus text (empty when metrics are off). */
export function renderNodeMetrics(broker: ServiceBroker): string {
	const metrics = (broker as any).metrics;
	const reporter = metrics?.reporter?.find?.((r: unknown) => r instanceof InProcessPrometheusReporter);
	return reporter ? (reporter.generatePrometheusResponse() as string) : "";
}

interface Family {
	help?: string;
	type?: string;
	samples: string[];
}

/** Merges several expositions: one HELP and TYPE per family, samples appended in order. */
export function mergeExpositions(texts: string[]): string {
	const families = new Map<string, Family>();
	const familyOf = (name: string) => {
		let f = families.get(name);
		if (!f) families.set(name, (f = { samples: [] }));
		return f;
	};
	for (const text of texts) {
		let current = "";
		for (const line of text.split("\n")) {
			if (line.trim() === "") continue;
			const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
			if (meta) {
				current = meta[2];
				const f = familyOf(current);
				if (meta[1] === "HELP") f.help ??= meta[3];
				else f.type ??= meta[3];
				continue;
			}
			if (line.startsWith("#")) continue;
			const name = /^[A-Za-z_:][A-Za-z0-9_:]*/.exec(line)?.[0];
			if (!name) continue;
			// Histogram and summary samples (_bucket, _sum, _count) belong to the family declared before them.
			familyOf(current && (name === current || name.startsWith(`${current}_`)) ? current : name).samples.push(line);
		}
	}
	const out: string[] = [];
	for (const [name, f] of families) {
		if (f.samples.length === 0) continue;
		if (f.help !== undefined) out.push(`# HELP ${name} ${f.help}`);
		if (f.type !== undefined) out.push(`# TYPE ${name} ${f.type}`);
		out.push(...f.samples);
	}
	return out.join("\n") + "\n";
}

/** Escapes a label value for the text format. */
export function labelValue(value: unknown): string {
	return String(value).replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** One gauge family as text (for the cluster-wide figures the scraping node adds itself). */
export function gaugeFamily(name: string, help: string, samples: { labels: Record<string, unknown>; value: number }[]): string {
	if (samples.length === 0) return "";
	const lines = [`# HELP ${name} ${help}`, `# TYPE ${name} gauge`];
	for (const s of samples) {
		const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${labelValue(v)}"`).join(",");
		lines.push(`${name}${labels ? `{${labels}}` : ""} ${Number.isFinite(s.value) ? s.value : "NaN"}`);
	}
	return lines.join("\n") + "\n";
}
