/**
 * `first run`: what the README promises a new user, done as they would do it. A copy of this checkout
 * (the files git knows, as a clean clone has them) gets `npm ci`, then `npm start` with none of the test
 * settings (no MONGO_URL, JWT_SECRET, NODE_ENV, NATS_URL, REDIS_URL): the platform must come up on its
 * embedded database, `npm run create-admin` must reach that database beside it, the admin must log in,
 * and a SIGTERM to npm's own process, or a Ctrl-C, must stop everything it started. A second start finds
 * the data and the generated secret again.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { expect } from "chai";

const REPO = join(import.meta.dirname, "..", "..");
/** Settings a user's shell would not have: everything the test runner itself was given. */
const RUNNER_ONLY = ["MONGO_URL", "NATS_URL", "REDIS_URL", "JWT_SECRET", "NODE_ENV", "LOG_LEVEL", "SERVICES", "DATA_DIR", "PORT", "REALTIME_PORT", "SMTP_URL", "NAMESPACE"];

async function freePort(): Promise<number> {
	const server = createServer();
	await new Promise<void>(ok => server.listen(0, "127.0.0.1", ok));
	const { port } = server.address() as AddressInfo;
	await new Promise(ok => server.close(ok));
	return port;
}

function userEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
	const env = { ...process.env };
	for (const name of RUNNER_ONLY) delete env[name];
	for (const name of Object.keys(env)) if (name.startsWith("npm_")) delete env[name];
	return { ...env, ...extra };
}

interface Started {
	child: ChildProcess;
	output: () => string;
	exited: Promise<number | null>;
}

function npm(args: string[], cwd: string, env: NodeJS.ProcessEnv): Started {
	// Its own process group, as a terminal gives it: Ctrl-C is a SIGINT to the whole group.
	const child = spawn("npm", args, { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
	let output = "";
	child.stdout!.on("data", chunk => (output += chunk));
	child.stderr!.on("data", chunk => (output += chunk));
	const exited = new Promise<number | null>(ok => child.once("exit", code => ok(code)));
	return { child, output: () => output, exited };
}

async function within<T>(promise: Promise<T>, ms: number, what: string, output: () => string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const late = new Promise<never>((_, ko) => (timer = setTimeout(() => ko(new Error(`${what} took over ${ms} ms; output:\n${output()}`)), ms)));
	try {
		return await Promise.race([promise, late]);
	} finally {
		clearTimeout(timer);
	}
}

async function ready(base: string, run: Started, ms: number): Promise<void> {
	const deadline = Date.now() + ms;
	for (;;) {
		if (run.child.exitCode !== null) throw new Error(`npm start exited with ${run.child.exitCode}:\n${run.output()}`);
		const res = await fetch(`${base}/health/ready`).catch(() => undefined);
		if (res?.status === 200) return;
		if (Date.now() > deadline) throw new Error(`not ready after ${ms} ms:\n${run.output()}`);
		await new Promise(ok => setTimeout(ok, 250));
	}
}

/** Processes whose command line mentions the copy: npm, node, the database server. */
function processesOf(dir: string): string[] {
	const out = execFileSync("ps", ["-eo", "pid,args"], { encoding: "utf8" });
	return out.split("\n").filter(line => line.includes(dir) && !line.includes(" ps -eo"));
}

async function gone(dir: string, ms: number): Promise<string[]> {
	const deadline = Date.now() + ms;
	let left = processesOf(dir);
	while (left.length > 0 && Date.now() < deadline) {
		await new Promise(ok => setTimeout(ok, 200));
		left = processesOf(dir);
	}
	return left;
}

async function login(base: string, email: string, password: string) {
	const res = await fetch(`${base}/api/auth/login`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ email, password }) });
	return { status: res.status, body: (await res.json()) as any };
}

