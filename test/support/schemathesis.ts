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
import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
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
	/** No 5xx, no hang: no check failed and no request failed at the network level (timeout, reset). */
	ok: boolean;
	exitCode: number | null;
	/** The generated / passed counts, from the summary. */
	summary: string;
	/** The failures' descriptions (or the tail of the output when the run broke before its report). */
	failures: string;
	/**
	 * Errors of schemathesis itself (a Python exception while generating cases): reported, not counted
	 * against the platform. CPython 3.11.7 sometimes raises "AST constructor recursion depth mismatch" in
	 * hypothesis's lambda descriptions, for one operation.
	 */
	toolErrors: string;
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
	/** Fixed path parameters per path template (`/api/classes/{id}` → `{id: "…"}`), so requests reach real documents. */
	pathValues?: Record<string, Record<string, string>>;
}

/** A schemathesis.toml fixing path parameters per operation (its `[[operations]]` with `parameters`). */
export function configWithPathValues(values: Record<string, Record<string, string>>): string {
	const quote = (s: string) => JSON.stringify(s);
	return Object.entries(values)
		.map(([path, params]) => {
			const entries = Object.entries(params).map(([name, value]) => `${quote(`path.${name}`)} = ${quote(value)}`);
			return `[[operations]]\ninclude-path = ${quote(path)}\nparameters = { ${entries.join(", ")} }\n`;
		})
		.join("\n");
}

export async function fuzz(opts: FuzzRun): Promise<FuzzResult> {
	const st = await schemathesis();
	const dir = await mkdtemp(path.join(tmpdir(), `lp-fuzz-${opts.label}-`));
	const config = path.join(dir, "schemathesis.toml");
	await writeFile(config, opts.pathValues ? configWithPathValues(opts.pathValues) : "");
	const args = [
		"--config-file",
		config,
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
		// In the run's own folder: schemathesis keeps a cache (.schemathesis/) in its working directory.
		const child = spawn(st, args, { cwd: dir, env: { ...process.env, NO_COLOR: "1", SCHEMATHESIS_HOOKS: "" }, stdio: ["ignore", "pipe", "pipe"] });
		let out = "";
		child.stdout.on("data", chunk => (out += chunk));
		child.stderr.on("data", chunk => (out += chunk));
		child.on("error", reject);
		child.on("close", exitCode => resolve({ code: exitCode, output: out }));
	});
	const seconds = (Date.now() - began) / 1000;
	const junitFile = (await readdir(dir)).find(f => /^junit.*\.xml$/.test(f));
	const junit = junitFile ? await readFile(path.join(dir, junitFile), "utf8") : "";
	await rm(dir, { recursive: true, force: true });
	const summary = /Test cases:\s*\n\s*(.+)/.exec(output)?.[1]?.trim() ?? "";
	const report = junitCases(junit);
	// A check failure (a 5xx) and a network error (a timeout: a request left without an answer, a reset) fail.
	const failed = report.filter(c => c.kind === "failure" || /Network Error|timed out|Connection/i.test(c.text));
	const tool = report.filter(c => !failed.includes(c));
	const broken = code !== 0 && report.length === 0;
	return {
		ok: failed.length === 0 && !broken,
		exitCode: code,
		summary,
		failures: broken ? output.split("\n").slice(-60).join("\n") : failed.map(c => `${c.name}:\n${c.text.slice(0, 1500)}`).join("\n\n"),
		toolErrors: tool.map(c => `${c.name}: ${c.text.split("\n").filter(Boolean).slice(-1)[0] ?? ""}`).join("\n"),
		seconds,
	};
}

/** The failed and errored test cases of a JUnit report, with their text. */
function junitCases(xml: string): { name: string; kind: "failure" | "error"; text: string }[] {
	const out: { name: string; kind: "failure" | "error"; text: string }[] = [];
	// Passed cases are self-closing (`<testcase … />`): only the ones with a body hold a failure or an error.
	for (const m of xml.matchAll(/<testcase\b[^>]*?name="([^"]*)"[^>]*?(?<!\/)>([\s\S]*?)<\/testcase>/g)) {
		for (const f of m[2].matchAll(/<(failure|error)\b[^>]*>([\s\S]*?)<\/\1>/g)) {
			const text = f[2].replace(/&quot;/g, '"').replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&#10;/g, "\n").replace(/&amp;/g, "&").trim();
			out.push({ name: m[1].replace(/&amp;/g, "&"), kind: f[1] as "failure" | "error", text });
		}
	}
	return out;
}
