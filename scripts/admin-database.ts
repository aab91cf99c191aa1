/**
 * The database an admin command (create-admin, and every later operator command) works on: MONGO_URL when
 * set, else the embedded database of DATA_DIR — the one a running `npm start` serves, or one started for
 * the command's duration — so that on the embedded default these commands need no extra setting; and the
 * one-off broker every such command runs its services on (runAdminCommand).
 */
import type { ServiceBroker } from "moleculer";
import { ConfigError, overrideSettings, settings, type Settings } from "../config/env.js";
import { createPlatformBroker } from "../services/platform.js";
import { startEmbeddedDatabase, type EmbeddedDatabase } from "./embedded-db.js";

export interface AdminDatabase {
	uri: string;
	/** Stops the embedded server if this command started it. */
	release(): Promise<void>;
}

export async function adminDatabase(): Promise<AdminDatabase> {
	const cfg = settings();
	if (cfg.mongoUrl) return { uri: cfg.mongoUrl, release: async () => undefined };
	if (cfg.nodeEnv === "production") throw new Error("MONGO_URL is not set: point it at the platform's database (required when NODE_ENV=production)");
	const db: EmbeddedDatabase = await startEmbeddedDatabase(cfg.dataDir);
	console.error(`Database: ${db.description}`);
	overrideSettings({ mongoUrl: db.uri });
	return { uri: db.uri, release: () => db.stop() };
}

/** Says why on stderr and exits 1 (bad arguments, no database). */
export function fail(message: string): never {
	console.error(message);
	process.exit(1);
}

/**
 * Runs an admin command on a one-off local broker of `services` over the admin database: it does not join the
 * cluster or serve anything (`settings` may switch off more), logs nothing unless LOG_LEVEL is set, and the
 * process exits 0, or 1 once `onError` has said why. The broker and the embedded database are stopped either way.
 */
export async function runAdminCommand(
	name: string,
	services: readonly string[],
	run: (broker: ServiceBroker) => Promise<void>,
	opts: { settings?: Partial<Settings>; onError: (err: unknown) => void },
): Promise<never> {
	let database: AdminDatabase;
	try {
		database = await adminDatabase();
	} catch (err) {
		if (err instanceof ConfigError) fail(err.message);
		fail(err instanceof Error ? err.message : String(err));
	}
	overrideSettings({ natsUrl: undefined, logLevel: process.env.LOG_LEVEL ? settings().logLevel : "none", ...opts.settings });
	let broker: ServiceBroker | undefined;
	let code = 0;
	try {
		broker = await createPlatformBroker([...services], { nodeID: `${name}-${process.pid}` });
		await broker.start();
		await run(broker);
	} catch (err) {
		opts.onError(err);
		code = 1;
	} finally {
		await broker?.stop().catch(() => undefined);
		await database.release().catch(err => console.error(`Stopping the embedded database failed: ${(err as Error)?.message ?? err}`));
	}
	process.exit(code);
}
