/** The reporting feed's pure parts: messages into facts, facts into contributions, local days, batching. */
import { expect } from "chai";
import { contributionsOf, type FactContext } from "../../services/reporting/feed/contributions.js";
import { normalize, type ReviewFact } from "../../services/reporting/feed/facts.js";
import { MicroBatcher } from "../../services/reporting/feed/batcher.js";
import { daysBetween, localDay, weekOf, zoneOrUtc } from "../../services/reporting/feed/local-time.js";

const S = "65a000000000000000000001";
const ID = (n: number) => `65a0000000000000000000${String(n).padStart(2, "0")}`;

const ctx = (over: Partial<FactContext> = {}): FactContext => ({
	timeZone: "Europe/Paris",
	classesOf: id => (id === ID(1) ? [ID(20), ID(21)] : []),
	roleOf: id => (id === ID(9) ? "teacher" : id === ID(1) ? "student" : "other"),
	pathOf: id => (id === ID(30) ? { subject: "Geography", ownerId: ID(9) } : undefined),
	...over,
});

describe("reporting feed (unit)", () => {
	describe("normalize", () => {
		const review = { id: "learning.review.recorded:x", schoolId: S, reviewedAt: "2026-03-14T22:30:00Z", studentId: ID(1), itemId: ID(40), pathId: ID(30), teacherId: ID(9), correct: true, first: false, retrievability: 0.8, stability: 5, responseTimeMs: 1200 };

		it("reads a review with its own time and every field reporting uses", () => {
			const n = normalize("learning.review.recorded", review)!;
			expect(n.facts).to.have.length(1);
			const f = n.facts[0] as ReviewFact;
			expect(f).to.include({ type: "review", id: "learning.review.recorded:x", schoolId: S, studentId: ID(1), itemId: ID(40), correct: true, retrievability: 0.8, stability: 5 });
			expect(f.at.toISOString()).to.equal("2026-03-14T22:30:00.000Z");
		});

		it("drops what lacks what its channel promises, and item ids that would become field paths", () => {
			expect(normalize("learning.review.recorded", { ...review, studentId: undefined })).to.equal(null);
			expect(normalize("learning.review.recorded", { ...review, reviewedAt: "not a date", occurredAt: undefined })).to.equal(null);
			expect(normalize("learning.review.recorded", { ...review, itemId: "a.b" })).to.equal(null);
			expect(normalize("learning.review.recorded", { ...review, itemId: "$where" })).to.equal(null);
			expect(normalize("learning.review.recorded", { ...review, id: undefined })).to.equal(null);
			expect(normalize("learning.step.completed", { id: "x", schoolId: S, completedAt: "2026-01-01T00:00:00Z", studentId: ID(1), pathId: ID(30), stepId: "s.1" })).to.equal(null);
			expect(normalize("no.such.channel", { id: "x", schoolId: S, occurredAt: "2026-01-01T00:00:00Z" })).to.equal(null);
		});

		it("gives platform staff events (no school) nothing to count", () => {
			expect(normalize("users.user.created", { id: "users.user.created:x", schoolId: null, userId: ID(1), roles: ["support"] })).to.deep.equal({ facts: [], states: [], registers: [] });
		});

		it("counts a visio participant session once, whether the webhook or the room's closing reported it", () => {
			const base = { schoolId: S, visioId: ID(50), userId: ID(1), participantSid: "PA_1", at: "2026-03-14T10:00:00Z", seconds: 60 };
			const webhook = normalize("communication.visio.participantLeft", { ...base, id: "livekit:EV_1" })!.facts[0];
			const closing = normalize("communication.visio.participantLeft", { ...base, id: "attendance:x:left" })!.facts[0];
			expect(webhook.id).to.equal(closing.id).and.to.equal(`visio:${ID(50)}:PA_1:left`);
		});

		it("takes a created path's direct assignees apart from those of its classes", () => {
			const n = normalize("learning.path.created", { id: "p", schoolId: S, occurredAt: "2026-01-01T00:00:00Z", pathId: ID(30), ownerId: ID(9), name: "P", subject: "Geo", status: "active", studentIds: [ID(1), ID(2)], directStudentIds: [ID(1)], classIds: [ID(20)], stepCount: 3, itemIds: [] })!;
			expect(n.states[0]).to.include({ type: "path", stepCount: 3 });
			expect((n.states[0] as any).studentIds).to.deep.equal([ID(1)]);
		});

		it("maps billing events to invoice statuses, keeping each event's time", () => {
			const inv = (channel: string, extra: Record<string, unknown> = {}) => normalize(channel, { id: channel, schoolId: S, occurredAt: "2026-11-02T10:00:00Z", invoiceId: ID(60), number: "2026-000001", period: "2026-10", amountDueCents: 500, currency: "EUR", ...extra })!.registers[0] as any;
			expect(inv("billing.invoice.created", { totalCents: 500, dueDate: "2026-11-30" })).to.include({ status: "pending" });
			expect(inv("billing.invoice.paid").status).to.equal("paid");
			expect(inv("billing.invoice.payment_failed", { attempt: 2 }).fields.attempts).to.equal(2);
			expect(inv("billing.invoice.voided").status).to.equal("void");
			expect(inv("billing.invoice.overdue")).to.include({ overdue: true }).and.not.to.have.property("status");
			expect(normalize("billing.invoice.paid", { id: "x", schoolId: S, occurredAt: "2026-11-02T10:00:00Z" })).to.equal(null);
		});

		it("reads suspension and reactivation of a school (or its subscription) as lost and won back", () => {
			expect((normalize("billing.subscription.suspended", { id: "x", schoolId: S, occurredAt: "2026-11-02T10:00:00Z" })!.registers[0] as any).status).to.equal("lost");
			expect((normalize("users.school.reactivated", { id: "y", schoolId: S, occurredAt: "2026-11-03T10:00:00Z" })!.registers[0] as any).status).to.equal("active");
		});
	});

	describe("contributions", () => {
		it("a review counts for the school, the student, each of their classes, the path, the teacher, the subject and the item, on its local day", () => {
			const f = normalize("learning.review.recorded", { id: "r", schoolId: S, reviewedAt: "2026-03-14T23:30:00Z", studentId: ID(1), itemId: ID(40), pathId: ID(30), teacherId: null, correct: false, first: true, retrievability: null, stability: 1, responseTimeMs: null })!.facts[0];
			const out = contributionsOf(f, ctx());
			const buckets = out.filter(c => c.kind === "bucket") as any[];
			// 23:30 UTC on the 14th is 00:30 on the 15th in Paris (winter, UTC+1).
			expect(new Set(buckets.map(b => b.day))).to.deep.equal(new Set(["2026-03-15"]));
			expect(buckets.map(b => `${b.scope}:${b.key}`).sort()).to.deep.equal(
				["sch:-", `stu:${ID(1)}`, `cls:${ID(20)}`, `cls:${ID(21)}`, `pth:${ID(30)}`, `tch:${ID(9)}`, "sub:Geography", `itm:${ID(40)}`].sort(),
			);
			expect(buckets[0].counters).to.deep.equal({ rv: 1, ok: 0, nw: 1 });
			expect(buckets.find(b => b.scope === "stu").counters).to.deep.equal({ rv: 1, ok: 0, nw: 1, [`p.${ID(30)}.rv`]: 1, [`p.${ID(30)}.ok`]: 0 });
			expect(out.filter(c => c.kind === "active").map((c: any) => `${c.span}:${c.key}`)).to.deep.equal(["day:2026-03-15", "month:2026-03", "subject-month:Geography|2026-03"]);
			expect(out.find(c => c.kind === "mastery")).to.deep.include({ studentId: ID(1), itemId: ID(40), correct: false });
		});

		it("a prediction counts the predicted recall and whether the answer was right, on the same reviews", () => {
			const f = normalize("learning.review.recorded", { id: "r", schoolId: S, reviewedAt: "2026-03-14T12:00:00Z", studentId: ID(2), itemId: ID(40), correct: true, retrievability: 0.62, stability: 3, responseTimeMs: 900 })!.facts[0];
			const sch = contributionsOf(f, ctx()).find((c: any) => c.kind === "bucket" && c.scope === "sch") as any;
			expect(sch.counters).to.deep.equal({ rv: 1, ok: 1, nw: 0, pn: 1, pr: 0.62, pk: 1, rt: 900, rtn: 1 });
		});

		it("a teacher's message counts for the teacher and the school, a student's for the student and their classes", () => {
			const msg = (sender: string) => contributionsOf(normalize("communication.message.sent", { id: `m${sender}`, schoolId: S, occurredAt: "2026-03-14T12:00:00Z", senderId: sender })!.facts[0], ctx()).filter((c: any) => c.kind === "bucket").map((c: any) => c.scope);
			expect(msg(ID(9))).to.deep.equal(["sch", "tch"]);
			expect(msg(ID(1))).to.deep.equal(["sch", "stu", "cls", "cls"]);
		});

		it("a group session adds to its live session's results", () => {
			const f = normalize("learning.session.completed", { id: "s", schoolId: S, occurredAt: "2026-03-14T12:00:00Z", studentId: ID(1), pathId: ID(30), teacherId: ID(9), mode: "group", status: "completed", liveSessionId: "live1", score: 0.5, answered: 4, correct: 2, timeSpentMs: 1000 })!.facts[0];
			expect(contributionsOf(f, ctx()).find(c => c.kind === "live")).to.deep.include({ liveSessionId: "live1", n: 1, sc: 0.5, an: 4, ok: 2, classIds: [ID(20), ID(21)] });
		});

		it("an AI question counts its Bloom level", () => {
			const f = normalize("ai.interaction.recorded", { id: "a", schoolId: S, occurredAt: "2026-03-14T12:00:00Z", studentId: ID(1), pathId: ID(30), complexity: 4, flagged: true, tokens: 120 })!.facts[0];
			const sch = contributionsOf(f, ctx()).find((c: any) => c.kind === "bucket" && c.scope === "sch") as any;
			expect(sch.counters).to.deep.equal({ aq: 1, af: 1, tk: 120, ac: 4, acn: 1, a4: 1 });
		});
	});

	describe("local time", () => {
		it("keys days in the school's zone, and falls back to UTC for an unknown one", () => {
			expect(localDay(new Date("2026-07-01T22:30:00Z"), "Europe/Paris")).to.equal("2026-07-02");
			expect(localDay(new Date("2026-07-01T22:30:00Z"), "America/Los_Angeles")).to.equal("2026-07-01");
			expect(zoneOrUtc("Mars/Olympus")).to.equal("UTC");
			expect(daysBetween("2026-02-27", "2026-03-02")).to.deep.equal(["2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"]);
			expect(weekOf("2026-03-15")).to.equal("2026-03-09");
		});
	});

	describe("micro-batcher", () => {
		it("writes in batches of at most maxSize, or what came in the linger time; a failed batch fails each of its messages", async () => {
			const batches: number[] = [];
			let fail = false;
			const b = new MicroBatcher(
				async rows => {
					batches.push(rows.length);
					if (fail) throw new Error("down");
				},
				{ maxSize: 3, lingerMs: 10, concurrency: 1 },
			);
			await Promise.all(Array.from({ length: 7 }, (_, i) => b.add({ channel: "c", message: { i } })));
			expect(batches).to.deep.equal([3, 3, 1]);
			fail = true;
			const results = await Promise.allSettled([b.add({ channel: "c", message: {} }), b.add({ channel: "c", message: {} })]);
			expect(results.map(r => r.status)).to.deep.equal(["rejected", "rejected"]);
			await b.idle();
		});
	});
});
