/**
 * Load generation for the HTTP benchmarks: autocannon in its own process, so the load generator does
 * not share an event loop with the server it measures.
 */
import { execFile } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";

const AUTOCANNON = path.join(path.dirname(createRequire(import.meta.url).resolve("autocannon/package.json")), "autocannon.js");

export interface LoadResult {
	rps: number;
	p50_ms: number;
	p99_ms: number;
	errors: number;
	non2xx: number;
}

export function runLoad(url: string, opts: { connections: number; durationS: number; headers?: Record<string, string> }): Promise<LoadResult> {
	const args = [AUTOCANNON, "-j", "-c", String(opts.connections), "-d", String(opts.durationS)];
	for (const [k, v] of Object.entries(opts.headers ?? {})) args.push("-H", `${k}=${v}`);
	args.push(url);
	return new Promise((resolve, reject) => {
		execFile(process.execPath, args, { maxBuffer: 16 * 1024 * 1024 }, (err, stdout) => {
			if (err) return reject(err);
			const r = JSON.parse(stdout);
			resolve({
				rps: r.requests.average,
				p50_ms: r.latency.p50,
				p99_ms: r.latency.p99,
				errors: r.errors,
				non2xx: r.non2xx,
			});
		});
	});
}

export function median(values: number[]): number {
	const sorted = [...values].sort((a, b) => a - b);
	const mid = Math.floor(sorted.length / 2);
	return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

export function log(message: string): void {
	process.stderr.write(`[bench] ${message}\n`);
}
