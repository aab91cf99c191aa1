/**
 * The JWT secret of a development platform started without JWT_SECRET: generated on the first start and
 * kept in DATA_DIR/jwt-secret (owner-only), so tokens survive a restart and every process started from the
 * same folder agrees. Production requires JWT_SECRET (config/env.ts).
 */
import { randomBytes } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { resolve } from "node:path";

export async function developmentSecret(dataDir: string): Promise<string> {
	const file = resolve(dataDir, "jwt-secret");
	try {
		const kept = (await readFile(file, "utf8")).trim();
		if (kept.length >= 32) return kept;
	} catch {
		/* first start: generate it below */
	}
	await mkdir(dataDir, { recursive: true });
	const secret = randomBytes(32).toString("hex");
	// wx: two processes starting at once do not overwrite each other's secret; the loser reads the winner's.
	try {
		await writeFile(file, `${secret}\n`, { mode: 0o600, flag: "wx" });
		return secret;
	} catch {
		return (await readFile(file, "utf8")).trim();
	}
}
