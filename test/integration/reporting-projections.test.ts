/**
 * `reporting projections`: the aggregator builds its daily buckets from the durable feed. Real activity through
 * the API reaches the dashboards; late and out-of-order events land on their own local day; replaying the
 * whole feed (twice) changes nothing; billing events out of order give the right invoice status; a rebuild from
 * the owners' exports, with the live feed flowing meanwhile, equals the incrementally maintained projections,
 * in-process and through `npm run reporting:rebuild` in another process.
 */
import { expect } from "chai";
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promisify } from "node:util";
import type { ExportPage } from "../../services/shared/feed-export.js";
import { rebuild } from "../../services/reporting/rebuild/rebuild.js";
import { EXPORTS } from "../../services/reporting/rebuild/rebuild.js";
import { invite, signupSchool } from "../support/accounts.js";
import { openConversation } from "../support/chat.js";
import { bootPlatform, http, settings, systemMeta, unique } from "../support/platform.js";
import { dashboard, eventually, feedSettled, projectionSnapshot, publish, reportingSchool, revise, type ReportingSchool } from "../support/reporting.js";

const run = promisify(execFile);
const hex = () => randomBytes(12).toString("hex");
const review = (schoolId: string, studentId: string, reviewedAt: string, extra: Record<string, unknown> = {}) => ({
	id: `learning.review.recorded:${unique("log")}`,
	schoolId,
	reviewedAt,
	occurredAt: reviewedAt,
	studentId,
	itemId: hex(),
	pathId: null,
	teacherId: null,
	rating: 3,
	correct: true,
	counted: true,
	first: false,
	retrievability: 0.8,
	stability: 4,
	responseTimeMs: 4000,
	source: "solo",
	...extra,
});

/** Every stored fact of a school, as its owners replay it (the same messages their live feed carried). */
async function wholeFeed(schoolId: string): Promise<{ channel: string; message: any }[]> {
	const { broker } = await bootPlatform();
	const rows: { channel: string; message: any }[] = [];
	for (const action of ["schools.export", ...EXPORTS]) {
		for (let after: string | null = null; ; ) {
			const page = (await broker.call(action, { schoolId, limit: 500, ...(after ? { after } : {}) }, { meta: systemMeta() })) as ExportPage;
			rows.push(...page.rows);
			if (!page.next) break;
			after = page.next;
		}
	}
	return rows;
}

