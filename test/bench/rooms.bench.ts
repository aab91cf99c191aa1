/**
 * `npm run bench:rooms`: the live rooms under load. Three processes: this orchestrator, the server (the
 * whole platform with its Colyseus server and, beside it, a bare `ws` server: test/bench/rooms/server.ts)
 * and the load generator (SDK clients: test/bench/rooms/load.ts). MONGO_URL is required (a database of
 * its own is created and dropped); services talk in-process, so NATS_URL and REDIS_URL are not used.
 *
 * Sizes (fixed, repeated in the JSON): 40 group sessions × 50 students (+ their teacher), 4 questions each,
 * answers spread over 5 s; 1,000 chat clients in 500 conversations, 5 messages per student (the chat phase
 * runs first, while the access tokens minted by the seeding are fresh); the bare
 * baseline broadcasts a reveal-sized payload to the same groups, 4 rounds. BENCH_SMALL=1: 2 × 5, 3
 * questions, 20 chat clients. BENCH_SESSIONS, BENCH_STUDENTS and BENCH_CHAT_CLIENTS override the sizes (to
 * look into one phase; the figures to compare are the defaults). Seed 20250914 (BENCH_SEED).
 *
 * Progress goes to stderr; stdout ends with one JSON line.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { MongoClient } from "mongodb";
import { percentile, round1, type BenchConfig, type LoadResult } from "./rooms/protocol.js";

const small = process.env.BENCH_SMALL === "1";
const config: BenchConfig = {
	seed: Number(process.env.BENCH_SEED ?? 20250914),
	sessions: Number(process.env.BENCH_SESSIONS ?? (small ? 2 : 40)),
	studentsPerSession: Number(process.env.BENCH_STUDENTS ?? (small ? 5 : 50)),
	questions: small ? 3 : 4,
	answerSpreadMs: small ? 1000 : 5000,
	chatClients: Number(process.env.BENCH_CHAT_CLIENTS ?? (small ? 20 : 1000)),
	chatMessagesPerClient: small ? 3 : 5,
	bareRounds: 4,
};
const log = (line: string) => process.stderr.write(`[bench] ${line}\n`);

const mongoUrl = process.env.MONGO_URL;
if (!mongoUrl) {
	console.error("MONGO_URL is not set: run `bash .ci/services.sh start` and export what it prints");
	process.exit(1);
}
const dbUrl = new URL(mongoUrl);
dbUrl.pathname = `/lp_bench_rooms_${Date.now().toString(36)}`;

function child(script: string, env: Record<string, string>, execArgv: string[] = []): ChildProcess {
	return fork(script, [], { execArgv: ["--import", "tsx", ...execArgv], env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
}

const started = performance.now();
// The sessions are opened by the seeding and joined once it is over: allow more than the default 120 s a
// session waits for its teacher to come at all.
const serverEnv = { BENCH_CONFIG: JSON.stringify(config), BENCH_DB_URL: dbUrl.toString(), JWT_SECRET: randomBytes(32).toString("hex"), NODE_ENV: "test", LIVE_TEACHER_GRACE_SECONDS: "3600" };
const server = child("test/bench/rooms/server.ts", serverEnv, ["--expose-gc"]);
let load: ChildProcess | undefined;

interface Stats {
	rss: number;
	/** V8 heap in use, after a forced GC. */
	heap: number;
	/** Memory held outside the heap by JS objects (socket buffers among it). */
	external: number;
	cpu: NodeJS.CpuUsage;
	at: number;
}
const statsWaiters = new Map<number, (s: Stats) => void>();
let statsId = 0;
function serverStats(): Promise<Stats> {
	const id = ++statsId;
	return new Promise(resolve => {
		statsWaiters.set(id, resolve);
		server.send({ type: "stats", id });
	});
}

async function cleanup() {
	load?.kill();
	if (server.connected && server.exitCode === null) {
		server.send({ type: "stop" });
		await new Promise(r => server.once("exit", r));
	}
	const client = await MongoClient.connect(dbUrl.toString());
	await client.db().dropDatabase().catch(() => undefined);
	await client.close();
}

const marks = new Map<string, Stats>();
const result = await new Promise<LoadResult>((resolve, reject) => {
	server.on("exit", code => code !== 0 && reject(new Error(`the server exited with ${code}`)));
	server.on("message", (msg: any) => {
		if (msg.type === "stats") statsWaiters.get(msg.id)?.(msg);
		if (msg.type === "tokens") load?.send(msg);
		if (msg.type !== "ready") return;
		log(`server ready (seeded in ${((performance.now() - started) / 1000).toFixed(1)} s); starting the load generator`);
		load = child("test/bench/rooms/load.ts", {});
		load.on("message", async (m: any) => {
			if (m.type === "mark") {
				marks.set(m.name, await serverStats());
				load!.send({ type: "marked", name: m.name });
			} else if (m.type === "tokens") server.send(m);
			else if (m.type === "result") resolve(m.result);
			else if (m.type === "failed") reject(new Error(m.error));
		});
		load.send({ type: "run", config, plan: msg.plan, realtimePort: msg.realtimePort, barePort: msg.barePort });
	});
}).finally(cleanup);

const cpuPct = (from: string, to: string) => {
	const a = marks.get(from)!;
	const b = marks.get(to)!;
	const cpuMs = (b.cpu.user - a.cpu.user + b.cpu.system - a.cpu.system) / 1000;
	return round1((100 * cpuMs) / (b.at - a.at));
};
// What the server holds per connected group client: both samples come after a forced GC (server.ts), the
// first with no client connected. RSS is what the OS sees but keeps pages a previous phase freed; the heap
// (+ external) delta is what the clients' rooms, seats and sockets retain.
const perGroupClientKb = (of: (s: Stats) => number) =>
	round1((of(marks.get("group-connected")!) - of(marks.get("before-group-connect")!)) / result.groupClients / 1024);
const memPerClientKb = perGroupClientKb(s => s.rss);
const heapPerClientKb = perGroupClientKb(s => s.heap + s.external);
const line = {
	clients: result.groupClients + result.chatClients,
	group_p50_ms: round1(percentile(result.groupAckMs, 50)),
	group_p99_ms: round1(percentile(result.groupAckMs, 99)),
	reveal_p99_ms: round1(percentile(result.revealMs, 99)),
	chat_p50_ms: round1(percentile(result.chatMs, 50)),
	chat_p99_ms: round1(percentile(result.chatMs, 99)),
	bare_p99_ms: round1(percentile(result.bareMs, 99)),
	mem_per_client_kb: memPerClientKb,
	heap_per_client_kb: heapPerClientKb,
	server_rss_mb: round1(marks.get("group-connected")!.rss / 1048576),
	server_heap_mb: round1(marks.get("group-connected")!.heap / 1048576),
	server_cpu_pct: cpuPct("group-run-start", "group-run-end"),
	chat_server_cpu_pct: cpuPct("chat-run-start", "chat-run-end"),
	reveal_p50_ms: round1(percentile(result.revealMs, 50)),
	bare_p50_ms: round1(percentile(result.bareMs, 50)),
	end_max_ms: round1(Math.max(...result.endMs)),
	group_clients: result.groupClients,
	chat_clients: result.chatClients,
	answers: result.groupAckMs.length,
	chat_messages: result.chatMs.length,
	join_s: round1(result.joinSeconds),
	failures: result.failures,
	...config,
	small,
	wall_s: round1((performance.now() - started) / 1000),
};
console.log(JSON.stringify(line));
process.exit(0);
