/**
 * `invoice numbering`: numbers are sequential per year with no gap and no repeat, given only when an
 * invoice becomes final, whatever finalises at once: two platform nodes over NATS, the same drafts asked
 * of both, or a finaliser that dies between taking numbers and writing them.
 */
import { expect } from "chai";
import { randomBytes, randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { ServiceBroker } from "moleculer";
import mongoose from "mongoose";
import { BillingCounter } from "../../models/billing-counter.model.js";
import { Invoice } from "../../models/invoice.model.js";
import { finalizeDrafts, numberingGaps } from "../../services/billing/numbering.js";
import { systemMeta } from "../../services/shared/identity.js";
import { freePort, spawnNode, until, type NodeProcess } from "../support/nodes.js";
import { bootPlatform, requireEnv } from "../support/platform.js";
import { resetClock, setClock, system } from "../support/billing.js";

/** A draft as the monthly run makes it, for a school id of its own. */
function draft(period: string, totalCents = 1000) {
	return {
		schoolId: new mongoose.Types.ObjectId().toHexString(),
		period,
		currency: "eur",
		seller: { name: "Seller", address: ["1 rue"], country: "FR" },
		buyer: { name: "Buyer", address: [], country: "FR" },
		lines: [{ kind: "plan", code: "essential", description: "Abonnement", quantity: 1, unitAmountCents: totalCents, amountCents: totalCents }],
		subtotalCents: totalCents,
		vat: { scheme: "export", rateBps: 0, amountCents: 0, mention: "" },
		totalCents,
		amountDueCents: totalCents,
		periodStart: new Date("2034-01-01T00:00:00Z"),
		periodEnd: new Date("2034-02-01T00:00:00Z"),
		checks: {},
	};
}

const seqsOf = (docs: any[]) => docs.map(d => d.numberSeq).sort((a, b) => a - b);
const range = (lo: number, hi: number) => Array.from({ length: hi - lo + 1 }, (_, i) => lo + i);

describe("invoice numbering", function () {
	this.timeout(180_000);

	describe("in one process", () => {
		before(async () => {
			await bootPlatform();
			// This suite owns the 2034 series of the shared test database.
			setClock("2034-02-01T02:00:00+01:00");
		});
		after(resetClock);

		async function drafts(period: string, n: number): Promise<string[]> {
			const made = await system("invoices.createDrafts", { drafts: Array.from({ length: n }, () => draft(period)) });
			expect(made.created).to.equal(n);
			const docs = await Invoice.find({ period, status: "draft" }, { _id: 1 }).sort({ _id: 1 }).lean();
			return docs.map(d => String(d._id));
		}

		it("gives a number only at finalisation, with the issue date, due date and content hash", async () => {
			const [id] = await drafts("2034-01", 1);
			const before = await Invoice.findById(id).lean<any>();
			expect(before.status).to.equal("draft");
			expect(before).to.not.have.property("number");
			const done = await system("invoices.finalizeDrafts", { ids: [id] });
			expect(done.finalized).to.deep.equal([id]);
			const after = await Invoice.findById(id).lean<any>();
			expect(after.number).to.match(/^FA-2034-\d{6}$/);
			expect(after).to.include({ status: "pending", numberYear: 2034 });
			expect(after.issueDate.toISOString()).to.equal("2034-02-01T01:00:00.000Z");
			expect(after.dueDate.toISOString()).to.equal("2034-03-03T01:00:00.000Z");
			expect(after.contentHash).to.match(/^[0-9a-f]{64}$/);
		});

		it("numbers the same drafts once when they are finalised many times at once", async () => {
			const ids = await drafts("2034-02", 12);
			const results = await Promise.all(Array.from({ length: 5 }, () => system("invoices.finalizeDrafts", { ids })));
			const finalized = results.flatMap(r => r.finalized);
			expect(new Set(finalized).size, "each draft finalised by exactly one call").to.equal(12);
			expect(finalized).to.have.length(12);
			const docs = await Invoice.find({ numberYear: 2034 }).lean();
			expect(seqsOf(docs)).to.deep.equal(range(1, docs.length));
		});

		it("reuses the numbers of a finaliser that died between taking them and writing them", async () => {
			const [crashed, next] = await drafts("2034-03", 2).then(ids => [[ids[0]], [ids[1]]]);
			const top = (await BillingCounter.findById("invoice:2034").lean<any>()).seq;
			// The first finaliser takes number top+1 and dies before writing it (no cleanup runs, as in a crash).
			let err: any;
			await finalizeDrafts(crashed, {
				series: "invoice",
				counters: BillingCounter,
				documents: Invoice,
				timeZone: "Europe/Paris",
				now: () => new Date("2034-02-01T01:00:00Z"),
				claimTtlMs: 300,
				finalFields: () => ({ status: "pending" }),
				beforeWrite: () => {
					throw new Error("crash");
				},
			}).catch(e => (err = e));
			expect(err?.message).to.equal("crash");
			const claimed = await BillingCounter.findById("invoice:2034").lean<any>();
			expect(claimed.seq).to.equal(top + 1);
			expect(claimed.claim).to.include({ lo: top + 1, hi: top + 1 });
			expect(await Invoice.countDocuments({ numberYear: 2034, numberSeq: top + 1 })).to.equal(0);

			// Once the claim lapses, the next finalisation puts the orphaned number on its draft, with the claim's issue date.
			await new Promise(r => setTimeout(r, 400));
			const other = await system("invoices.finalizeDrafts", { ids: next });
			expect(other.finalized).to.deep.equal(next);
			expect((await Invoice.findById(next[0]).lean<any>()).numberSeq).to.equal(top + 1);
			// The crashed draft, run again, gets the next number: no gap, no repeat.
			await system("invoices.finalizeDrafts", { ids: crashed });
			expect((await Invoice.findById(crashed[0]).lean<any>()).numberSeq).to.equal(top + 2);
			const docs = await Invoice.find({ numberYear: 2034 }).lean();
			expect(seqsOf(docs)).to.deep.equal(range(1, docs.length));
			const gaps = await numberingGaps(BillingCounter, Invoice, "invoice");
			expect(gaps.find(g => g.year === 2034)).to.include({ missing: 0, inProgress: false });
		});

		it("fills last year's orphaned number with last year's date when the crash straddles New Year", async () => {
			const [late, early] = await drafts("2039-12", 2).then(ids => [[ids[0]], [ids[1]]]);
			const opts = (now: string) => ({
				series: "invoice" as const,
				counters: BillingCounter,
				documents: Invoice,
				timeZone: "Europe/Paris",
				now: () => new Date(now),
				claimTtlMs: 200,
				finalFields: (_d: any, a: any) => ({ status: "pending", issueDate: a.issuedAt }),
			});
			// 31 December 2039, 23:59:59 in Paris: the number is taken, then the process dies.
			await finalizeDrafts(late, { ...opts("2039-12-31T22:59:59Z"), beforeWrite: () => Promise.reject(new Error("crash")) }).catch(() => undefined);
			await new Promise(r => setTimeout(r, 300));
			// 1 January 2040: the next finalisation first settles the 2039 claim (with its date), then numbers in 2040.
			const done = await finalizeDrafts([...early, ...late], opts("2039-12-31T23:00:01Z"));
			expect(done.finalized).to.have.length(2);
			const docs = await Invoice.find({ _id: { $in: [...early, ...late] } }).lean<any[]>();
			const byYear = Object.fromEntries(docs.map(d => [d.numberYear, d]));
			expect(byYear[2039]).to.include({ numberSeq: 1 });
			expect(byYear[2039].issueDate.toISOString()).to.equal("2039-12-31T22:59:59.000Z");
			expect(byYear[2040]).to.include({ numberSeq: 1 });
			const gaps = await numberingGaps(BillingCounter, Invoice, "invoice");
			expect(gaps.filter(g => g.year === 2039 || g.year === 2040).map(g => [g.year, g.missing, g.inProgress])).to.deep.equal([[2039, 0, false], [2040, 0, false]]);
		});

		it("never lets a final invoice's content be written again", async () => {
			const doc = await Invoice.findOne({ numberYear: 2034 });
			let err: any;
			await Invoice.updateOne({ _id: doc!._id }, { $set: { totalCents: 1 } }).catch(e => (err = e));
			expect(err?.message).to.match(/never edited/);
			err = undefined;
			await Invoice.findOneAndUpdate({ _id: doc!._id }, { $set: { "buyer.name": "Someone else" } }).catch(e => (err = e));
			expect(err?.message).to.match(/never edited/);
			// The payment state may move.
			await Invoice.updateOne({ _id: doc!._id }, { $set: { status: "pending" } });
			expect((await Invoice.findById(doc!._id).lean<any>()).totalCents).to.equal(1000);
		});
	});

	describe("on two nodes over NATS", () => {
		const natsUrl = requireEnv("NATS_URL");
		const dbUrl = new URL(requireEnv("MONGO_URL"));
		dbUrl.pathname = `/lp_numbering_${process.pid}_${Date.now().toString(36)}`;
		const env = {
			NATS_URL: natsUrl,
			MONGO_URL: dbUrl.toString(),
			JWT_SECRET: randomBytes(32).toString("hex"),
			NAMESPACE: `numbering-${randomUUID().slice(0, 8)}`,
		};
		const nodes: NodeProcess[] = [];
		let client: ServiceBroker;
		let mongo: MongoClient;
		const ids = { a: `${env.NAMESPACE}-a`, b: `${env.NAMESPACE}-b` };

		const call = (node: string, action: string, params: Record<string, unknown>) => client.call(action, params, { nodeID: node, meta: systemMeta(), timeout: 120_000 }) as Promise<any>;

		before(async () => {
			nodes.push(spawnNode("invoices-a", { ...env, SERVICES: "invoices", NODE_ID: ids.a, PORT: String(await freePort()) }));
			nodes.push(spawnNode("invoices-b", { ...env, SERVICES: "invoices", NODE_ID: ids.b, PORT: String(await freePort()) }));
			client = new ServiceBroker({ namespace: env.NAMESPACE, nodeID: `${env.NAMESPACE}-client`, transporter: { type: "NATS", options: { url: natsUrl } }, logger: false });
			await client.start();
			await until(
				async () => {
					const list = client.registry.getServiceList({ onlyAvailable: true }) as { name: string; nodeID: string }[];
					return [ids.a, ids.b].every(id => list.some(s => s.name === "invoices" && s.nodeID === id));
				},
				"both invoices nodes",
				90_000,
				nodes,
			);
			mongo = await MongoClient.connect(env.MONGO_URL);
		});

		after(async () => {
			await client?.stop();
			await Promise.all(nodes.map(n => n.stop()));
			if (mongo) {
				await mongo.db().dropDatabase().catch(() => undefined);
				await mongo.close();
			}
		});

		async function draftsOnNodes(period: string, n: number): Promise<string[]> {
			const made = await call(ids.a, "invoices.createDrafts", { drafts: Array.from({ length: n }, () => draft(period)) });
			expect(made.created).to.equal(n);
			const docs = await mongo.db().collection("invoices").find({ period, status: "draft" }, { projection: { _id: 1 } }).sort({ _id: 1 }).toArray();
			return docs.map(d => String(d._id));
		}

		it("finalises drafts concurrently on both nodes into one gapless sequence", async () => {
			const all = await draftsOnNodes("2026-10", 60);
			const chunks = Array.from({ length: 12 }, (_, i) => all.slice(i * 5, i * 5 + 5));
			// Even chunks to node a, odd to node b, all at once.
			const results = await Promise.all(chunks.map((chunk, i) => call(i % 2 === 0 ? ids.a : ids.b, "invoices.finalizeDrafts", { ids: chunk }).then(r => ({ node: i % 2 === 0 ? "a" : "b", chunk, r }))));
			for (const { chunk, r } of results) expect([...r.finalized].sort()).to.deep.equal([...chunk].sort());
			const docs = await mongo.db().collection("invoices").find({ _id: { $in: all.map(id => new mongoose.Types.ObjectId(id)) } }).toArray();
			expect(docs.every(d => d.status === "pending")).to.equal(true);
			expect(seqsOf(docs)).to.deep.equal(range(1, 60));
			expect(new Set(docs.map(d => d.number)).size).to.equal(60);
			const year = docs[0].numberYear;
			expect(docs.every(d => d.number === `FA-${year}-${String(d.numberSeq).padStart(6, "0")}`)).to.equal(true);
		});

		it("keeps one invoice per school and period when both nodes insert the same ones at once (unique index)", async () => {
			const same = Array.from({ length: 30 }, () => draft("2026-08"));
			const [a, b] = await Promise.all([call(ids.a, "invoices.createDrafts", { drafts: same }), call(ids.b, "invoices.createDrafts", { drafts: same })]);
			expect(a.created + b.created).to.equal(30);
			expect(a.duplicates + b.duplicates).to.equal(30);
			expect(await mongo.db().collection("invoices").countDocuments({ period: "2026-08" })).to.equal(30);
			await mongo.db().collection("invoices").deleteMany({ period: "2026-08" });
		});

		it("numbers each draft once when both nodes are asked to finalise the same drafts", async () => {
			const all = await draftsOnNodes("2026-09", 40);
			const [a, b, a2, b2] = await Promise.all([
				call(ids.a, "invoices.finalizeDrafts", { ids: all }),
				call(ids.b, "invoices.finalizeDrafts", { ids: all }),
				call(ids.a, "invoices.finalizeDrafts", { ids: [...all].reverse() }),
				call(ids.b, "invoices.finalizeDrafts", { period: "2026-09" }),
			]);
			const finalized = [...a.finalized, ...b.finalized, ...a2.finalized, ...b2.finalized];
			expect(finalized).to.have.length(40);
			expect(new Set(finalized).size).to.equal(40);
			const docs = await mongo.db().collection("invoices").find({ numberYear: { $exists: true } }).toArray();
			expect(seqsOf(docs)).to.deep.equal(range(1, 100));
			const counter = await mongo.db().collection("billingcounters").findOne({ series: "invoice" });
			expect(counter).to.include({ seq: 100, claim: null });
		});
	});
});
