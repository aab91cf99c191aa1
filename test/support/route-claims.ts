/**
 * Routes whose `tenant isolation` or `bad input` cases live in a block's own suite instead of the central
 * tables (test/integration/tenant-isolation.test.ts, bad-input.test.ts), so that a new block brings its
 * cases with its own fixtures. A block claims its routes in `test/support/route-claims/<block>.ts`:
 *
 *   export const tenancy = ["GET /api/billing/invoices", ...];   // attacked from another school in <block>'s suite
 *   export const badInput = ["POST /api/billing/account", ...];  // write routes probed with bad input there
 *   export const suite = "billing tenancy";                      // the mocha group that holds those cases
 *
 * The central suites skip claimed routes and fail on a claim for a route that is not served.
 */
import { readdirSync } from "node:fs";

export interface RouteClaims {
	/** route key -> the claiming file and suite, for messages. */
	tenancy: Map<string, string>;
	badInput: Map<string, string>;
}

const DIR = new URL("./route-claims/", import.meta.url);

export async function routeClaims(): Promise<RouteClaims> {
	const claims: RouteClaims = { tenancy: new Map(), badInput: new Map() };
	const files = readdirSync(DIR).filter(f => f.endsWith(".ts")).sort();
	for (const file of files) {
		const mod = await import(new URL(file, DIR).href);
		const owner = `${file} (${mod.suite ?? "its suite"})`;
		for (const kind of ["tenancy", "badInput"] as const) {
			for (const key of (mod[kind] ?? []) as string[]) {
				const previous = claims[kind].get(key);
				if (previous) throw new Error(`${key} is claimed for ${kind} by both ${previous} and ${owner}`);
				claims[kind].set(key, owner);
			}
		}
	}
	return claims;
}