describe("reporting projections", function () {
	this.timeout(120_000);
	let school: ReportingSchool;

	before(async () => {
		await bootPlatform();
		school = await reportingSchool();
	});

	it("a revision session through the API reaches the student's, class's and school's figures", async () => {
		const classStudent = school.students[2];
		const done = await revise(school, classStudent, ["capital", "sea", "earth"]);
		expect(done.answered).to.equal(5);
		const mine = await eventually(
			() => dashboard(`/api/reporting/students/${classStudent.id}`, classStudent),
			d => d.summary.reviews === 5 && d.summary.sessionsCompleted === 1,
		);
		expect(mine.summary).to.include({ reviews: 5, correct: 3, sessionsCompleted: 1, newItems: 5 });
		expect(mine.period.timeZone).to.equal("Europe/Paris");
		expect(mine.period.days).to.equal(30);
		expect(mine.streak.days).to.equal(1);
		expect(mine.reviewsPerDay.at(-1)).to.include({ reviews: 5, correct: 3 });
		// The two wrong items are the weakest, with their titles (asked of the content owner).
		const weakest = mine.weakestItems.slice(0, 2).map((w: any) => w.title).sort();
		expect(weakest).to.deep.equal(["Everest", "Italy"]);
		expect(mine.paths.map((p: any) => p.pathId)).to.deep.equal([school.pathId]);

		const cls = await eventually(() => dashboard(`/api/reporting/classes/${school.classId}`, school.teacher), d => d.summary.reviews === 5);
		expect(cls.summary).to.include({ students: 1, activeStudents: 1, reviews: 5, sessionsCompleted: 1 });
		expect(cls.completion.map((c: any) => c.pathId)).to.deep.equal([school.pathId]);
		const admin = await dashboard("/api/reporting/school", school.admin);
		expect(admin.summary.reviews).to.equal(5);
		expect(admin.activeUsers.perDay.at(-1).students).to.equal(1);
		expect(admin.engagementByClass.find((c: any) => c.classId === school.classId).reviews).to.equal(5);
		expect(admin.seats.used).to.equal(5);
	});

	it("late and out-of-order events land on the event's own day in the school's time zone", async () => {
		const ny = await signupSchool({ timezone: "America/New_York" });
		const student = await invite(ny.admin, "student");
		// 03:30 UTC on the 15th is 23:30 on the 14th in New York (EDT, UTC-4); 04:30 UTC is 00:30 on the 15th.
		await publish("learning.review.recorded", review(ny.school.id, student.id, "2026-03-15T04:30:00Z", { correct: false }));
		await publish("learning.review.recorded", review(ny.school.id, student.id, "2026-03-15T03:30:00Z"));
		await publish("learning.review.recorded", review(ny.school.id, student.id, "2026-03-10T15:00:00Z"));
		const d = await eventually(() => dashboard(`/api/reporting/students/${student.id}?from=2026-03-09&to=2026-03-16`, student), x => x.summary.reviews === 3);
		const byDay = Object.fromEntries(d.reviewsPerDay.map((r: any) => [r.day, [r.reviews, r.correct]]));
		expect(byDay["2026-03-14"]).to.deep.equal([1, 1]);
		expect(byDay["2026-03-15"]).to.deep.equal([1, 0]);
		expect(byDay["2026-03-10"]).to.deep.equal([1, 1]);
		expect(d.period).to.deep.equal({ from: "2026-03-09", to: "2026-03-16", days: 8, timeZone: "America/New_York" });
		// A late session end counts on its own day too.
		await publish("learning.session.completed", { id: `learning.session.completed:${hex()}`, schoolId: ny.school.id, occurredAt: "2026-03-11T02:00:00Z", sessionId: hex(), studentId: student.id, pathId: hex(), stepId: hex(), teacherId: null, mode: "normal", status: "completed", score: 0.5, successRate: 0.5, timeSpentMs: 600_000, answered: 4, correct: 2 });
		const later = await eventually(() => dashboard(`/api/reporting/students/${student.id}?from=2026-03-09&to=2026-03-16`, student), x => x.summary.sessionsCompleted === 1);
		expect(later.reviewsPerDay.find((r: any) => r.day === "2026-03-10").minutes).to.equal(10);
	});

	it("replaying the whole feed twice changes no projection", async () => {
		await revise(school, school.students[0], ["capital", "everest"]);
		await eventually(() => dashboard(`/api/reporting/students/${school.students[0].id}`, school.students[0]), d => d.summary.reviews === 5);
		await feedSettled();
		const before = await projectionSnapshot(school.school.id);
		const feed = await wholeFeed(school.school.id);
		expect(feed.filter(r => r.channel === "learning.review.recorded")).to.have.length(10);
		for (let round = 0; round < 2; round++) for (const { channel, message } of feed) await publish(channel, message);
		await feedSettled();
		const after = await projectionSnapshot(school.school.id);
		for (const model of Object.keys(before)) expect(after[model], model).to.deep.equal(before[model]);
	});

	it("billing events, even out of order, give each invoice its latest status; school and platform admins see them", async () => {
		const month = new Date().toISOString().slice(0, 7);
		const paidId = hex();
		const openId = hex();
		const base = (invoiceId: string, number: string) => ({ schoolId: school.school.id, invoiceId, number, period: month, amountDueCents: 12_000, currency: "EUR" });
		const t = (minutes: number) => new Date(Date.now() - 3 * 86_400_000 + minutes * 60_000).toISOString();
		// Paid arrives before the failed attempt it follows, and before the invoice's creation.
		await publish("billing.invoice.paid", { ...base(paidId, "2026-000101"), id: `billing.invoice.paid:${paidId}`, occurredAt: t(30), amountDueCents: 0, amountPaidCents: 12_000, paymentId: "pi_1", method: "card" });
		await publish("billing.invoice.payment_failed", { ...base(paidId, "2026-000101"), id: `billing.invoice.payment_failed:${paidId}:pi_0`, occurredAt: t(10), attempt: 1, reason: "card_declined" });
		await publish("billing.invoice.created", { ...base(paidId, "2026-000101"), id: `billing.invoice.created:${paidId}`, occurredAt: t(0), totalCents: 12_000, dueDate: t(60 * 24) });
		await publish("billing.invoice.created", { ...base(openId, "2026-000102"), id: `billing.invoice.created:${openId}`, occurredAt: t(1), totalCents: 8_000, amountDueCents: 8_000, dueDate: t(60 * 24) });
		const admin = await eventually(() => dashboard("/api/reporting/school", school.admin), d => d.invoices.rows.length === 2 && d.invoices.rows.some((r: any) => r.status === "paid" && r.totalCents === 12_000));
		const paid = admin.invoices.rows.find((r: any) => r.invoiceId === paidId);
		expect(paid).to.include({ status: "paid", amountDueCents: 0, totalCents: 12_000, paymentAttempts: 1, number: "2026-000101" });
		expect(admin.invoices.outstandingCents).to.equal(8_000);
		expect(admin.invoices.overdue).to.equal(1);

		const { createPlatformAdmin } = await import("../support/accounts.js");
		const root = await createPlatformAdmin();
		const platform = await dashboard("/api/reporting/platform?months=3", root);
		const current = platform.mrr.perMonth.find((m: any) => m.month === month);
		expect(current.cents).to.be.at.least(20_000);
		expect(platform.outstanding.cents).to.be.at.least(8_000);
		expect(platform.schools.perMonth.at(-1).new).to.be.at.least(2);
		expect(platform.usage.find((u: any) => u.schoolId === school.school.id).reviews).to.equal(10);
	});

	it("a rebuild from the owners' exports, with the live feed flowing meanwhile, equals the incremental projections", async () => {
		const { broker } = await bootPlatform();
		await feedSettled();
		const beforeDash = await dashboard(`/api/reporting/classes/${school.classId}`, school.teacher);
		let live: Promise<unknown> = Promise.resolve();
		const reports = await rebuild(broker, {
			schoolId: school.school.id,
			verify: true,
			settleMs: 200,
			pageSize: 3,
			onSchool: () => {
				// Live activity while the rebuild pages through the exports: a whole session of the third student.
				live = revise(school, school.students[1], ["capital"]);
			},
			beforeSwitch: async () => {
				await live;
				await eventually(() => dashboard(`/api/reporting/students/${school.students[1].id}`, school.students[1]), d => d.summary.reviews === 5);
				await feedSettled();
			},
		});
		expect(reports).to.have.length(1);
		expect(reports[0].differences).to.deep.equal([]);
		expect(reports[0].records).to.be.greaterThan(20);
		const after = await dashboard(`/api/reporting/classes/${school.classId}`, school.teacher);
		expect(after.summary).to.deep.equal(beforeDash.summary);
		const second = await dashboard(`/api/reporting/students/${school.students[1].id}`, school.students[1]);
		expect(second.summary.reviews).to.equal(5);
	});

	it("npm run reporting:rebuild rebuilds a school from another process, with a progress bar, while this one keeps feeding", async function () {
		this.timeout(180_000);
		await feedSettled();
		const before = await dashboard("/api/reporting/school", school.admin);
		const env = { ...process.env, MONGO_URL: settings().mongoUrl!, NATS_URL: "", LOG_LEVEL: "" };
		delete (env as any).NATS_URL;
		delete (env as any).LOG_LEVEL;
		const chat = await openConversation(school.teacher, school.students[2]);
		const child = run(process.execPath, ["--import", "tsx", "scripts/reporting-rebuild.ts", "--school", school.school.id, "--verify"], { env, maxBuffer: 10_000_000 });
		// Meanwhile, the platform goes on in this process: chat messages, each a fact on the live feed.
		const sent = 6;
		for (let i = 0; i < sent; i++) {
			const res = await http("POST", `/api/conversations/${chat.id}/messages`, { token: i % 2 ? school.students[2].token : school.teacher.token, body: { clientId: unique("m"), text: `message ${i}` } });
			expect(res.status, JSON.stringify(res.body)).to.equal(201);
			await new Promise(r => setTimeout(r, 1500));
		}
		const { stdout, stderr } = await child;
		const summary = JSON.parse(stdout.slice(stdout.indexOf("{")));
		expect(summary.schools).to.equal(1);
		expect(summary.reports[0].differences).to.deep.equal([]);
		expect(stderr + stdout).to.match(/records/);
		const after = await eventually(() => dashboard("/api/reporting/school", school.admin), d => d.summary.messages === before.summary.messages + sent);
		// The teacher who chatted is now active too; every other figure is what it was.
		expect(after.summary.activeTeachers).to.equal(1);
		expect({ ...after.summary, messages: 0, activeTeachers: 0 }).to.deep.equal({ ...before.summary, messages: 0, activeTeachers: 0 });
		const bad = await run(process.execPath, ["--import", "tsx", "scripts/reporting-rebuild.ts", "--school", "nope"], { env }).catch(err => err);
		expect(bad.code).to.equal(1);
		expect(bad.stderr).to.match(/--school must be a school id/);
	});
});
