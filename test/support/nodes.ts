/**
 * Platform nodes as separate processes (`scripts/start.ts` with SERVICES), for the tests and
 * benchmarks that need real multi-node deployments over NATS.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";

export interface NodeProcess {
	name: string;
	proc: ChildProcess;
	output: () => string;
	stop: () => Promise<number | null>;
}

export async function freePort(): Promise<number> {
	return new Promise((resolve, reject) => {
		const srv = createServer();
		srv.unref();
		srv.on("error", reject);
		srv.listen(0, "127.0.0.1", () => {
			const port = (srv.address() as { port: number }).port;
			srv.close(() => resolve(port));
		});
	});
}

export function spawnNode(name: string, env: Record<string, string>): NodeProcess {
	const proc = spawn(process.execPath, ["--import", "tsx", "scripts/start.ts"], {
		// Mail goes to Mailpit like the in-process platform's, so tests read it the same way.
		env: { ...process.env, NODE_ENV: "test", LOG_LEVEL: "warn", ...(process.env.MAILPIT_SMTP_URL ? { SMTP_URL: process.env.MAILPIT_SMTP_URL } : {}), ...env },
		stdio: ["ignore", "pipe", "pipe"],
	});
	let out = "";
	proc.stdout!.on("data", d => (out += d));
	proc.stderr!.on("data", d => (out += d));
	const exited = new Promise<number | null>(resolve => proc.once("exit", code => resolve(code)));
	return {
		name,
		proc,
		output: () => out,
		async stop() {
			if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGTERM");
			const timer = setTimeout(() => proc.kill("SIGKILL"), 15_000);
			const code = await exited;
			clearTimeout(timer);
			return code;
		},
	};
}

/** Polls `probe` until it returns true, failing with the nodes' output after `timeoutMs`. */
export async function until(probe: () => Promise<boolean>, what: string, timeoutMs: number, nodes: NodeProcess[] = []): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (Date.now() < deadline) {
		try {
			if (await probe()) return;
		} catch {
			/* not up yet */
		}
		await new Promise(r => setTimeout(r, 100));
	}
	const logs = nodes.map(n => `--- ${n.name}\n${n.output().slice(-3000)}`).join("\n");
	throw new Error(`timed out waiting for ${what}\n${logs}`);
}

export interface JsonResponse {
	status: number;
	body: any;
}

/** One JSON request to a node's HTTP gateway at `base`, with the bearer `token` if given. */
export async function callJson(base: string, method: string, path: string, body?: unknown, token?: string): Promise<JsonResponse> {
	const res = await fetch(base + path, {
		method,
		headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
		body: body === undefined ? undefined : JSON.stringify(body),
	});
	const text = await res.text();
	return { status: res.status, body: text ? JSON.parse(text) : undefined };
}
