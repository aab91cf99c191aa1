/**
 * The embedded default database, for `npm start` and the admin commands when MONGO_URL is unset.
 *
 * - A real MongoDB through mongodb-memory-server where a binary can be had (MONGOMS_SYSTEM_BINARY, a
 *   cached download, or a download that succeeds), files under DATA_DIR/db.
 * - Otherwise (no internet, as on these machines) the server CI uses: mongo-java-server
 *   (scripts/mongo-wire), built once with Java and Maven, its data in an H2 file under DATA_DIR/mongo-wire.
 *
 * The engine chosen on the first start is written to DATA_DIR/embedded-db.json and kept: data never
 * silently moves between engines. While a platform runs, the same file holds the server's address, so an
 * admin command started beside it (`npm run create-admin`) uses that server instead of starting another.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { MongoClient } from "mongodb";

export const DEFAULT_EMBEDDED_MONGO_TIMEOUT_MS = 60_000;
const DATABASE_NAME = "learning";
const MONGO_WIRE_DIR = join(dirname(fileURLToPath(import.meta.url)), "mongo-wire");

export type Engine = "mongodb" | "mongo-wire";

export class EmbeddedDatabaseError extends Error {
	constructor(reason: string) {
		super(
			[
				`MONGO_URL is not set and the embedded database could not start: ${reason}`,
				"Point the platform at a MongoDB server instead, for example:",
				"  MONGO_URL=mongodb://127.0.0.1:27017/learning npm start",
				"or run the whole stack (its `mongo` service included) with `docker compose up`.",
			].join("\n"),
		);
		this.name = "EmbeddedDatabaseError";
	}
}

export interface EmbeddedDatabase {
	uri: string;
	engine: Engine;
	/** One line for the log: which server, where its data is, how to use a real MongoDB. */
	description: string;
	/** False when another process (a running `npm start`) owns the server and this one only uses it. */
	owned: boolean;
	stop(): Promise<void>;
}

interface StateFile {
	engine: Engine;
	/** Present while a process runs the server. */
	uri?: string;
	ownerPid?: number;
}

/** EMBEDDED_MONGO_TIMEOUT_MS bounds the first start of a MongoDB (binary download included). */
export function embeddedMongoTimeoutMs(env: Record<string, string | undefined> = process.env): number {
	const raw = env.EMBEDDED_MONGO_TIMEOUT_MS?.trim();
	if (!raw) return DEFAULT_EMBEDDED_MONGO_TIMEOUT_MS;
	const value = Number(raw);
	if (!Number.isInteger(value) || value < 1) {
		throw new EmbeddedDatabaseError(`EMBEDDED_MONGO_TIMEOUT_MS must be a positive integer (milliseconds), got "${raw}"`);
	}
	return value;
}

function oneLine(err: unknown): string {
	const message = err instanceof Error ? err.message : String(err);
	return message.replace(/\s*\n\s*/g, " ").trim();
}

async function readState(file: string): Promise<StateFile | undefined> {
	try {
		const parsed = JSON.parse(await readFile(file, "utf8"));
		return parsed && (parsed.engine === "mongodb" || parsed.engine === "mongo-wire") ? parsed : undefined;
	} catch {
		return undefined;
	}
}

