/**
 * The embedded default: with MONGO_URL unset, `npm start` runs its own MongoDB (mongodb-memory-server,
 * which downloads the mongod binary on first use) with its files under DATA_DIR/db, kept across
 * restarts. When that is impossible (no network for the download, unsupported OS) it fails fast with
 * what to do instead; it never falls back to a throwaway in-memory database.
 */
import { mkdir } from "node:fs/promises";
import { resolve } from "node:path";
import { MongoMemoryServer } from "mongodb-memory-server-core";

export const DEFAULT_EMBEDDED_MONGO_TIMEOUT_MS = 60_000;
const DATABASE_NAME = "learning";

export class EmbeddedMongoError extends Error {
	constructor(reason: string) {
		super(
			[
				`MONGO_URL is not set and the embedded MongoDB could not start: ${reason}`,
				"Point the platform at a MongoDB server instead, for example:",
				"  docker run -d --name lp-mongo -p 27017:27017 mongo:7",
				"  MONGO_URL=mongodb://127.0.0.1:27017/learning npm start",
				"or run the whole stack (its `mongo` service included) with `docker compose up`.",
			].join("\n"),
		);
		this.name = "EmbeddedMongoError";
	}
}

export interface EmbeddedMongo {
	uri: string;
	stop(): Promise<void>;
}

/** EMBEDDED_MONGO_TIMEOUT_MS bounds the first start (binary download included). */
export function embeddedMongoTimeoutMs(env: Record<string, string | undefined> = process.env): number {
	const raw = env.EMBEDDED_MONGO_TIMEOUT_MS?.trim();
	if (!raw) return DEFAULT_EMBEDDED_MONGO_TIMEOUT_MS;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 1) {
		throw new EmbeddedMongoError(`EMBEDDED_MONGO_TIMEOUT_MS must be a positive integer (milliseconds), got "${raw}"`);
	}
	return value;
}

function describe(err: unknown): string {
	const message = err instanceof Error ? err.message : String(err);
	// A DownloadError's message spans lines (URL, then details): keep it on one.
	return message.replace(/\s*\n\s*/g, " ").trim();
}

export async function startEmbeddedMongo(dataDir: string, timeoutMs = embeddedMongoTimeoutMs()): Promise<EmbeddedMongo> {
	const dbPath = resolve(dataDir, "db");
	await mkdir(dbPath, { recursive: true });
	const starting = MongoMemoryServer.create({ instance: { dbPath, storageEngine: "wiredTiger" } });
	let timer: NodeJS.Timeout | undefined;
	const timedOut = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new EmbeddedMongoError(`it did not start within ${timeoutMs} ms`)), timeoutMs);
	});
	let server: MongoMemoryServer;
	try {
		server = await Promise.race([starting, timedOut]);
	} catch (err) {
		// A start that finishes after we gave up must not leave a mongod behind.
		starting.then(late => late.stop({ doCleanup: false }), () => undefined);
		throw err instanceof EmbeddedMongoError ? err : new EmbeddedMongoError(describe(err));
	} finally {
		clearTimeout(timer);
	}
	return {
		uri: server.getUri(DATABASE_NAME),
		async stop() {
			// Keep the files: the data lives across restarts.
			await server.stop({ doCleanup: false });
		},
	};
}
