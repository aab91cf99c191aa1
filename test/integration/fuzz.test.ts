/**
 * `fuzz` (issue 9 §5): schemathesis, driven by the platform's own /api/openapi.json, against the
 * platform this mocha process booted (a free port), as each role: school_admin, teacher, student of a
 * populated school, platform_admin, support, and anonymous. Valid and invalid requests alike
 * (`--mode all`), and for each caller:
 * - no 5xx (schemathesis's `not_a_server_error`) and no request left without an answer (its request
 *   timeout);
 * - no stored change by a refused request: every write is attributed to the request that caused it
 *   (test/support/write-recorder.ts) and a request answered 4xx must have changed nothing (failed logins
 *   are audited by design, and leases are taken and released: those are allowed);
 * - for a school's members, nothing of another school changes (db-snapshot.ts), whatever was accepted.
 *
 * The budget is small in CI (FUZZ_EXAMPLES=3 cases per operation and phase, a fixed seed, so a run is
 * reproducible) and larger with `npm run fuzz` (FUZZ_EXAMPLES=30 and a random seed, which schemathesis
 * prints). FUZZ_PHASES, FUZZ_WORKERS, FUZZ_REQUEST_TIMEOUT and FUZZ_SEED adjust it.
 */
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import type { Account } from "../support/accounts.js";
import { describeChanges, diff, schoolFilter, settledSnapshot } from "../support/db-snapshot.js";
import { bootPlatform } from "../support/platform.js";
import { fuzz, schemathesis, type FuzzBudget } from "../support/schemathesis.js";
import { createStaff, populateLearning, populateSchool, type PopulatedSchool } from "../support/two-schools.js";
import { recordWrites, type RecordedRequest } from "../support/write-recorder.js";

type Role = "school_admin" | "teacher" | "student" | "platform_admin" | "support" | "anonymous";
const ROLES: readonly Role[] = ["school_admin", "teacher", "student", "platform_admin", "support", "anonymous"];

function envInt(name: string, fallback: number): number {
	const raw = process.env[name];
	return raw && /^\d+$/.test(raw) ? Number(raw) : fallback;
}

const BUDGET: FuzzBudget = {
	examples: envInt("FUZZ_EXAMPLES", 3),
	phases: (process.env.FUZZ_PHASES ?? "examples,coverage,fuzzing").split(",").map(s => s.trim()).filter(Boolean),
	requestTimeout: envInt("FUZZ_REQUEST_TIMEOUT", 15),
	workers: envInt("FUZZ_WORKERS", 2),
	seed: process.env.FUZZ_SEED === "random" ? undefined : envInt("FUZZ_SEED", 20261207),
};

/**
 * Operations a fuzzer must not run with a valid body as these callers: they end the caller's own session
 * or account, after which every later request of the run is a 401 and fuzzes nothing. They are fuzzed
 * in the negative runs (and by the `bad input` and auth suites).
 */
const SESSION_ENDING = ["^/api/auth/logout$", "^/api/auth/password$"];

interface World {
	a: PopulatedSchool;
	b: PopulatedSchool;
	staff: Record<"platform_admin" | "support", Account>;
}

let world: World;

function tokenOf(role: Role): string | undefined {
	switch (role) {
		case "anonymous":
			return undefined;
		case "platform_admin":
		case "support":
			return world.staff[role].token;
		default:
			return world.a.members[role].token;
	}
}

/** Writes a refused request may make: an audit entry of a failed login (by design), a lease taken and released. */
function allowedWrite(w: RecordedRequest["writes"][number]): boolean {
	// FerretDB-era leases (authleases, userleases, …): inserted and deleted again within the request.
	if (/leases$/.test(w.collection) && (w.op === "insertOne" || w.op === "deleteOne")) return true;
	return w.collection === "auditentries" && w.op === "insertOne" && w.detail.includes('"action":"auth.login.failed"');
}

function refusedWithChanges(requests: RecordedRequest[]): string[] {
	return requests
		.filter(r => r.status >= 400 && r.status < 500)
		.flatMap(r => r.writes.filter(w => !allowedWrite(w)).map(w => `${r.method} ${r.url} -> ${r.status}, yet ${w.op} on ${w.collection}: ${w.detail}`));
}

describe("fuzz", function () {
	this.timeout(Math.max(300_000, BUDGET.examples * 60_000));
	let baseUrl = "";

	before(async function () {
		this.timeout(300_000);
		// Installs schemathesis on first use (CI's .ci/run has done it already).
		await schemathesis();
		const { broker } = await bootPlatform();
		// 127.0.0.1 rather than the platform's own base URL: schemathesis resolves "localhost" to ::1 first.
		const api = broker.getLocalService("api") as unknown as { server: import("node:http").Server };
		baseUrl = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`;
		const [a, b, platformAdmin, support] = await Promise.all([
			populateSchool({ prefix: "FuzzA", pupilUsername: "fuzzpupil" }),
			populateSchool({ prefix: "FuzzB", pupilUsername: "fuzzpupil" }),
			createStaff("platform_admin"),
			createStaff("support"),
		]);
		await populateLearning(a, { prefix: "FuzzA" });
		world = { a, b, staff: { platform_admin: platformAdmin, support } };
		console.log(`      fuzz budget: ${JSON.stringify(BUDGET)}`);
	});

	for (const role of ROLES) {
		it(`${role}: no 5xx, no hang, no stored change by a refused request`, async () => {
			const { broker } = await bootPlatform();
			const server = (broker.getLocalService("api") as unknown as { server: import("node:http").Server }).server;
			// A school's member may change their own school, never another one.
			const otherSchool = role === "platform_admin" || role === "support" ? undefined : schoolFilter(world.b.id, Object.values(world.b.members).map(m => m.id));
			const before = otherSchool ? await settledSnapshot(otherSchool) : undefined;

			const recorder = recordWrites(server);
			let result;
			try {
				result = await fuzz({ baseUrl, token: tokenOf(role), mode: "all", budget: BUDGET, label: role, excludePaths: role === "anonymous" ? [] : SESSION_ENDING });
				// Writes that land after their answer (events, durable consumers) are still attributed.
				await settledSnapshot();
			} finally {
				recorder.stop();
			}
			const answered = recorder.requests.length;
			const refused = recorder.requests.filter(r => r.status >= 400 && r.status < 500).length;
			console.log(`      ${role}: ${result.summary} in ${result.seconds.toFixed(0)} s; ${answered} requests, ${refused} refused`);
			expect(result.ok, `schemathesis as ${role} found 5xx or hangs:\n${result.failures}`).to.equal(true);
			expect(answered, "schemathesis sent requests").to.be.greaterThan(0);
			expect(recorder.requests.filter(r => r.status === 0).map(r => `${r.method} ${r.url}`), "requests never answered").to.deep.equal([]);
			expect(refusedWithChanges(recorder.requests), `refused requests as ${role} changed stored data`).to.deep.equal([]);
			if (otherSchool && before) {
				const after = await settledSnapshot(otherSchool);
				expect(describeChanges(diff(before, after)), `as ${role} of school A, school B's data changed`).to.deep.equal([]);
			}
		});
	}
});
