/**
 * `npm run billing:run -- --period 2026-11 [--school ID] [--dry-run] [--batch N]`: the operator's way
 * to run (or rerun) a month's invoices. A rerun is always safe: a school invoiced already is skipped
 * (the database holds one invoice per school and period), drafts a crash left are made final, and
 * final invoices never announced are announced. Prints a progress line per batch and, last, the
 * summary as one JSON line.
 *
 * With NATS_URL the command joins the cluster (same NAMESPACE) and runs only the billing services it
 * needs; mail, notifications and auto-debit are done by the cluster's consumers of the durable events.
 * Without it, everything runs in this process, which waits for those consumers before it exits.
 * Exit codes: 0 done, 1 failed, 2 bad arguments or settings, 3 another run of that period is going on.
 */
import { parseArgs } from "node:util";
import { ConfigError, overrideSettings, settings } from "../config/env.js";
import { createPlatformBroker } from "../services/platform.js";
import type { RunProgress, RunSummary } from "../services/billing/billing-runs.service.js";
import { ERR } from "../services/shared/errors.js";
import { systemMeta } from "../services/shared/identity.js";

const USAGE = "usage: npm run billing:run -- --period YYYY-MM [--school SCHOOL_ID] [--dry-run] [--batch N]";
/** What the run calls, when other nodes (NATS) provide mail, notifications, schools and payments. */
const CLUSTER_SERVICES = ["subscriptions", "billingAccounts", "invoices", "billingUsage", "billingRuns"];
/** Alone, this process also runs the consumers of the events it publishes and what they call. */
const ALONE_SERVICES = [...CLUSTER_SERVICES, "payments", "billingNotices", "schools", "users", "notifications", "mailer", "audit"];

function fail(message: string, code: number): never {
	console.error(message);
	process.exit(code);
}

function parse() {
	let values;
	try {
		({ values } = parseArgs({
			options: {
				period: { type: "string" },
				school: { type: "string" },
				"dry-run": { type: "boolean", default: false },
				batch: { type: "string" },
				help: { type: "boolean", default: false },
			},
			strict: true,
		}));
	} catch (err) {
		fail(`${(err as Error).message}\n${USAGE}`, 2);
	}
	if (values.help) {
		console.log(USAGE);
		process.exit(0);
	}
	if (!values.period || !/^\d{4}-(0[1-9]|1[0-2])$/.test(values.period)) fail(`--period must be a month such as 2026-11\n${USAGE}`, 2);
	if (values.school !== undefined && !/^[0-9a-f]{24}$/i.test(values.school)) fail(`--school must be a school id (24 hex digits)\n${USAGE}`, 2);
	const batch = values.batch === undefined ? undefined : Number(values.batch);
	if (batch !== undefined && (!Number.isInteger(batch) || batch < 1 || batch > 1000)) fail(`--batch must be between 1 and 1000\n${USAGE}`, 2);
	return { period: values.period, schoolId: values.school, dryRun: values["dry-run"] ?? false, batchSize: batch };
}

function progressLine(p: RunProgress, dryRun: boolean): string {
	const euros = (p.totalCents / 100).toFixed(2);
	return `billing run ${p.period}${dryRun ? " (dry run)" : ""}: ${p.schoolsSeen} schools seen · ${p.created} invoices ${dryRun ? "to create" : "created"} · ${p.existing} already invoiced · ${p.nothingToBill} with nothing to bill · ${p.finalized} made final · ${euros} EUR · ${(p.elapsedMs / 1000).toFixed(1)} s`;
}

/** In one process the durable consumers (mail, payments) run here: wait until they have nothing in hand. */
async function drainChannels(broker: any, timeoutMs = 120_000): Promise<void> {
	const adapter = broker.channelAdapter;
	if (!adapter?.activeMessages) return;
	const deadline = Date.now() + timeoutMs;
	let quiet = 0;
	while (Date.now() < deadline && quiet < 3) {
		const active = [...adapter.activeMessages.values()].reduce((n: number, list: unknown[]) => n + list.length, 0);
		quiet = active === 0 ? quiet + 1 : 0;
		await new Promise(r => setTimeout(r, 100));
	}
}

async function main(): Promise<void> {
	const options = parse();
	let cfg;
	try {
		cfg = settings();
	} catch (err) {
		if (err instanceof ConfigError) fail(err.message, 2);
		throw err;
	}
	if (!cfg.mongoUrl) fail("MONGO_URL is not set: the run works on the platform's database", 2);
	// This process runs the job once; the schedules belong to the platform's nodes.
	overrideSettings({ billing: { ...cfg.billing, cron: null, dunningCron: null }, port: 0, realtimePort: 0 });
	const services = cfg.natsUrl ? CLUSTER_SERVICES : ALONE_SERVICES;
	const broker = await createPlatformBroker(services, { nodeID: `billing-run-${process.pid}` });
	await broker.start();
	const tty = process.stderr.isTTY;
	let code = 0;
	try {
		const runs = broker.getLocalService("billingRuns") as any;
		const ctx = (broker.ContextFactory as any).create(broker, null, {}, { meta: systemMeta() });
		const summary: RunSummary = await runs.runPeriod(ctx, options, (p: RunProgress) => {
			const line = progressLine(p, options.dryRun);
			if (tty) process.stderr.write(`\r${line}\x1b[K`);
			else process.stderr.write(`${line}\n`);
		});
		if (tty) process.stderr.write("\n");
		if (!cfg.natsUrl && !options.dryRun) await drainChannels(broker);
		console.log(JSON.stringify(summary));
	} catch (err: any) {
		if (tty) process.stderr.write("\n");
		if (err?.type === ERR.RUN_IN_PROGRESS) {
			console.error(`${err.message}: try again once it is over`);
			code = 3;
		} else if (err?.code === 422 || err?.code === 503) {
			console.error(err.message);
			code = 2;
		} else {
			console.error("The billing run failed:", err);
			code = 1;
		}
	} finally {
		await broker.stop();
	}
	process.exit(code);
}

void main();
