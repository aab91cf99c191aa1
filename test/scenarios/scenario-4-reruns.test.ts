/**
 * `scenario 4`, the operator's side: `npm run billing:run` as a process of its own on its own database.
 * A dry run writes nothing; a run killed half-way (SIGKILL) and run again leaves one invoice per school,
 * a gapless sequence and every invoice announced; two runs at once still make one invoice per school.
 */
import { expect } from "chai";
import { spawn } from "node:child_process";
import { MongoClient, ObjectId } from "mongodb";
import { requireEnv } from "../support/platform.js";

const SCHOOLS = 200;

interface CliResult {
	code: number | null;
	stdout: string;
	stderr: string;
}

function cli(dbUrl: string, args: string[], onProgress?: (lines: string[], kill: () => void) => void): Promise<CliResult> {
	const proc = spawn(process.execPath, ["--import", "tsx", "scripts/billing-run.ts", ...args], {
		// One process, no NATS: the command runs every service itself.
		env: { ...process.env, NODE_ENV: "test", LOG_LEVEL: "warn", MONGO_URL: dbUrl, NATS_URL: "", SMTP_URL: "" },
		stdio: ["ignore", "pipe", "pipe"],
	});
	let stdout = "";
	let stderr = "";
	proc.stdout.on("data", d => (stdout += d));
	proc.stderr.on("data", d => {
		stderr += d;
		onProgress?.(stderr.split("\n").filter(l => l.startsWith("billing run")), () => proc.kill("SIGKILL"));
	});
	return new Promise(resolve => proc.once("exit", code => resolve({ code, stdout, stderr })));
}

const summaryOf = (r: CliResult) => JSON.parse(r.stdout.trim().split("\n").pop()!);