async function writeState(file: string, state: StateFile): Promise<void> {
	const tmp = `${file}.${process.pid}.tmp`;
	await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`);
	await rename(tmp, file);
}

async function answers(uri: string, timeoutMs = 1_000): Promise<boolean> {
	const client = new MongoClient(uri, { serverSelectionTimeoutMS: timeoutMs, connectTimeoutMS: timeoutMs });
	try {
		await client.db("admin").command({ ping: 1 });
		return true;
	} catch {
		return false;
	} finally {
		await client.close().catch(() => undefined);
	}
}

async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>((ok, ko) => server.once("error", ko).listen(0, "127.0.0.1", ok));
	const { port } = server.address() as AddressInfo;
	await new Promise(ok => server.close(ok));
	return port;
}

/** A MongoDB from mongodb-memory-server, or undefined (with the reason) when no binary can be had. */
async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timedOut = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
	});
	try {
		return await Promise.race([promise, timedOut]);
	} finally {
		clearTimeout(timer);
	}
}

/** A MongoDB from mongodb-memory-server, or the reason none can be had. */
async function tryMongoMemoryServer(dataDir: string, timeoutMs: number): Promise<{ db: EmbeddedDatabase } | { reason: string }> {
	const { MongoBinary, MongoMemoryServer } = await import("mongodb-memory-server-core");
	// The binary first (MONGOMS_SYSTEM_BINARY, the download cache, or a download): asking for it directly
	// fails with one error, where a failed MongoMemoryServer.create also prints a stack trace of its own.
	try {
		await withTimeout(MongoBinary.getPath(), timeoutMs, "getting a MongoDB binary");
	} catch (err) {
		return { reason: oneLine(err) };
	}
	const dbPath = resolve(dataDir, "db");
	await mkdir(dbPath, { recursive: true });
	const starting = MongoMemoryServer.create({ instance: { dbPath, storageEngine: "wiredTiger" } });
	try {
		const server = await withTimeout(starting, timeoutMs, "starting MongoDB");
		return {
			db: {
				uri: server.getUri(DATABASE_NAME),
				engine: "mongodb",
				description: `embedded MongoDB (mongodb-memory-server), data in ${dbPath}`,
				owned: true,
				// Keep the files: the data lives across restarts.
				stop: () => server.stop({ doCleanup: false }).then(() => undefined),
			},
		};
	} catch (err) {
		// A start that finishes after we gave up must not leave a mongod behind.
		starting.then(late => late.stop({ doCleanup: false }), () => undefined);
		return { reason: oneLine(err) };
	}
}

/** Builds the mongo-java-server jars once (scripts/mongo-wire/install.sh) and returns their folder. */
function installMongoWire(): string {
	const run = spawnSync("bash", [join(MONGO_WIRE_DIR, "install.sh")], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
	if (run.error) throw new EmbeddedDatabaseError(`bash is needed to build the local database server (${run.error.message})`);
	if (run.status !== 0) {
		const why = run.stderr.trim().split("\n").slice(-3).join(" ");
		throw new EmbeddedDatabaseError(`the local database server (mongo-java-server, needs Java 17+ and Maven) could not be built: ${why}`);
	}
	return run.stdout.trim().split("\n").pop()!;
}

async function startMongoWire(dataDir: string, timeoutMs: number): Promise<EmbeddedDatabase> {
	const dir = installMongoWire();
	const folder = resolve(dataDir, "mongo-wire");
	await mkdir(folder, { recursive: true });
	const file = join(folder, "db.mv");
	const port = await freePort();
	// stdin stays a pipe: the server stops when this process dies, however it dies (--exit-with-stdin).
	// A process group of its own: Ctrl-C in the terminal reaches this process, which stops the services
	// first and the database last, instead of the database going away under them.
	const child: ChildProcess = spawn(
		"java",
		[`-Xmx${process.env.MONGO_WIRE_XMX ?? "1g"}`, "-cp", `${dir}/lib/*:${dir}/classes`, "MongoWire", "--host", "127.0.0.1", "--port", String(port), "--file", file, "--exit-with-stdin"],
		{ stdio: ["pipe", "pipe", "pipe"], detached: true },
	);
	let output = "";
	child.stdout!.on("data", chunk => (output += chunk));
	child.stderr!.on("data", chunk => (output += chunk));
	const exited = new Promise<number | null>(ok => child.once("exit", code => ok(code)));
	const spawnFailed = new Promise<Error>(ok => child.once("error", ok));
	const uri = `mongodb://127.0.0.1:${port}/${DATABASE_NAME}`;
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const failure = await Promise.race([
			spawnFailed.then(err => `java could not run (${err.message}); install Java 17+`),
			exited.then(code => `the server exited with code ${code}: ${output.trim().split("\n").slice(-3).join(" ")}`),
			answers(uri, 500).then(ok => (ok ? "" : undefined)),
		]);
		if (failure === "") break;
		if (failure) throw new EmbeddedDatabaseError(failure);
		if (Date.now() > deadline) {
			child.kill("SIGKILL");
			throw new EmbeddedDatabaseError(`the local database server did not answer within ${timeoutMs} ms`);
		}
		await new Promise(ok => setTimeout(ok, 200));
	}
	return {
		uri,
		engine: "mongo-wire",
		description: `embedded mongo-java-server (a MongoDB-wire test server: no replication, no transactions), data in ${file}`,
		owned: true,
		async stop() {
			if (child.exitCode !== null) return;
			// SIGTERM runs the server's shutdown hook, which closes (and compacts) the H2 file.
			child.kill("SIGTERM");
			const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
			await exited;
			clearTimeout(timer);
		},
	};
}

/**
 * The embedded database for DATA_DIR: the one a running platform already serves, else a new one of the
 * engine this data folder uses (chosen on its first start).
 */
export async function startEmbeddedDatabase(dataDir: string, timeoutMs = embeddedMongoTimeoutMs()): Promise<EmbeddedDatabase> {
	await mkdir(dataDir, { recursive: true });
	const stateFile = resolve(dataDir, "embedded-db.json");
	const state = await readState(stateFile);

	if (state?.uri && (await answers(state.uri))) {
		return {
			uri: state.uri,
			engine: state.engine,
			description: `the embedded ${state.engine === "mongodb" ? "MongoDB" : "mongo-java-server"} of the platform running from ${resolve(dataDir)} (pid ${state.ownerPid})`,
			owned: false,
			stop: async () => undefined,
		};
	}

	let engine = state?.engine;
	// A data folder from before this file existed: its files say which engine wrote them.
	if (!engine && existsSync(resolve(dataDir, "mongo-wire", "db.mv"))) engine = "mongo-wire";
	if (!engine && existsSync(resolve(dataDir, "db", "WiredTiger"))) engine = "mongodb";

	let db: EmbeddedDatabase | undefined;
	let mongoFailure: string | undefined;
	if (engine !== "mongo-wire") {
		const tried = await tryMongoMemoryServer(dataDir, timeoutMs);
		if ("db" in tried) db = tried.db;
		else if (engine === "mongodb") throw new EmbeddedDatabaseError(`this data folder holds a MongoDB database, and MongoDB could not start: ${tried.reason}`);
		else mongoFailure = tried.reason;
	}
	db ??= await startMongoWire(dataDir, timeoutMs);
	if (mongoFailure) db.description += ` (no MongoDB binary could be had: ${mongoFailure.slice(0, 160)})`;

	await writeState(stateFile, { engine: db.engine, uri: db.uri, ownerPid: process.pid });
	const stopServer = db.stop;
	db.stop = async () => {
		await stopServer();
		await writeState(stateFile, { engine: db!.engine });
	};
	return db;
}