describe("first run", function () {
	this.timeout(300_000);
	let dir: string;
	let env: NodeJS.ProcessEnv;
	let base: string;
	const runs: Started[] = [];

	before(function () {
		dir = mkdtempSync(join(tmpdir(), "lp-first-run-"));
		// The files a clean clone has (tracked, plus new ones not ignored), copied as they are now.
		const files = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: REPO, encoding: "utf8" }).split("\0").filter(Boolean);
		for (const file of files) {
			mkdirSync(dirname(join(dir, file)), { recursive: true });
			try {
				cpSync(join(REPO, file), join(dir, file));
			} catch (err: any) {
				if (err.code !== "ENOENT") throw err; // deleted in the work tree, not yet in the index
			}
		}
	});

	after(function () {
		for (const run of runs) {
			try {
				process.kill(-run.child.pid!, "SIGKILL");
			} catch {
				/* already gone */
			}
		}
		for (const line of processesOf(dir)) {
			try {
				process.kill(Number(line.trim().split(/\s+/)[0]), "SIGKILL");
			} catch {
				/* already gone */
			}
		}
		rmSync(dir, { recursive: true, force: true });
	});

	it("installs with `npm ci`", async function () {
		const run = npm(["ci", "--no-audit", "--no-fund", "--prefer-offline"], dir, userEnv({}));
		runs.push(run);
		expect(await within(run.exited, 240_000, "npm ci", run.output), run.output()).to.equal(0);
		expect(run.output(), "npm ci warns about engines").to.not.include("EBADENGINE");
	});

	it("starts with `npm start` on the embedded database, in development, saying which database in one line", async function () {
		const [port, realtimePort] = [await freePort(), await freePort()];
		base = `http://127.0.0.1:${port}`;
		env = userEnv({ PORT: String(port), REALTIME_PORT: String(realtimePort) });
		const run = npm(["start"], dir, env);
		runs.push(run);
		await ready(base, run, 120_000);
		const lines = run.output().split("\n").filter(l => l.startsWith("Database: "));
		expect(lines, run.output()).to.have.length(1);
		expect(lines[0]).to.match(/embedded (MongoDB|mongo-java-server)/).and.include("MONGO_URL=");
		// Development: readable console logs, not the tests' silence; no stack trace on the way up.
		expect(run.output()).to.include("INFO");
		expect(run.output()).to.not.match(/^\s+at .+:\d+:\d+\)?$/m);
		const secret = readFileSync(join(dir, "data", "jwt-secret"), "utf8").trim();
		expect(secret).to.have.length.greaterThanOrEqual(32);
	});

	let token: string;

	it("lets `npm run create-admin` reach that database while it runs, and the admin log in", async function () {
		const admin = npm(["run", "create-admin", "--", "--email", "root@first-run.example", "--password", "a long first-run password"], dir, env);
		runs.push(admin);
		expect(await within(admin.exited, 60_000, "create-admin", admin.output), admin.output()).to.equal(0);
		expect(admin.output()).to.include("root@first-run.example");
		const res = await login(base, "root@first-run.example", "a long first-run password");
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
		token = res.body.accessToken;
		const me = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } });
		expect(me.status).to.equal(200);
		expect(((await me.json()) as any).roles).to.include("platform_admin");
	});

	it("stops everything it started on SIGTERM to npm's own process", async function () {
		const run = runs.find(r => r.child.spawnargs.includes("start"))!;
		run.child.kill("SIGTERM");
		expect(await within(run.exited, 30_000, "shutdown", run.output)).to.not.equal(null);
		expect(await gone(dir, 20_000), "processes left behind").to.deep.equal([]);
		const closed = await fetch(`${base}/health/live`).then(() => false, () => true);
		expect(closed, "the API port is closed").to.equal(true);
	});

	it("finds its data and its secret again on the next start, and stops on Ctrl-C", async function () {
		const run = npm(["start"], dir, env);
		runs.push(run);
		await ready(base, run, 120_000);
		// The token issued before the restart still verifies: the secret was kept in ./data.
		const me = await fetch(`${base}/api/me`, { headers: { authorization: `Bearer ${token}` } });
		expect(me.status).to.equal(200);
		expect((await login(base, "root@first-run.example", "a long first-run password")).status).to.equal(200);
		process.kill(-run.child.pid!, "SIGINT");
		await within(run.exited, 30_000, "shutdown", run.output);
		expect(await gone(dir, 20_000), "processes left behind").to.deep.equal([]);
	});
});
