/**
 * Serves the Colyseus monitor (@colyseus/monitor) under /monitor on the realtime server, behind the
 * platform-admin gate (monitor-gate.ts), when REALTIME_MONITOR is on (the default outside production).
 *
 * Colyseus 0.18 answers plain HTTP on its own server with its router first (matchmaking, health, `/`)
 * and hands anything else to the Express app of the `express` server option; without that option it
 * answers 404. So the gated monitor is mounted on that app: matchmaking never passes through it, and
 * with the monitor off no app exists and /monitor is a 404 like any unknown path.
 */
import type { ServerOptions } from "@colyseus/core";
import type { Logger, ServiceBroker } from "moleculer";
import { settings } from "../../config/env.js";
import { verifyActiveUser } from "./active-user.js";
import { gateMonitor, MONITOR_PATH } from "./monitor-gate.js";

export async function monitorOptions(broker: ServiceBroker, logger: Logger): Promise<Pick<ServerOptions, "express">> {
	const cfg = settings();
	if (!cfg.realtimeMonitor) return {};
	// Imported only when served: loading it adds inspection methods to every Room's prototype.
	const { monitor } = await import("@colyseus/monitor");
	const gated = gateMonitor(monitor({ prefix: MONITOR_PATH }), {
		verify: token => verifyActiveUser(broker, token, { fresh: true }),
		cookieMaxAgeSeconds: cfg.accessTokenTtlSeconds,
		logger,
	});
	return {
		express: app => {
			// The app only exists for the monitor; it need not announce itself on every answer.
			app.disable("x-powered-by");
			// At the path, not the root: Colyseus answers `/` itself only while no Express middleware matches `/`.
			app.use(MONITOR_PATH, gated);
		},
	};
}
