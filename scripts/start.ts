/**
 * `npm start`: runs the services SERVICES names (all by default) in this process. Without MONGO_URL,
 * a node that runs a database service starts the embedded database first (scripts/embedded-db.ts). In
 * development without JWT_SECRET, the secret is generated once and kept in DATA_DIR, so sessions survive
 * a restart. A bad setting stops the process before anything starts, with a message naming the variable.
 */
import type { AddressInfo } from "node:net";
import type { ServiceBroker, ServiceSchema } from "moleculer";
import { ConfigError, overrideSettings, settings, type Settings } from "../config/env.js";
import { SERVICE_LOADERS, resolveServiceNames } from "../services/index.js";
import { createPlatformBroker } from "../services/platform.js";
import { developmentSecret } from "./dev-secret.js";
import { EmbeddedDatabaseError, startEmbeddedDatabase, type EmbeddedDatabase } from "./embedded-db.js";
import { ensureWebClient } from "./web-client.js";

/** A stop that hangs (a stuck connection) must not keep a terminated process alive. */
const SHUTDOWN_TIMEOUT_MS = 15_000;

function fail(message: string): never {
	console.error(message);
	process.exit(1);
}

/** moleculer-db services carry an `adapter`, possibly through a mixin. */
function usesDatabase(schema: Partial<ServiceSchema>): boolean {
	return "adapter" in schema || (schema.mixins ?? []).some(mixin => usesDatabase(mixin as Partial<ServiceSchema>));
}

function loadConfiguration(): { cfg: Settings; services: string[] } {
	try {
		const cfg = settings();
		return { cfg, services: resolveServiceNames(cfg.services) };
	} catch (err) {
		if (err instanceof ConfigError || (err instanceof Error && err.message.startsWith("Invalid configuration"))) fail(err.message);
		throw err;
	}
}

function announce(broker: ServiceBroker): void {
	const api = broker.getLocalService("api") as any;
	if (api?.server) {
		const port = (api.server.address() as AddressInfo).port;
		console.log(`API listening on http://localhost:${port}/api (docs at http://localhost:${port}/api/docs)`);
		console.log(`Web client at http://localhost:${port}/`);
	}
	const realtime = broker.getLocalService("realtime") as any;
	if (realtime?.port) console.log(`Realtime (Colyseus) listening on ws://localhost:${realtime.port}`);
}

async function main(): Promise<void> {
	const { cfg, services } = loadConfiguration();

	if (cfg.nodeEnv === "development" && !process.env.JWT_SECRET?.trim()) {
		overrideSettings({ jwtSecret: await developmentSecret(cfg.dataDir) });
	}

	// The gateway serves the browser client: build it first when its sources changed (never in production,
	// whose image carries a build). A failed build leaves the API up and says why.
	if (services.includes("api") && cfg.nodeEnv !== "production") {
		await ensureWebClient().catch(err => console.error(`Web client: build failed, the API still starts: ${err instanceof Error ? err.message : err}`));
	}

	let mongo: EmbeddedDatabase | undefined;
	if (!cfg.mongoUrl) {
		const schemas = await Promise.all(services.map(name => SERVICE_LOADERS[name]()));
		if (schemas.some(usesDatabase)) {
			if (cfg.nodeEnv === "production") fail("Invalid configuration: MONGO_URL is required when NODE_ENV=production (the embedded database is for development)");
			try {
				mongo = await startEmbeddedDatabase(cfg.dataDir);
			} catch (err) {
				if (err instanceof EmbeddedDatabaseError) fail(err.message);
				throw err;
			}
			console.log(`Database: ${mongo.description}. For a real MongoDB, set MONGO_URL=mongodb://host:27017/learning`);
			overrideSettings({ mongoUrl: mongo.uri });
		}
	}

	// The broker's own signal handlers would exit before the embedded MongoDB stops.
	const broker = await createPlatformBroker(services, { skipProcessEventRegistration: true });

	let stopping = false;
	const shutdown = async (signal: string) => {
		if (stopping) return;
		stopping = true;
		console.log(`${signal} received, stopping`);
		setTimeout(() => fail(`Shutdown did not finish within ${SHUTDOWN_TIMEOUT_MS} ms`), SHUTDOWN_TIMEOUT_MS).unref();
		let code = 0;
		try {
			await broker.stop();
		} catch (err) {
			console.error("Stopping the services failed:", err);
			code = 1;
		}
		try {
			await mongo?.stop();
		} catch (err) {
			console.error("Stopping the embedded database failed:", err instanceof Error ? err.message : err);
			code = 1;
		}
		process.exit(code);
	};
	process.on("SIGTERM", () => void shutdown("SIGTERM"));
	process.on("SIGINT", () => void shutdown("SIGINT"));

	try {
		await broker.start();
	} catch (err) {
		console.error("The platform failed to start:", err instanceof Error ? err.message : err);
		await broker.stop().catch(() => undefined);
		await mongo?.stop().catch(() => undefined);
		process.exit(1);
	}
	announce(broker);
}

main().catch(err => {
	console.error("Unexpected failure while starting:", err);
	process.exit(1);
});
