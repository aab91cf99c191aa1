/**
 * `npm run reporting:rebuild [-- --school ID] [--verify] [--force]`: rebuilds reporting's projections from
 * scratch from the owners' export actions, while the platform keeps running and its live feed keeps flowing
 * (services/reporting/rebuild/rebuild.ts says how). Runs the owners' services in this process against
 * MONGO_URL (or, when unset, the embedded database of DATA_DIR: scripts/admin-database.ts), with a progress
 * bar (a line every few seconds when the output is not a terminal), and prints a JSON summary.
 */
import { parseArgs } from "node:util";
import cliProgress from "cli-progress";
import { EXPORT_SERVICES } from "../services/reporting/rebuild/export-services.js";
import { rebuild } from "../services/reporting/rebuild/rebuild.js";
import { fail, runAdminCommand } from "./admin-database.js";

const USAGE = "usage: npm run reporting:rebuild [-- --school <schoolId>] [--verify] [--force]";

function readArgs() {
	try {
		const { values } = parseArgs({
			options: { school: { type: "string" }, verify: { type: "boolean", default: false }, force: { type: "boolean", default: false }, help: { type: "boolean", default: false } },
			strict: true,
		});
		if (values.help) {
			console.log(USAGE);
			process.exit(0);
		}
		if (values.school !== undefined && !/^[0-9a-f]{24}$/i.test(values.school)) fail(`--school must be a school id (24 hex digits)\n${USAGE}`);
		return values;
	} catch (err) {
		fail(`${(err as Error).message}\n${USAGE}`);
	}
}

async function main(): Promise<void> {
	const args = readArgs();
	const bar = new cliProgress.SingleBar(
		{ format: "{school} [{bar}] {percentage}% | {value}/{total} records | {stage}", noTTYOutput: true, notTTYSchedule: 3000, hideCursor: true },
		cliProgress.Presets.shades_classic,
	);
	await runAdminCommand(
		"reporting-rebuild",
		EXPORT_SERVICES,
		async broker => {
			// This process only reads: the platform's own nodes expire idle revision sessions (a session this one
			// expired would announce it on this process's in-memory channel, which nobody here consumes).
			clearInterval((broker.getLocalService("revisions") as any)?.expireTimer);
			const reports = await rebuild(broker, {
				schoolId: args.school,
				verify: args.verify,
				force: args.force,
				onSchool: (schoolId, total) => bar.start(Math.max(total, 1), 0, { school: schoolId, stage: "starting" }),
				onProgress: p => bar.update(p.done, { stage: p.stage }),
				beforeSwitch: async () => {
					bar.stop();
				},
			});
			console.log(JSON.stringify({ schools: reports.length, records: reports.reduce((a, r) => a + r.records, 0), reports }, null, 2));
			if (reports.some(r => r.differences && r.differences.length > 0)) {
				console.error("The rebuilt projections differ from the incremental ones (see differences): facts were lost or in doubt before.");
			}
		},
		{
			// Nor run the platform's jobs.
			settings: { communicationTickCron: "off" },
			onError: (err: any) => {
				bar.stop();
				console.error(`reporting:rebuild failed: ${err?.message ?? err}`);
			},
		},
	);
}

void main();
