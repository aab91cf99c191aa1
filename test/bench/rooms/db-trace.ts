/**
 * BENCH_TRACE_DB=1: counts the database commands of each phase by shape (command, collection, filter keys)
 * with their mean time, from the driver's command monitoring. Round trips are what the rooms wait on, and a
 * shape's cost says whether an index answers it.
 */
import mongoose from "mongoose";
import { monitorNextConnection } from "../../../services/shared/mongo-connection.js";

export interface DbTrace {
	/** What was seen since the previous call, one line per shape; empty when tracing is off. */
	flush(): string;
}

/** Call before the broker connects (monitoring is a connect option); `attach` once it has. */
export function prepareDbTrace(on: boolean): { attach(): DbTrace } {
	monitorNextConnection(on);
	return {
		attach() {
			const seen = new Map<string, { n: number; ms: number }>();
			if (on) {
				const client: any = mongoose.connection.getClient();
				const shapes = new Map<number, string>();
				client.on("commandStarted", (e: any) => {
					const c = e.command;
					const filter = c.filter ?? c.q ?? c.deletes?.[0]?.q ?? c.updates?.[0]?.q;
					shapes.set(e.requestId, `${e.commandName} ${c[e.commandName]} ${filter ? Object.keys(filter).join("+") : ""}`);
				});
				client.on("commandSucceeded", (e: any) => {
					const key = shapes.get(e.requestId) ?? e.commandName;
					shapes.delete(e.requestId);
					const t = seen.get(key) ?? { n: 0, ms: 0 };
					t.n++;
					t.ms += e.duration;
					seen.set(key, t);
				});
			}
			return {
				flush() {
					const lines = [...seen].map(([shape, t]) => `${shape}: ${t.n} (mean ${(t.ms / t.n).toFixed(1)} ms)`);
					seen.clear();
					return lines.join("\n   ");
				},
			};
		},
	};
}
