import { expect } from "chai";
import { createEmptyCard, type Card, type Grade } from "ts-fsrs";
import { invite, signupSchool, type Account, type SchoolFixture } from "../support/accounts.js";
import { AGREEMENT_VALUES, agreementReference, callInSchool, createItem } from "../support/learning-content.js";
import { ResponseDigest } from "../../models/response-digest.model.js";
import { ReviewLog } from "../../models/review-log.model.js";
import { http, unique } from "../support/platform.js";

const DAY = 86_400_000;
/** What the log says about the answer and the card, without what names the student or the key. */
const logShape = (d: any) => {
	const { _id, reviewKey, studentId, schoolId, createdAt, updatedAt, __v, id, ...rest } = d;
	return rest;
};

describe("memory batch (memory.recordReviews)", function () {
	this.timeout(120_000);
	let s: SchoolFixture;
	let teacher: Account;
	let other: SchoolFixture;
	let foreignStudent: Account;
	let foreignItem: any;

	const batch = (reviews: Record<string, unknown>[], schoolId = s.school.id) =>
		callInSchool<{ results: any[] }>(schoolId, "memory.recordReviews", { reviews: reviews.map(r => ({ source: "solo", reviewKey: unique("k"), ...r })) });
	const record = (params: Record<string, unknown>) => callInSchool(s.school.id, "memory.recordReview", { source: "solo", reviewKey: unique("k"), ...params });
	const failure = (promise: Promise<unknown>) => promise.then(() => ({ code: 200 }) as any, (err: any) => err);
	const states = (studentId: string, itemIds: string[]) => callInSchool<any[]>(s.school.id, "memory.states", { studentId, itemIds });
	const logsOf = async (studentId: string) => (await ReviewLog.find({ schoolId: s.school.id, studentId }).sort({ reviewedAt: 1, itemId: 1 }).lean()).map(logShape);
	const withLayer = async (subject: string) => {
		const student = await invite(s.admin, "student");
		const layer = await http("PUT", "/api/scheduling-profiles/layers", { token: s.admin.token, body: { kind: "student", studentId: student.id, subject, values: AGREEMENT_VALUES } });
		expect(layer.status, JSON.stringify(layer.body)).to.equal(200);
		return student;
	};

	before(async () => {
		// UTC: the cards must be exactly plain ts-fsrs's on the raw instants (local days: memory.test.ts, local-days.test.ts)
		s = await signupSchool({ timezone: "UTC" });
		teacher = await invite(s.admin, "teacher");
		other = await signupSchool();
		foreignStudent = await invite(other.admin, "student");
		foreignItem = await createItem(await invite(other.admin, "teacher"));
	});

	it("a batch stores exactly the states and logs of the same reviews recorded one by one, and ts-fsrs's cards", async () => {
		const subject = unique("Batch");
		const items = await Promise.all([0, 1, 2].map(() => createItem(teacher, { kind: "flashcard", title: "x", subject, front: "f", back: "b" })));
		const [one, many] = await Promise.all([withLayer(subject), withLayer(subject)]);
		const plain = agreementReference();
		// Per item a history of answers, each a little after the card falls due (sometimes early).
		const ratings: Grade[][] = [
			[3, 3, 1, 3, 4],
			[1, 1, 3, 2],
			[4, 3, 3],
		];
		const reviews: { itemId: string; rating: Grade; reviewedAt: Date }[] = [];
		const expected: Card[] = [];
		ratings.forEach((history, k) => {
			let at = new Date(Date.UTC(2017, 4, 1 + k, 8));
			let card = createEmptyCard(at);
			history.forEach((rating, i) => {
				reviews.push({ itemId: items[k].id, rating, reviewedAt: at });
				card = plain.next(card, at, rating).card;
				at = new Date(Math.max(at.getTime() + 60_000, card.due.getTime() + (i % 2 === 0 ? 3_600_000 : -DAY / 3)));
			});
			expected.push(card);
		});
		const chronological = [...reviews].sort((a, b) => a.reviewedAt.getTime() - b.reviewedAt.getTime());
		for (const r of chronological) await record({ ...r, studentId: one.id, teacherId: teacher.id });
		// The batch in the reverse order: each item's reviews still apply in reviewedAt order.
		const { results } = await batch([...reviews].reverse().map(r => ({ ...r, studentId: many.id, teacherId: teacher.id })));
		expect(results).to.have.length(reviews.length);
		expect(results.every(r => r.ok && r.duplicate === false && r.counted === true), JSON.stringify(results[0])).to.equal(true);
		// results in input order: the last input is the first review of item 0
		expect(results.at(-1).before).to.equal(null);
		expect(new Date(results.at(-1).reviewedAt).getTime()).to.equal(reviews[0].reviewedAt.getTime());

		const ids = items.map(i => i.id);
		const [alone, batched] = await Promise.all([states(one.id, ids), states(many.id, ids)]);
		const strip = (rows: any[]) => rows.map(({ retrievability, ...rest }) => rest).sort((a, b) => a.itemId.localeCompare(b.itemId));
		expect(strip(batched)).to.deep.equal(strip(alone));
		for (const [k, card] of expected.entries()) {
			expect(batched.find(r => r.itemId === items[k].id)).to.deep.include({ ...card, subject });
		}
		const [aloneLogs, batchedLogs] = await Promise.all([logsOf(one.id), logsOf(many.id)]);
		expect(batchedLogs).to.have.length(reviews.length);
		expect(batchedLogs).to.deep.equal(aloneLogs);
		expect(batchedLogs.filter(l => l.first)).to.have.length(3);
	});

	it("rates the answers it is asked to rate and appends each new right answer's time to the student's digest, once", async () => {
		const student = await invite(s.admin, "student");
		const questions = await Promise.all([0, 1, 2].map(n => createItem(teacher, { kind: "short_answer", title: `q${n}`, subject: "Geography", prompt: `q${n}?`, accepted: ["a"], expectedSeconds: 10 })));
		const at = new Date("2022-03-01T10:00:00Z");
		const reviews = questions.map((q, n) => ({ reviewKey: unique("k"), studentId: student.id, itemId: q.id, rating: 4, correct: n < 2, responseTimeMs: 1_000 + n * 1_000, rateFromAnswer: true, reviewedAt: at }));
		const { results } = await batch(reviews);
		// first answers: never Easy from speed; the wrong one is Again
		expect(results.map(r => r.rating)).to.deep.equal([3, 3, 1]);
		const digest = async () => ((await ResponseDigest.findOne({ schoolId: s.school.id, studentId: student.id, kind: "short_answer" }).lean()) as any)?.times;
		expect(await digest()).to.deep.equal([0.1, 0.2]);
		// a retry of the batch adds nothing
		const again = await batch(reviews);
		expect(again.results.every(r => r.duplicate === true)).to.equal(true);
		expect(await digest()).to.deep.equal([0.1, 0.2]);
	});

	it("duplicates within a batch and across batches write once and answer with the first result", async () => {
		const student = await invite(s.admin, "student");
		const item = await createItem(teacher);
		const key = unique("dup");
		const review = { reviewKey: key, studentId: student.id, itemId: item.id, rating: 3, reviewedAt: new Date("2021-02-01T10:00:00Z") };
		const first = await batch([review, { ...review, rating: 1 }]);
		expect(first.results.map(r => r.duplicate)).to.deep.equal([false, true]);
		expect(first.results[1]).to.deep.include({ logId: first.results[0].logId, rating: 3 });
		const again = await batch([{ ...review, rating: 1 }, { studentId: student.id, itemId: item.id, rating: 3, reviewedAt: new Date("2021-02-02T10:00:00Z") }]);
		expect(again.results[0]).to.deep.include({ ok: true, duplicate: true, logId: first.results[0].logId, rating: 3 });
		expect(again.results[1]).to.deep.include({ ok: true, duplicate: false });
		expect(again.results[1].before.reps).to.equal(1);
		// the same key for another answer is refused alone
		const reused = await batch([{ ...review, itemId: (await createItem(teacher)).id }]);
		expect(reused.results[0]).to.deep.include({ ok: false });
		expect(reused.results[0].error.code).to.equal(409);
		expect(await ReviewLog.countDocuments({ schoolId: s.school.id, studentId: student.id })).to.equal(2);
		const [state] = await states(student.id, [item.id]);
		expect(state.reps).to.equal(2);
	});

	it("a batch and a single review of the same item concurrently apply one after the other", async () => {
		const student = await invite(s.admin, "student");
		const item = await createItem(teacher);
		const at = (h: number) => new Date(Date.UTC(2022, 0, 1, h));
		const outcomes = await Promise.all([
			batch([{ studentId: student.id, itemId: item.id, rating: 3, reviewedAt: at(9) }]),
			record({ studentId: student.id, itemId: item.id, rating: 3, reviewedAt: at(10) }).catch((err: any) => err),
		]);
		const applied = [outcomes[0].results[0].ok, !(outcomes[1] instanceof Error)].filter(Boolean).length;
		const [state] = await states(student.id, [item.id]);
		// either both applied in turn, or the earlier-dated one came second and was refused (409): never a lost update
		expect(state.reps).to.equal(applied);
		expect(await ReviewLog.countDocuments({ schoolId: s.school.id, studentId: student.id })).to.equal(applied);
	});

	it("batches and single reviews of the same items racing lose no update: every review applies once, in a chain", async () => {
		const student = await invite(s.admin, "student");
		const items = [await createItem(teacher), await createItem(teacher)];
		const at = new Date(Date.UTC(2022, 1, 1, 9));
		const review = (itemId: string) => ({ studentId: student.id, itemId, rating: 3, reviewedAt: at });
		const outcomes = await Promise.all([
			batch(items.map(i => review(i.id))),
			batch(items.map(i => review(i.id))),
			batch([review(items[0].id)]),
			record(review(items[0].id)),
			record(review(items[1].id)),
			record(review(items[1].id)),
		]);
		const batchResults = outcomes.slice(0, 3).flatMap((o: any) => o.results);
		expect(batchResults.every((r: any) => r.ok), JSON.stringify(batchResults)).to.equal(true);
		const states_ = await states(student.id, items.map(i => i.id));
		const byItem = new Map(states_.map((st: any) => [st.itemId, st]));
		// item 0: 2 + 1 batched + 1 single = 4; item 1: 2 batched + 2 single = 4
		expect(items.map(i => byItem.get(i.id).reps)).to.deep.equal([4, 4]);
		for (const item of items) {
			const logs = await ReviewLog.find({ schoolId: s.school.id, studentId: student.id, itemId: item.id }).lean();
			expect(logs.map((l: any) => l.before?.reps ?? 0).sort()).to.deep.equal([0, 1, 2, 3]);
		}
	});

	it("another school's student or item is refused (404) for that review alone, nothing stored for it", async () => {
		const student = await invite(s.admin, "student");
		const item = await createItem(teacher);
		const at = new Date("2022-03-01T10:00:00Z");
		const keys = [unique("f"), unique("f"), unique("f")];
		const { results } = await batch([
			{ reviewKey: keys[0], studentId: foreignStudent.id, itemId: item.id, rating: 3, reviewedAt: at },
			{ reviewKey: keys[1], studentId: student.id, itemId: foreignItem.id, rating: 3, reviewedAt: at },
			{ reviewKey: keys[2], studentId: student.id, itemId: item.id, rating: 3, reviewedAt: at },
		]);
		expect(results.map(r => r.ok)).to.deep.equal([false, false, true]);
		expect(results.slice(0, 2).map(r => r.error.code)).to.deep.equal([404, 404]);
		expect(await ReviewLog.countDocuments({ reviewKey: { $in: keys.slice(0, 2) } })).to.equal(0);
		expect(await ReviewLog.countDocuments({ studentId: foreignStudent.id })).to.equal(0);
		expect(await callInSchool<any[]>(other.school.id, "memory.states", { studentId: foreignStudent.id, itemIds: [item.id, foreignItem.id] })).to.deep.equal([]);
		// From the other school, this school's ids are just as unknown.
		const reversed = await batch([{ studentId: student.id, itemId: item.id, rating: 3, reviewedAt: at }], other.school.id);
		expect(reversed.results[0].error.code).to.equal(404);
		expect(await ReviewLog.countDocuments({ studentId: student.id })).to.equal(1);
	});

	it("bad input → 422 for the whole batch with nothing stored", async () => {
		const student = await invite(s.admin, "student");
		const item = await createItem(teacher);
		const good = { studentId: student.id, itemId: item.id, rating: 3, reviewedAt: new Date("2022-05-01T10:00:00Z") };
		const bad: Record<string, unknown>[][] = [
			[good, { ...good, rating: 5 }],
			[good, { ...good, itemId: "nope" }],
			[good, { ...good, source: "telepathy" }],
			[good, { ...good, reviewedAt: new Date(Date.now() + 3_600_000) }],
		];
		for (const reviews of bad) {
			const err = await failure(batch(reviews));
			expect(err.code, JSON.stringify(reviews[1])).to.equal(422);
		}
		expect((await failure(callInSchool(s.school.id, "memory.recordReviews", { reviews: [] }))).code).to.equal(422);
		expect((await failure(callInSchool(s.school.id, "memory.recordReviews", { reviews: "x" }))).code).to.equal(422);
		expect(await ReviewLog.countDocuments({ studentId: student.id })).to.equal(0);
		expect(await states(student.id, [item.id])).to.deep.equal([]);
	});
});
