/**
 * `npm run bench:api`: GET /api/me under autocannon
 *   1. through our stack in one process (gateway -> broker -> users service -> mongoose),
 *   2. through a bare node:http server doing the same work by hand (the baseline),
 *   3. through a gateway node with the users and schools services (the owners of what the live identity check
 *      reads) on a second node over NATS.
 * Rounds are interleaved and medians reported, since this machine is noisy.
 * BENCH_SMALL=1 runs a tiny size (CI). Reads MONGO_URL and NATS_URL like the tests.
 */
import { randomBytes, randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { MongoClient } from "mongodb";
import { overrideSettings } from "../../config/env.js";
import { createPlatformBroker } from "../../services/platform.js";
import { ALL_SERVICES } from "../../services/index.js";
import { latestMail } from "../support/mailpit.js";
import { freePort, spawnNode, until } from "../support/nodes.js";
import { startBareServer } from "./api/bare-server.js";
import { log, median, runLoad, type LoadResult } from "./load.js";

const SMALL = process.env.BENCH_SMALL === "1";
const CONNECTIONS = SMALL ? 10 : 50;
const DURATION_S = SMALL ? 2 : 10;
const ROUNDS = SMALL ? 1 : 3;

function need(name: string): string {
	const value = process.env[name];
	if (!value) {
		console.error(`${name} is not set: run \`eval "$(bash .ci/services.sh start)"\` first`);
		process.exit(2);
	}
	return value;
}

async function json(method: string, url: string, body?: unknown): Promise<any> {
	const res = await fetch(url, { method, headers: { "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
	const out = await res.json();
	if (res.status >= 300) throw new Error(`${method} ${url}: ${res.status} ${JSON.stringify(out)}`);
	return out;
}

/** A school admin made as a client would (signup, mailed verification, login); returns the access token. */
async function signupAndLogin(base: string): Promise<string> {
	const email = `bench-${randomUUID().slice(0, 8)}@school.test`;
	const password = "correct horse battery staple";
	await json("POST", `${base}/api/schools/signup`, {
		school: { name: "Bench School", timezone: "Europe/Paris" },
		admin: { email, password, firstName: "Bench", lastName: "Admin" },
	});
	const mail = await latestMail(email, "verify-email");
	await json("POST", `${base}/api/auth/verify-email`, { token: /token=([A-Za-z0-9_-]+)/.exec(mail.text)![1] });
	return (await json("POST", `${base}/api/auth/login`, { email, password })).accessToken;
}

async function main(): Promise<void> {
	const mongo = new URL(need("MONGO_URL"));
	mongo.pathname = `/lp_bench_${Date.now().toString(36)}`;
	const natsUrl = need("NATS_URL");
	const jwtSecret = randomBytes(32).toString("hex");
	log(`connections=${CONNECTIONS} duration=${DURATION_S}s rounds=${ROUNDS} database=${mongo.pathname}`);

	overrideSettings({ mongoUrl: mongo.toString(), natsUrl: undefined, port: 0, logLevel: "none", jwtSecret, nodeEnv: "test", smtpUrl: need("MAILPIT_SMTP_URL") });
	const broker = await createPlatformBroker(ALL_SERVICES.filter(s => s !== "realtime"), { nodeID: "bench-local" });
	await broker.start();
	const gatewayBase = `http://127.0.0.1:${((broker.getLocalService("api") as any).server.address() as AddressInfo).port}`;
	await until(async () => (await fetch(`${gatewayBase}/health/ready`)).status === 200, "local platform", 15_000);
	const token = await signupAndLogin(gatewayBase);
	const headers = { authorization: `Bearer ${token}` };
	const bare = await startBareServer();

	log("starting a gateway node and a users + schools node over NATS");
	const port = await freePort();
	const env = { NATS_URL: natsUrl, MONGO_URL: mongo.toString(), JWT_SECRET: jwtSecret, NAMESPACE: `bench-${randomUUID().slice(0, 8)}`, LOG_LEVEL: "error" };
	const nodes = [spawnNode("gateway", { ...env, SERVICES: "api", PORT: String(port) }), spawnNode("users", { ...env, SERVICES: "users,schools" })];
	const natsBase = `http://127.0.0.1:${port}`;
	try {
		await until(async () => (await fetch(`${natsBase}/api/me`, { headers })).status === 200, "GET /api/me over NATS", 60_000, nodes);

		const targets: Record<string, string> = { local: `${gatewayBase}/api/me`, bare: bare.url, nats: `${natsBase}/api/me` };
		const results: Record<string, LoadResult[]> = { local: [], bare: [], nats: [] };
		for (const [name, url] of Object.entries(targets)) await runLoad(url, { connections: CONNECTIONS, durationS: 1, headers }); // warm-up
		for (let round = 1; round <= ROUNDS; round++) {
			for (const [name, url] of Object.entries(targets)) {
				const r = await runLoad(url, { connections: CONNECTIONS, durationS: DURATION_S, headers });
				if (r.non2xx > 0 || r.errors > 0) throw new Error(`${name}: ${r.non2xx} non-2xx answers and ${r.errors} errors`);
				results[name].push(r);
				log(`round ${round}/${ROUNDS} ${name.padEnd(5)} ${r.rps.toFixed(0)} req/s, p50 ${r.p50_ms} ms, p99 ${r.p99_ms} ms`);
			}
		}
		const rps = (name: string) => Math.round(median(results[name].map(r => r.rps)));
		const p99 = (name: string) => median(results[name].map(r => r.p99_ms));
		const summary = {
			connections: CONNECTIONS,
			duration_s: DURATION_S,
			rounds: ROUNDS,
			rps: rps("local"),
			p99_ms: p99("local"),
			bare_rps: rps("bare"),
			bare_p99_ms: p99("bare"),
			ratio: Number((rps("local") / rps("bare")).toFixed(3)),
			nats_rps: rps("nats"),
			nats_p99_ms: p99("nats"),
		};
		console.log(JSON.stringify(summary));
	} finally {
		await Promise.all(nodes.map(n => n.stop()));
		bare.server.close();
		await broker.stop();
		const client = await MongoClient.connect(mongo.toString());
		await client.db().dropDatabase().catch(() => undefined);
		await client.close();
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
