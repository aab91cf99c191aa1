/**
 * Infrastructure a fault test owns (issue 16): its own NATS (JetStream, with its own store), Redis and
 * MongoDB-wire server on free ports, which it may kill and restart at will. The shared services other
 * engineers' tests use are never touched.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort, spawnNode, until, type NodeProcess } from "./nodes.js";
import { RealtimeCluster } from "./realtime-cluster.js";

export interface Daemon {
	name: string;
	port: number;
	url: string;
	/** Kills the process (SIGKILL: a crash) and waits for its exit. */
	kill(): Promise<void>;
	/** Stops the process as a restart for maintenance would (SIGTERM) and waits for its exit. */
	stop(): Promise<void>;
	/** Starts it again on the same port (and the same data, where it keeps any). */
	start(): Promise<void>;
	/** Stops it for good and removes its data. */
	dispose(): Promise<void>;
	output(): string;
}

function portOpen(port: number): Promise<boolean> {
	return new Promise(resolve => {
		const socket = createConnection({ host: "127.0.0.1", port });
		socket.once("connect", () => {
			socket.destroy();
			resolve(true);
		});
		socket.once("error", () => resolve(false));
	});
}

async function waitPort(port: number, open: boolean, what: string, timeoutMs = 30_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while ((await portOpen(port)) !== open) {
		if (Date.now() > deadline) throw new Error(`${what}: port ${port} did not ${open ? "open" : "close"} within ${timeoutMs} ms`);
		await new Promise(r => setTimeout(r, 100));
	}
}

function daemon(name: string, port: number, url: string, command: () => [string, string[]], cleanup: () => void): Daemon {
	let proc: ChildProcess | undefined;
	let out = "";
	const signal = async (sig: NodeJS.Signals) => {
		const p = proc;
		if (!p || p.exitCode !== null || p.signalCode !== null) return;
		const exited = new Promise(r => p.once("exit", r));
		p.kill(sig);
		await exited;
		await waitPort(port, false, name);
	};
	const d: Daemon = {
		name,
		port,
		url,
		output: () => out.slice(-4000),
		async start() {
			const [cmd, args] = command();
			proc = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
			proc.stdout!.on("data", c => (out += c));
			proc.stderr!.on("data", c => (out += c));
			await waitPort(port, true, name);
		},
		async kill() {
			await signal("SIGKILL");
		},
		async stop() {
			await signal("SIGTERM");
		},
		async dispose() {
			await d.kill();
			cleanup();
		},
	};
	return d;
}

const PATHS = ["/usr/sbin", "/usr/bin", "/usr/local/bin"];
function which(bin: string): string {
	const found = spawnSync("bash", ["-lc", `PATH=$PATH:${PATHS.join(":")} command -v ${bin}`], { encoding: "utf8" }).stdout.trim();
	if (!found) throw new Error(`${bin} is not installed (bash .ci/services.sh install)`);
	return found;
}

/** nats-server with JetStream and a store of its own (messages and consumers survive its restarts). */
export async function ownNats(): Promise<Daemon> {
	const port = await freePort();
	const store = mkdtempSync(join(tmpdir(), "lp-fault-nats-"));
	const bin = which("nats-server");
	const d = daemon("nats", port, `nats://127.0.0.1:${port}`, () => [bin, ["-a", "127.0.0.1", "-p", String(port), "-js", "-sd", store]], () => rmSync(store, { recursive: true, force: true }));
	await d.start();
	return d;
}

/** redis-server without persistence: a restart comes back empty, the harsh case. */
export async function ownRedis(): Promise<Daemon> {
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), "lp-fault-redis-"));
	const bin = which("redis-server");
	const d = daemon("redis", port, `redis://127.0.0.1:${port}`, () => [bin, ["--bind", "127.0.0.1", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir]], () => rmSync(dir, { recursive: true, force: true }));
	await d.start();
	return d;
}

/** The MongoDB-wire server on an H2 file, so what was written survives a crash and restart. */
export async function ownMongo(): Promise<Daemon> {
	const port = await freePort();
	const dir = mkdtempSync(join(tmpdir(), "lp-fault-mongo-"));
	const install = spawnSync("bash", ["scripts/mongo-wire/install.sh"], { encoding: "utf8" });
	if (install.status !== 0) throw new Error(`mongo-wire install failed: ${install.stderr}`);
	const home = install.stdout.trim();
	const d = daemon(
		"mongo-wire",
		port,
		`mongodb://127.0.0.1:${port}/lp_faults`,
		() => [which("java"), ["-Xmx384m", "-cp", `${home}/lib/*:${home}/classes`, "MongoWire", "--host", "127.0.0.1", "--port", String(port), "--file", join(dir, "db.mv")]],
		() => rmSync(dir, { recursive: true, force: true }),
	);
	await d.start();
	return d;
}

