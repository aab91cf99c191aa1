/**
 * Runs schemathesis (PyPI; installed by scripts/fuzz/install.sh into the tools cache) against a running
 * platform's /api/openapi.json, as one caller, and reports what it found. Used by the `fuzz` test group.
 *
 * The checks are the ones issue 9 §5 asks for: `not_a_server_error` (any 5xx fails) and the request
 * timeout (a request left without an answer for FUZZ_REQUEST_TIMEOUT seconds fails as a hang).
 * Conformance checks (status codes, response schemas) are left out: the document describes requests
 * precisely, answers loosely.
 */
import { execFile, spawn } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** The `st` command, installing it on first use (the script reuses an install already in the cache). */
let installing: Promise<string> | undefined;
export function schemathesis(): Promise<string> {
	installing ??= run("bash", [path.resolve("scripts/fuzz/install.sh")], { maxBuffer: 1 << 20, timeout: 300_000 }).then(r => r.stdout.trim());
	return installing;
}

export interface FuzzBudget {
	/** Test cases per operation and phase (`--max-examples`). */
	examples: number;
	/** Phases to run (`examples`, `coverage`, `fuzzing`, `stateful`). */
	phases: string[];
	/** Seconds before one request counts as a hang. */
	requestTimeout: number;
	/** Schemathesis workers (concurrent requests). */
	workers: number;
	/** Fixed seed for a reproducible run, or undefined for a random one (printed in the output). */
	seed?: number;
}

export interface FuzzResult {
	ok: boolean;
	exitCode: number | null;
	/** The generated / passed counts, from the summary. */
	summary: string;
	/** The failures' descriptions, or the tail of the output when the run broke. */
	failures: string;
	seconds: number;
}

export interface FuzzRun {
	baseUrl: string;
	token?: string;
	mode: "positive" | "negative" | "all";
	budget: FuzzBudget;
	/** A label for the report folder and messages. */
	label: string;
	/** Operations to leave out, as `--exclude-path-regex` patterns. */
	excludePaths?: string[];
}

export async function fuzz(opts: FuzzRun): Promise<FuzzResult> {
	const st = await schemathesis();
	const dir = await mkdtemp(path.join(tmpdir(), `lp-fuzz-${opts.label}-`));
	const args = [
		"run",
		`${opts.baseUrl}/api/openapi.json`,
		"--url",
		opts.baseUrl,
		"--checks",
		"not_a_server_error",
		"--mode",
		opts.mode,
		"--phases",
		opts.budget.phases.join(","),
		"--max-examples",
		String(opts.budget.examples),
		"--request-timeout",
		String(opts.budget.requestTimeout),
		"--workers",
		String(opts.budget.workers),
		"--no-shrink",
		"--warnings",
		"off",
		"--report",
		"junit",
		"--report-dir",
		dir,
		...(opts.budget.seed === undefined ? [] : ["--seed", String(opts.budget.seed)]),
		...(opts.token ? ["--header", `Authorization: Bearer ${opts.token}`] : []),
		...(opts.excludePaths ?? []).flatMap(p => ["--exclude-path-regex", p]),
	];
	const began = Date.now();
	const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
		const child = spawn(st, args, { env: { ...process.env, NO_COLOR: "1", SCHEMATHESIS_HOOKS: "" }, stdio: ["ignore", "pipe", "pipe"] });
		let out = "";
		child.stdout.on("data", chunk => (out += chunk));
		child.stderr.on("data", chunk => (out += chunk));
		child.on("error", reject);
		child.on("close", exitCode => resolve({ code: exitCode, output: out }));
	});
	const seconds = (Date.now() - began) / 1000;
	const junit = await readFile(path.join(dir, "junit.xml"), "utf8").catch(() => "");
	await rm(dir, { recursive: true, force: true });
	const summary = /Test cases:\s*\n\s*(.+)/.exec(output)?.[1]?.trim() ?? "";
	const failures = junitFailures(junit) || output.split("\n").slice(-60).join("\n");
	return { ok: code === 0, exitCode: code, summary, failures: code === 0 ? "" : failures, seconds };
}

/** The messages of the failed and errored test cases of a JUnit report. */
function junitFailures(xml: string): string {
	const out: string[] = [];
	for (const m of xml.matchAll(/<testcase[^>]*name="([^"]*)"[^>]*>([\s\S]*?)<\/testcase>/g)) {
		const body = m[2];
		if (!/<(failure|error)\b/.test(body)) continue;
		const text = body.replace(/<[^>]+>/g, "").replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&").trim();
		out.push(`${m[1]}:\n${text.slice(0, 1500)}`);
	}
	return out.join("\n\n");
}
