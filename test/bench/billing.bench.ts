/**
 * `npm run bench:billing`: the monthly invoice run at scale. Creates N schools with a subscription (a
 * paid plan since before last month) and a billing account, in a database of its own, then runs the
 * monthly job for last month (drafts, gapless numbering, announcements; auto-debit consumers see every
 * announcement), then runs it again (it must create nothing). Mail and in-app notices are consumers of
 * the announcements, outside the job: they are not loaded here, and the PDF they attach is measured on
 * its own (`pdf_ms_p50`, median render time of 50 invoices).
 *
 * N = 10,000 (BENCH_SMALL=1: 200; BENCH_SCHOOLS overrides). Reads MONGO_URL like the tests; one process,
 * no NATS. Progress goes to stderr; stdout ends with one JSON line.
 */
import { MongoClient, ObjectId } from "mongodb";
import { overrideSettings, settings } from "../../config/env.js";
import { Invoice } from "../../models/invoice.model.js";
import { invoicePdfData } from "../../services/billing/invoice-documents.js";
import { renderPdf } from "../../services/billing/invoice-pdf.js";
import { previousPeriod } from "../../services/billing/period.js";
import type { RunProgress, RunSummary } from "../../services/billing/billing-runs.service.js";
import { systemMeta } from "../../services/shared/identity.js";
import { createPlatformBroker } from "../../services/platform.js";

const small = process.env.BENCH_SMALL === "1";
const schools = Number(process.env.BENCH_SCHOOLS || (small ? 200 : 10_000));
const SERVICES = ["subscriptions", "billingAccounts", "invoices", "billingUsage", "billingRuns", "payments"];
const log = (line: string) => process.stderr.write(`${line}\n`);

function need(name: string): string {
	const value = process.env[name];
	if (!value) {
		console.error(`${name} is not set: run \`bash .ci/services.sh start\` and export what it prints`);
		process.exit(2);
	}
	return value;
}

async function seed(url: string, period: string): Promise<void> {
	const client = await MongoClient.connect(url);
	try {
		const db = client.db();
		const [y, m] = period.split("-").map(Number);
		const started = new Date(Date.UTC(y, m - 2, 10));
		const plans = ["essential", "campus", "essential", "essential"];
		for (let i = 0; i < schools; i += 1000) {
			const subs = [];
			const accounts = [];
			for (let j = i; j < Math.min(schools, i + 1000); j++) {
				const schoolId = new ObjectId();
				const plan = plans[j % plans.length];
				const seatLimit = plan === "campus" ? 3000 : 300;
				const seatsUsed = 20 + (j % 250);
				subs.push({ schoolId, plan, status: "active", lifecycle: "active", modules: [], seatLimit, seatLimitOverride: null, seatsUsed, seatsFree: seatLimit - seatsUsed, history: [{ at: started, plan, modules: [], seatLimit }], startedAt: started, createdAt: started, updatedAt: started });
				// A few schools abroad: VAT schemes other than the domestic one.
				const country = j % 20 === 0 ? "BE" : j % 33 === 0 ? "CH" : "FR";
				accounts.push({ schoolId, legalName: `Établissement ${j}`, country, vatNumber: country === "BE" ? "BE0123456789" : null, address: { line1: `${j} rue des Écoles`, line2: null, postalCode: "75005", city: "Paris", region: null }, billingEmail: null, purchaseOrder: null, autoDebit: false, configured: true, createdAt: started, updatedAt: started });
			}
			await db.collection("subscriptions").insertMany(subs, { ordered: false });
			await db.collection("billingaccounts").insertMany(accounts, { ordered: false });
			log(`seeded ${Math.min(schools, i + 1000)}/${schools} schools`);
		}
	} finally {
		await client.close();
	}
}

const median = (values: number[]) => {
	const sorted = [...values].sort((a, b) => a - b);
	return sorted[Math.floor(sorted.length / 2)];
};
const round = (n: number, digits = 2) => Number(n.toFixed(digits));

async function main(): Promise<void> {
	const base = new URL(need("MONGO_URL"));
	base.pathname = `/lp_bench_billing_${process.pid}_${Date.now().toString(36)}`;
	const url = base.toString();
	const cfg = settings();
	overrideSettings({ mongoUrl: url, natsUrl: undefined, port: 0, realtimePort: 0, logLevel: "none", nodeEnv: "test", billing: { ...cfg.billing, cron: null, dunningCron: null } });
	const period = previousPeriod(new Date(), cfg.billing.timezone);
	log(`bench:billing  ${schools} schools, period ${period}, one process (services: ${SERVICES.join(", ")})`);
	await seed(url, period);

	const broker = await createPlatformBroker(SERVICES, { nodeID: `bench-billing-${process.pid}` });
	await broker.start();
	try {
		const runs = broker.getLocalService("billingRuns") as any;
		const ctx = () => (broker.ContextFactory as any).create(broker, null, {}, { meta: systemMeta() });
		const progress = (label: string) => {
			let printed = -1;
			return (p: RunProgress) => {
				if (p.schoolsSeen === printed || (p.schoolsSeen % 2000 !== 0 && p.schoolsSeen !== schools)) return;
				printed = p.schoolsSeen;
				log(`${label}: ${p.schoolsSeen}/${schools} schools · ${p.created} created · ${p.existing} existing · ${p.finalized} final · ${(p.elapsedMs / 1000).toFixed(1)} s`);
			};
		};

		let t = performance.now();
		const first: RunSummary = await runs.runPeriod(ctx(), { period }, progress("run"));
		const duration = (performance.now() - t) / 1000;
		log(`run: ${first.created} invoices in ${duration.toFixed(1)} s (${first.announced} announced)`);

		t = performance.now();
		const second: RunSummary = await runs.runPeriod(ctx(), { period }, progress("rerun"));
		const rerun = (performance.now() - t) / 1000;
		log(`rerun: ${second.created} created, ${second.existing} already invoiced, in ${rerun.toFixed(1)} s`);

		const invoices = await Invoice.countDocuments({ period, status: { $ne: "draft" } });
		const numbers = await Invoice.find({ period }, { numberSeq: 1 }).lean();
		const seqs = new Set(numbers.map((n: any) => n.numberSeq));
		if (seqs.size !== invoices) log(`WARNING: ${invoices} invoices but ${seqs.size} distinct numbers`);

		const sample = await Invoice.find({ period }).limit(50).lean();
		const times: number[] = [];
		for (const doc of sample) {
			const start = performance.now();
			await renderPdf(invoicePdfData(doc), cfg.billing.timezone);
			times.push(performance.now() - start);
		}
		log(`pdf: ${times.length} invoices rendered, median ${median(times).toFixed(2)} ms`);

		console.log(
			JSON.stringify({
				schools,
				invoices,
				duration_s: round(duration),
				invoices_per_s: round(first.created / duration, 1),
				rerun_created: second.created,
				rerun_s: round(rerun),
				pdf_ms_p50: round(median(times)),
			}),
		);
	} finally {
		await broker.stop();
		const client = await MongoClient.connect(url);
		await client.db().dropDatabase().catch(() => undefined);
		await client.close();
	}
}

main().catch(err => {
	console.error(err);
	process.exit(1);
});
