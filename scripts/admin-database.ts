/**
 * The database an admin command (create-admin, and every later operator command) works on: MONGO_URL when
 * set, else the embedded database of DATA_DIR — the one a running `npm start` serves, or one started for
 * the command's duration — so that on the embedded default these commands need no extra setting.
 */
import { overrideSettings, settings } from "../config/env.js";
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