describe("scenario 4: the operator's command, a crash half-way, two runs at once", function () {
	this.timeout(300_000);
	const dbUrl = new URL(requireEnv("MONGO_URL"));
	dbUrl.pathname = `/lp_billing_run_${process.pid}_${Date.now().toString(36)}`;
	let mongo: MongoClient;

	before(async () => {
		mongo = await MongoClient.connect(dbUrl.toString());
		const db = mongo.db();
		const started = new Date("2026-08-15T00:00:00Z");
		const subscriptions = [];
		const accounts = [];
		for (let i = 0; i < SCHOOLS; i++) {
			const schoolId = new ObjectId();
			subscriptions.push({
				schoolId, plan: "essential", status: "active", lifecycle: "active", modules: [], seatLimit: 300, seatLimitOverride: null, seatsUsed: 12, seatsFree: 288,
				history: [{ at: started, plan: "essential", modules: [], seatLimit: 300 }], startedAt: started, createdAt: started, updatedAt: started,
			});
			accounts.push({ schoolId, legalName: `Lycée ${i}`, country: "FR", address: null, vatNumber: null, billingEmail: null, autoDebit: false, configured: true, createdAt: started, updatedAt: started });
		}
		await db.collection("subscriptions").insertMany(subscriptions);
		await db.collection("billingaccounts").insertMany(accounts);
	});

	after(async () => {
		if (!mongo) return;
		await mongo.db().dropDatabase().catch(() => undefined);
		await mongo.close();
	});

	const invoices = (period: string) => mongo.db().collection("invoices").find({ period }).toArray();

	it("refuses bad arguments with a usage line", async () => {
		const res = await cli(dbUrl.toString(), ["--period", "2026-13"]);
		expect(res.code).to.equal(2);
		expect(res.stderr).to.contain("usage: npm run billing:run");
		const notOver = await cli(dbUrl.toString(), ["--period", "2099-01"]);
		expect(notOver.code).to.equal(2);
		expect(notOver.stderr).to.contain("not over yet");
	});

	it("computes a dry run, prints its progress and writes nothing", async () => {
		const res = await cli(dbUrl.toString(), ["--period", "2026-09", "--dry-run", "--batch", "50"]);
		expect(res.code, res.stderr).to.equal(0);
		expect(res.stderr).to.match(/billing run 2026-09 \(dry run\): 200 schools seen · 200 invoices to create/);
		const summary = summaryOf(res);
		expect(summary).to.include({ dryRun: true, schoolsSeen: SCHOOLS, created: SCHOOLS, totalCents: SCHOOLS * 35880 });
		expect(summary.sample[0].lines[0]).to.include({ code: "essential", amountCents: 29900 });
		expect(await mongo.db().collection("invoices").countDocuments()).to.equal(0);
	});

	it("leaves one invoice per school and a gapless sequence after a run killed half-way and run again", async () => {
		let killed = false;
		const crashed = await cli(dbUrl.toString(), ["--period", "2026-10", "--batch", "2"], (lines, kill) => {
			if (!killed && lines.length >= 5) {
				killed = true;
				kill();
			}
		});
		expect(crashed.code, crashed.stderr.slice(-2000)).to.equal(null);
		const halfway = await invoices("2026-10");
		expect(halfway.length, "invoices when the run died").to.be.within(1, SCHOOLS - 1);
		// Right after the crash the month's lease is still held (nobody renews it): a rerun is refused until it lapses.
		const early = await cli(dbUrl.toString(), ["--period", "2026-10"]);
		expect(early.code, early.stderr).to.equal(3);
		expect(early.stderr).to.contain("holds the lease until");
		const lease = await mongo.db().collection("billingleases").findOne({ key: "monthly:2026-10" });
		await new Promise(r => setTimeout(r, Math.max(0, lease!.expiresAt.getTime() - Date.now()) + 200));

		const rerun = await cli(dbUrl.toString(), ["--period", "2026-10", "--batch", "50"]);
		expect(rerun.code, rerun.stderr).to.equal(0);
		const summary = summaryOf(rerun);
		expect(summary.created + halfway.filter(i => i.status !== "draft").length + halfway.filter(i => i.status === "draft").length).to.equal(SCHOOLS);
		const all = await invoices("2026-10");
		expect(all).to.have.length(SCHOOLS);
		expect(new Set(all.map(i => String(i.schoolId))).size).to.equal(SCHOOLS);
		expect(all.every(i => i.status === "pending" && i.announcedAt instanceof Date)).to.equal(true);
		const seqs = all.map(i => i.numberSeq).sort((a, b) => a - b);
		expect(seqs).to.deep.equal(Array.from({ length: SCHOOLS }, (_, i) => i + 1));
		const counter = await mongo.db().collection("billingcounters").findOne({ series: "invoice" });
		expect(counter).to.include({ seq: SCHOOLS, claim: null });
	});

	it("makes one invoice per school when two runs of a month start at once", async () => {
		const [one, two] = await Promise.all([cli(dbUrl.toString(), ["--period", "2026-09", "--batch", "20"]), cli(dbUrl.toString(), ["--period", "2026-09", "--batch", "20"])]);
		// One holds the month's lease; the other says so (3), or runs after it and finds everything done.
		expect([one.code, two.code].sort(), `${one.stderr}\n${two.stderr}`).to.satisfy((codes: number[]) => codes[0] === 0 && [0, 3].includes(codes[1]));
		const created = [one, two].filter(r => r.code === 0).reduce((n, r) => n + summaryOf(r).created, 0);
		expect(created).to.equal(SCHOOLS);
		const all = await invoices("2026-09");
		expect(all).to.have.length(SCHOOLS);
		expect(new Set(all.map(i => String(i.schoolId))).size).to.equal(SCHOOLS);
		const seqs = (await mongo.db().collection("invoices").find({}).toArray()).map(i => i.numberSeq).sort((a, b) => a - b);
		expect(seqs).to.deep.equal(Array.from({ length: 2 * SCHOOLS }, (_, i) => i + 1));
	});
});
