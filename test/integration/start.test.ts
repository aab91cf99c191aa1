/**
 * `npm start` as an operator runs it: a real child process, its exit code and its output.
 */
import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect } from "chai";
import { MongoClient } from "mongodb";
import { requireEnv, waitForReady } from "../support/platform.js";

interface Run {
	child: ReturnType<typeof spawn>;
	output: () => string;
	exited: Promise<number | null>;
}

function start(env: Record<string, string | undefined>): Run {
	const base = { ...process.env };
	// The child decides for itself; nothing from the test runner's own setup leaks in.
	for (const name of ["MONGO_URL", "NATS_URL", "SERVICES", "PORT", "REALTIME_PORT", "DATA_DIR", "LOG_LEVEL", "SMTP_URL"]) delete base[name];
	// What `npm start` execs. Its own process group, so a failed test can kill the whole tree.
	const child = spawn(join("node_modules", ".bin", "node"), ["--import", "tsx", "scripts/start.ts"], {
		env: { ...base, NODE_ENV: "test", LOG_LEVEL: "warn", ...env },
		stdio: ["ignore", "pipe", "pipe"],
		detached: true,
	});
	let output = "";
	child.stdout!.on("data", chunk => (output += chunk));
	child.stderr!.on("data", chunk => (output += chunk));
	const exited = new Promise<number | null>(resolve => child.once("exit", code => resolve(code)));
	return { child, output: () => output, exited };
}

async function within<T>(promise: Promise<T>, ms: number, what: string, output: () => string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const timeout = new Promise<never>((_, reject) => {
		timer = setTimeout(() => reject(new Error(`${what} took over ${ms} ms; output:\n${output()}`)), ms);
	});
	try {
		return await Promise.race([promise, timeout]);
	} finally {
		clearTimeout(timer);
	}
}

async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>(resolve => server.listen(0, "127.0.0.1", resolve));
	const { port } = server.address() as AddressInfo;
	await new Promise(resolve => server.close(resolve));
	return port;
}

describe("npm start (scripts/start.ts)", function () {
	this.timeout(60_000);
	const running: Run[] = [];
	let dataDir: string;

	beforeEach(async () => {
		dataDir = await mkdtemp(join(tmpdir(), "lp-start-"));
	});
	afterEach(async () => {
		for (const run of running.splice(0)) {
			try {
				process.kill(-run.child.pid!, "SIGKILL");
			} catch {
				/* the group is already gone */
			}
		}
		await rm(dataDir, { recursive: true, force: true });
	});

	it("serves the API until SIGTERM, then stops cleanly with exit code 0", async () => {
		const mongoUrl = new URL(requireEnv("MONGO_URL"));
		mongoUrl.pathname = `/lp_start_${process.pid}_${Date.now().toString(36)}`;
		const [port, realtimePort] = [await freePort(), await freePort()];
		const run = start({ MONGO_URL: mongoUrl.toString(), PORT: String(port), REALTIME_PORT: String(realtimePort), DATA_DIR: dataDir });
		running.push(run);
		try {
			await within(Promise.race([waitForReady(`http://127.0.0.1:${port}`, 45_000), run.exited.then(code => {
				throw new Error(`exited early with ${code}:\n${run.output()}`);
			})]), 50_000, "readiness", run.output);
			expect(run.output()).to.include(`http://localhost:${port}/api`);
			expect(run.output()).to.include(String(realtimePort));

			run.child.kill("SIGTERM");
			expect(await within(run.exited, 20_000, "shutdown", run.output), run.output()).to.equal(0);
			const refused = await fetch(`http://127.0.0.1:${port}/health/live`).then(() => false, () => true);
			expect(refused, "the API port is closed after shutdown").to.equal(true);
		} finally {
			const client = new MongoClient(mongoUrl.toString());
			await client.db().dropDatabase().catch(() => undefined);
			await client.close();
		}
	});

	it("refuses a bad setting with exit code 1 and a message naming the variable", async () => {
		const run = start({ PORT: "abc", MONGO_URL: requireEnv("MONGO_URL") });
		running.push(run);
		expect(await within(run.exited, 30_000, "exit", run.output)).to.equal(1);
		expect(run.output()).to.match(/PORT must be an integer, got "abc"/);
		expect(run.output()).to.not.match(/listening/i);
	});

	/** Neither a MongoDB binary (the download goes nowhere) nor the local server (its build folder cannot be made). */
	const noDatabaseAtAll = () => ({
		MONGOMS_DOWNLOAD_DIR: join(dataDir, "binaries"),
		MONGOMS_DOWNLOAD_MIRROR: "http://127.0.0.1:9",
		LP_TOOLS_DIR: "/dev/null/tools",
	});

	it("exits 1 with a short message saying how to set MONGO_URL when no embedded database can start", async () => {
		const run = start({ SERVICES: "api,notifications", DATA_DIR: dataDir, PORT: "0", REALTIME_PORT: "0", EMBEDDED_MONGO_TIMEOUT_MS: "20000", ...noDatabaseAtAll() });
		running.push(run);
		expect(await within(run.exited, 40_000, "exit", run.output), run.output()).to.equal(1);
		expect(run.output()).to.include("MONGO_URL is not set and the embedded database could not start");
		expect(run.output()).to.include("could not be built");
		expect(run.output()).to.match(/MONGO_URL=mongodb:\/\//);
		expect(run.output(), "no stack trace").to.not.match(/^\s+at .+:\d+:\d+\)?$/m);
	});

	it("gives up on an embedded database that does not answer within EMBEDDED_MONGO_TIMEOUT_MS", async () => {
		const run = start({ SERVICES: "api,notifications", DATA_DIR: dataDir, PORT: "0", REALTIME_PORT: "0", MONGOMS_DOWNLOAD_DIR: join(dataDir, "binaries"), EMBEDDED_MONGO_TIMEOUT_MS: "1" });
		running.push(run);
		expect(await within(run.exited, 30_000, "exit", run.output), run.output()).to.equal(1);
		expect(run.output()).to.include("within 1 ms");
		expect(run.output()).to.match(/MONGO_URL=mongodb:\/\//);
	});

	it("refuses to start in production without MONGO_URL (the embedded database is for development)", async () => {
		const run = start({
			NODE_ENV: "production",
			JWT_SECRET: "a-production-secret-of-at-least-32-chars",
			DATA_DIR: dataDir,
			PORT: "0",
			REALTIME_PORT: "0",
		});
		running.push(run);
		expect(await within(run.exited, 30_000, "exit", run.output), run.output()).to.equal(1);
		expect(run.output()).to.include("MONGO_URL is required when NODE_ENV=production");
	});
});
