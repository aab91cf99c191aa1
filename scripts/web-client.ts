/**
 * Keeps the browser client's build (web/dist) in step with its sources. `npm ci` runs this (root `prepare`),
 * `npm start` runs it before starting (outside production), and the browser tests run it before opening
 * a page: each builds only when web/ changed since the last build (a hash of its sources is kept in
 * web/dist/.build-hash) and when the build tools are installed (not in an `npm ci --omit=dev` image,
 * whose client is built in the Dockerfile's first stage).
 *
 *   tsx scripts/web-client.ts            build if needed
 *   tsx scripts/web-client.ts --force    build anyway
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const WEB_DIR = fileURLToPath(new URL("../web/", import.meta.url));
const DIST = join(WEB_DIR, "dist");
const STAMP = join(DIST, ".build-hash");
/** What the build reads (the generated API types are derived from the services, not from these). */
const INPUTS = ["src", "public", "index.html", "vite.config.ts", "tsconfig.json", "package.json"];

function files(path: string): string[] {
	if (!existsSync(path)) return [];
	if (!statSync(path).isDirectory()) return [path];
	return readdirSync(path).flatMap(name => (name === "openapi.d.ts" ? [] : files(join(path, name))));
}

/** A hash of the client's sources: a different one means web/dist is stale. */
export function sourceHash(): string {
	const hash = createHash("sha256");
	for (const file of INPUTS.flatMap(p => files(join(WEB_DIR, p))).sort()) {
		hash.update(relative(WEB_DIR, file));
		hash.update(readFileSync(file));
	}
	return hash.digest("hex");
}

export interface WebClientState {
	built: boolean;
	fresh: boolean;
	buildable: boolean;
}

export function webClientState(): WebClientState {
	const built = existsSync(join(DIST, "index.html"));
	const fresh = built && existsSync(STAMP) && readFileSync(STAMP, "utf8").trim() === sourceHash();
	let buildable = true;
	try {
		createRequire(join(WEB_DIR, "package.json")).resolve("vite/package.json");
	} catch {
		buildable = false;
	}
	return { built, fresh, buildable };
}

function run(command: string, args: string[]): Promise<void> {
	return new Promise((resolve, reject) => {
		const child = spawn(command, args, { cwd: WEB_DIR, stdio: ["ignore", "inherit", "inherit"], env: process.env });
		child.on("error", reject);
		child.on("exit", code => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(" ")} exited with ${code}`))));
	});
}

/** Builds web/dist when it is missing or stale and the tools are there; says what it did. */
export async function ensureWebClient(opts: { force?: boolean; log?: (line: string) => void } = {}): Promise<"fresh" | "built" | "unbuildable"> {
	const log = opts.log ?? (line => console.log(line));
	const state = webClientState();
	if (state.fresh && !opts.force) return "fresh";
	if (!state.buildable) {
		log(state.built ? "Web client: sources changed but vite is not installed; serving the existing build" : "Web client: not built and vite is not installed (npm ci without --omit=dev builds it)");
		return "unbuildable";
	}
	const hash = sourceHash();
	log(`Web client: building web/dist (${state.built ? "sources changed" : "no build yet"})…`);
	// The same commands as `npm run build` in web/, without npm in between (one less process, works offline).
	await run(process.execPath, ["--import", "tsx", "scripts/api-types.ts"]);
	await run(process.execPath, [join(dirname(createRequire(join(WEB_DIR, "package.json")).resolve("vite/package.json")), "bin", "vite.js"), "build", "--logLevel", "warn"]);
	await writeFile(STAMP, `${hash}\n`);
	log("Web client: built into web/dist");
	return "built";
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
	ensureWebClient({ force: process.argv.includes("--force") }).then(
		() => process.exit(0),
		err => {
			console.error(err instanceof Error ? err.message : err);
			process.exit(1);
		},
	);
}