export interface NodeSpec {
	name: string;
	/** SERVICES of the node. */
	services: string;
	/** The gateway's node: its PORT is the cluster's base URL. */
	gateway?: boolean;
	/** A realtime node: "a" or "b" (REALTIME_PORT portA / portB). */
	realtime?: "a" | "b";
	env?: Record<string, string>;
}

/**
 * Platform nodes as processes on the infrastructure a fault test chose (its own NATS, Redis or database,
 * or the shared ones), with the account helpers of RealtimeCluster.
 */
export class FaultCluster extends RealtimeCluster {
	readonly byName = new Map<string, NodeProcess>();

	/** The scrape secret of this cluster's nodes: /metrics tells which nodes see each other. */
	readonly metricsToken = randomBytes(24).toString("hex");

	constructor(prefix: string, infra: Partial<Record<"NATS_URL" | "REDIS_URL" | "MONGO_URL", string>> = {}) {
		super(prefix);
		Object.assign(this.env, infra);
	}

	/** The ids of the nodes that answered the gateway's last scrape. */
	async nodesUp(): Promise<string[]> {
		const res = await fetch(`${this.base}/metrics`, { headers: { authorization: `Bearer ${this.metricsToken}` }, signal: AbortSignal.timeout(10_000) });
		if (res.status !== 200) return [];
		return [...(await res.text()).matchAll(/^lp_scrape_node_up\{nodeID="([^"]+)"\} 1$/gm)].map(m => m[1]);
	}

	async startNodes(specs: NodeSpec[], extraEnv: Record<string, string> = {}): Promise<void> {
		[this.portA, this.portB] = [await freePort(), await freePort()];
		for (const spec of specs) {
			const port = spec.gateway ? await freePort() : 0;
			if (spec.gateway) this.base = `http://127.0.0.1:${port}`;
			const env: Record<string, string> = { ...this.env, METRICS_TOKEN: this.metricsToken, NODE_ID: `${spec.name}-${this.env.NAMESPACE}`, ...extraEnv, SERVICES: spec.services, ...(spec.gateway ? { PORT: String(port) } : {}), ...(spec.env ?? {}) };
			if (spec.realtime) env.REALTIME_PORT = String(spec.realtime === "a" ? this.portA : this.portB);
			const node = spawnNode(spec.name, env);
			this.nodes.push(node);
			this.byName.set(spec.name, node);
		}
		await until(async () => (await this.call("GET", "/health/ready")).status === 200, "the gateway", 120_000, this.nodes);
		// Ready says the gateway routes what it knows; every node must also know every other one.
		await until(async () => (await this.nodesUp()).length === specs.length, `all ${specs.length} nodes seen by the gateway`, 120_000, this.nodes);
		await until(async () => (await this.call("GET", "/health/ready")).status === 200, "the gateway's routes", 30_000, this.nodes);
	}

	nodeId(name: string): string {
		return `${name}-${this.env.NAMESPACE}`;
	}

	/** Kills a node as a crash would (SIGKILL): no goodbye to its peers. */
	async crash(name: string): Promise<void> {
		const node = this.byName.get(name)!;
		const exited = new Promise(r => node.proc.once("exit", r));
		node.proc.kill("SIGKILL");
		await exited;
	}
}

/** A fetch that must answer within `ms` (a hang fails the test), with its status and JSON body. */
export async function timedCall(base: string, method: string, path: string, body?: unknown, token?: string, ms = 45_000): Promise<{ status: number; body: any; ms: number }> {
	const started = Date.now();
	const res = await fetch(base + path, {
		method,
		headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
		body: body === undefined ? undefined : JSON.stringify(body),
		signal: AbortSignal.timeout(ms),
	});
	const text = await res.text();
	let parsed: any = text;
	try {
		parsed = text ? JSON.parse(text) : undefined;
	} catch {
		/* not JSON */
	}
	return { status: res.status, body: parsed, ms: Date.now() - started };
}
