/**
 * Live rooms and connected clients of this realtime node, per room type, for the metrics endpoint
 * (services/ops/node-metrics.ts): read from the matchmaker's listings of this process when scraped.
 */
import { matchMaker } from "@colyseus/core";
import type { ServiceBroker } from "moleculer";

export async function collectRoomMetrics(broker: ServiceBroker, roomNames: readonly string[]): Promise<void> {
	const metrics = (broker as any).metrics;
	const listings: { name: string; clients: number }[] = await matchMaker.query({ processId: matchMaker.processId } as any);
	for (const name of roomNames) {
		const mine = listings.filter(l => l.name === name);
		metrics.set("lp.realtime.rooms", mine.length, { room: name });
		metrics.set("lp.realtime.clients", mine.reduce((n, l) => n + (l.clients ?? 0), 0), { room: name });
	}
}
