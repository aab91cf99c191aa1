import { expect } from "chai";
import { createEmptyCard, fsrs, generatorParameters, type Card, type Grade } from "ts-fsrs";
import { invite, signupSchool, type Account, type SchoolFixture } from "../support/accounts.js";
import { AGREEMENT_VALUES, agreementReference, callInSchool, createItem } from "../support/learning-content.js";
import { MemoryState } from "../../models/memory-state.model.js";
import { ResponseDigest } from "../../models/response-digest.model.js";
import { ReviewLog } from "../../models/review-log.model.js";
import { bootPlatform, http, unique } from "../support/platform.js";

const DAY = 86_400_000;

describe("memory model", function () {
	this.timeout(60_000);
	let s: SchoolFixture;
	let teacher: Account;
	let student: Account;
	let other: SchoolFixture;
	let foreignStudent: Account;
	let foreignItem: any;
	/** A school on UTC: there the card must be exactly plain ts-fsrs's on the raw instants. */
	let utc: SchoolFixture;

	const record = (params: Record<string, unknown>, schoolId = s.school.id) =>
		callInSchool(schoolId, "memory.recordReview", { source: "solo", reviewKey: unique("k"), ...params });
	const failure = (promise: Promise<unknown>) => promise.then(() => ({ code: 200 }) as any, (err: any) => err);
	const states = (studentId: string, itemIds: string[]) => callInSchool(s.school.id, "memory.states", { studentId, itemIds });
	const history = (studentId: string, subject = "Geography") => callInSchool<any[]>(s.school.id, "memory.history", { studentId, subject });

	before(async () => {
		s = await signupSchool();
		[teacher, student] = await Promise.all([invite(s.admin, "teacher"), invite(s.admin, "student")]);
		other = await signupSchool();
		foreignStudent = await invite(other.admin, "student");
		foreignItem = await createItem(await invite(other.admin, "teacher"));
		utc = await signupSchool({ timezone: "UTC" });
	});

	it("fsrs agreement: reviews recorded through memory.recordReview give exactly ts-fsrs's card for the same history (a school on UTC)", async () => {
		const subject = unique("Agreement");
		const [utcTeacher, utcStudent] = await Promise.all([invite(utc.admin, "teacher"), invite(utc.admin, "student")]);
		const item = await createItem(utcTeacher, { kind: "flashcard", title: "x", subject, front: "f", back: "b" });
		const values = AGREEMENT_VALUES;
		const layer = await http("PUT", "/api/scheduling-profiles/layers", {
			token: utc.admin.token,
			body: { kind: "student", studentId: utcStudent.id, subject, values },
		});
		expect(layer.status, JSON.stringify(layer.body)).to.equal(200);
		const record = (params: Record<string, unknown>) => callInSchool(utc.school.id, "memory.recordReview", { source: "solo", reviewKey: unique("k"), ...params });
		const student = utcStudent;

		const plain = agreementReference();
		const ratings: Grade[] = [3, 3, 1, 3, 2, 4, 3, 1, 3, 3, 4, 2];
		let at = new Date("2016-03-01T08:00:00Z");
		let expected: Card = createEmptyCard(at);
		for (const [i, rating] of ratings.entries()) {
			const result = await record({ studentId: student.id, itemId: item.id, rating, reviewedAt: at.toISOString() });
			expected = plain.next(expected, at, rating).card;
			expect(result.counted, `review ${i}`).to.equal(true);
			expect(result.after, `review ${i}`).to.deep.equal({ ...expected, last_review: expected.last_review ?? null });
			// the next answer a little after it is due, sometimes early
			at = new Date(Math.max(at.getTime() + 60_000, expected.due.getTime() + (i % 3 === 0 ? -DAY / 2 : 3_600_000)));
		}
		const [stored] = await callInSchool(utc.school.id, "memory.states", { studentId: student.id, itemIds: [item.id] });
		expect(stored).to.deep.include({ ...expected, itemId: item.id, subject });
		expect(stored.retrievability).to.be.within(0, 1);
		const logged = await callInSchool<any[]>(utc.school.id, "memory.history", { studentId: student.id, subject });
		expect(logged.map(r => r.rating)).to.deep.equal(ratings);
		expect(logged.map(r => r.first)).to.deep.equal(ratings.map((_, i) => i === 0));
	});

	it("counts the school's local days: in Los Angeles, answers an hour apart on one afternoon are the same day (UTC says two)", async () => {
		const la = await signupSchool({ timezone: "America/Los_Angeles" });
		const [laTeacher, laStudent] = await Promise.all([invite(la.admin, "teacher"), invite(la.admin, "student")]);
		const subject = unique("Local");
		const item = await createItem(laTeacher, { kind: "flashcard", title: "x", subject, front: "f", back: "b" });
		const noSteps = { learningSteps: [], relearningSteps: [] };
		expect((await http("PUT", "/api/scheduling-profiles/layers", { token: la.admin.token, body: { kind: "school", values: noSteps } })).status).to.equal(200);
		const recordLa = (reviewedAt: string, rating = 3) =>
			callInSchool(la.school.id, "memory.recordReview", { source: "solo", reviewKey: unique("k"), studentId: laStudent.id, itemId: item.id, rating, reviewedAt });
		// 16:30 and 17:30 in Los Angeles on 10 June: 23:30 UTC on the 10th and 00:30 UTC on the 11th
		await recordLa("2026-06-10T23:30:00Z");
		const second = await recordLa("2026-06-11T00:30:00Z");
		expect(second.after.elapsed_days).to.equal(0);
		expect(second.after.stability).to.be.lessThan(3.5);
		// plain ts-fsrs on the raw instants counts a day: stability 2.3 → 7.3, a week's interval
		const plain = fsrs(generatorParameters({ enable_fuzz: false, enable_short_term: true, learning_steps: [], relearning_steps: [] }));
		const naive = plain.next(plain.next(createEmptyCard(new Date("2026-06-10T23:30:00Z")), new Date("2026-06-10T23:30:00Z"), 3).card, new Date("2026-06-11T00:30:00Z"), 3).card;
		expect(naive.elapsed_days).to.equal(1);
		expect(naive.stability).to.be.greaterThan(7);
		// the next due date falls on the local day scheduled_days on, at the same local time
		const localDay = (d: string | Date) => new Date(d).toLocaleDateString("en-CA", { timeZone: "America/Los_Angeles" });
		const localTime = (d: string | Date) => new Date(d).toLocaleTimeString("en-GB", { timeZone: "America/Los_Angeles" });
		const due = new Date(second.after.due);
		const daysOn = (Date.parse(localDay(due)) - Date.parse(localDay("2026-06-11T00:30:00Z"))) / DAY;
		expect(daysOn).to.equal(second.after.scheduled_days);
		expect(localTime(due)).to.equal("17:30:00");
		// a review late on the local evening before the due day is a day later than the last, as the queue counts
		const third = await recordLa(new Date(due.getTime() - 2 * 3_600_000).toISOString());
		expect(third.after.elapsed_days).to.equal(second.after.scheduled_days);
	});

	it("rates a graded answer it is asked to rate with the student's own response times: a first answer is never Easy, then calibrated", async () => {
		const learner = await invite(s.admin, "student");
		const question = (n: number) => createItem(teacher, { kind: "short_answer", title: `q${n}`, subject: "Geography", prompt: `q${n}?`, accepted: ["a"], expectedSeconds: 10 });
		const rate = (itemId: string, responseTimeMs: number, reviewedAt: Date, correct = true) =>
			record({ studentId: learner.id, itemId, rating: 3, correct, responseTimeMs, rateFromAnswer: true, reviewedAt });
		const t0 = Date.parse("2024-02-05T09:00:00Z");
		// a very fast first answer: Good, not Easy; its time joins the student's digest
		const first = await question(0);
		expect((await rate(first.id, 500, new Date(t0))).rating).to.equal(3);
		// 25 more right answers of this kind at about 8 s (normalised 0.8): calibrated from then on
		const items = await Promise.all(Array.from({ length: 25 }, (_, n) => question(n + 1)));
		for (const [n, it] of items.entries()) await rate(it.id, 7_000 + (n % 5) * 500, new Date(t0 + (n + 1) * 60_000));
		const digest = await ResponseDigest.findOne({ schoolId: s.school.id, studentId: learner.id, kind: "short_answer" }).lean();
		expect((digest as any).times).to.have.length(26);
		// a review days later (not a first answer): 3 s is fast for this student, 9.5 s slow, 8 s ordinary
		const later = (k: number) => new Date(t0 + (10 + k) * DAY);
		expect((await rate(items[0].id, 3_000, later(0))).rating).to.equal(4);
		expect((await rate(items[1].id, 9_500, later(1))).rating).to.equal(2);
		expect((await rate(items[2].id, 8_000, later(2))).rating).to.equal(3);
		expect((await rate(items[3].id, 3_000, later(3), false)).rating).to.equal(1);
		// a caller's own rating stands when it does not ask
		expect((await record({ studentId: learner.id, itemId: items[4].id, rating: 2, correct: true, responseTimeMs: 3_000, reviewedAt: later(4) })).rating).to.equal(2);
		// the log keeps the rating applied
		const logged = await ReviewLog.findOne({ schoolId: s.school.id, studentId: learner.id, itemId: items[0].id, rating: 4 }).lean();
		expect(logged).to.not.equal(null);
	});

	it("duplicate reviewKey writes once, even when the retries race", async () => {
		const item = await createItem(teacher);
		const params = { reviewKey: unique("dup"), studentId: student.id, itemId: item.id, rating: 3, reviewedAt: new Date("2020-01-01T10:00:00Z") };
		const results = await Promise.all([record(params), record(params), record(params)]);
		expect(new Set(results.map(r => r.logId)).size).to.equal(1);
		expect(results.filter(r => !r.duplicate)).to.have.length(1);
		const retry = await record({ ...params, rating: 1 });
		expect(retry).to.include({ duplicate: true, rating: 3, logId: results[0].logId });
		expect(retry.after).to.deep.equal(results[0].after);
		const [state] = await states(student.id, [item.id]);
		expect(state.reps).to.equal(1);
		expect((await history(student.id)).filter(r => r.itemId === item.id)).to.have.length(1);

		const reused = await failure(record({ ...params, itemId: (await createItem(teacher)).id }));
		expect(reused).to.include({ code: 409 });
	});

	it("undoes the log entry when the state cannot be written, and a retry of an interrupted review completes it", async () => {
		const { broker } = await bootPlatform();
		const svc = broker.getLocalService("memory") as any;
		const writeState = svc.writeState;
		const item = await createItem(teacher);
		const params = { reviewKey: unique("crash"), studentId: student.id, itemId: item.id, rating: 3, reviewedAt: new Date("2020-03-01T10:00:00Z") };
		const boom = () => Promise.reject(new Error("simulated database failure"));

		// a failed state write: the log entry is deleted again, so the retry is a first attempt
		svc.writeState = boom;
		try {
			expect(await failure(record(params))).to.be.instanceOf(Error);
		} finally {
			svc.writeState = writeState;
		}
		expect(await history(student.id)).to.satisfy((rows: any[]) => rows.every(r => r.itemId !== item.id));
		expect(await record(params)).to.include({ duplicate: false, counted: true });

		// the process dying between the log entry and the state (nothing undone): the retry writes the state
		const second = { ...params, reviewKey: unique("crash"), reviewedAt: new Date("2020-03-05T10:00:00Z") };
		const deleteOne = ReviewLog.deleteOne;
		svc.writeState = boom;
		(ReviewLog as any).deleteOne = boom;
		try {
			await failure(record(second));
		} finally {
			svc.writeState = writeState;
			(ReviewLog as any).deleteOne = deleteOne;
		}
		expect((await states(student.id, [item.id]))[0].reps).to.equal(1);
		const retry = await record(second);
		expect(retry).to.include({ duplicate: true, counted: true });
		const [state] = await states(student.id, [item.id]);
		expect(state.reps).to.equal(2);
		expect(state.due).to.deep.equal(retry.after.due);
		// and a further retry changes nothing
		await record(second);
		expect((await states(student.id, [item.id]))[0].reps).to.equal(2);
	});

	it("serialises concurrent answers to one item: each applies to the state the previous one left", async () => {
		const item = await createItem(teacher);
		const at = new Date("2020-02-01T10:00:00Z");
		const results = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(() => record({ studentId: student.id, itemId: item.id, rating: 3, reviewedAt: at })));
		const [state] = await states(student.id, [item.id]);
		expect(state.reps).to.equal(8);
		expect((await history(student.id)).filter(r => r.itemId === item.id)).to.have.length(8);
		// No lost update: the answers form one chain, each computed on the card the previous one left.
		const chain = results.map(r => [r.before?.reps ?? 0, r.after.reps]).sort((a, b) => a[0] - b[0]);
		expect(chain).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7].map(n => [n, n + 1]));
		const logs = await ReviewLog.find({ schoolId: s.school.id, itemId: item.id }).lean();
		expect(logs.map((l: any) => l.before?.reps ?? 0).sort()).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7]);
		// The state points at the last link of the chain.
		const stored = await MemoryState.findOne({ schoolId: s.school.id, studentId: student.id, itemId: item.id }).lean();
		expect(String((stored as any).lastLogId)).to.equal(String(logs.find((l: any) => l.before?.reps === 7)!._id));
	});

	it("practice mode leaves memory consistent: an answer ahead of time is logged but changes no state", async () => {
		const item = await createItem(teacher);
		const t0 = new Date("2021-05-03T08:00:00Z");
		// "Easy" on a new card graduates it to days ahead
		const first = await record({ studentId: student.id, itemId: item.id, rating: 4, reviewedAt: t0, source: "practice" });
		expect(first).to.include({ counted: true, source: "solo" });
		const [before] = await states(student.id, [item.id]);
		expect(new Date(before.due).getTime()).to.be.greaterThan(t0.getTime() + DAY);

		const practice = await record({ studentId: student.id, itemId: item.id, rating: 1, reviewedAt: new Date(t0.getTime() + 3_600_000), source: "practice" });
		expect(practice).to.include({ counted: false, source: "practice", duplicate: false });
		expect(practice.after).to.deep.equal(practice.before);
		const [after] = await states(student.id, [item.id]);
		expect(after).to.deep.equal({ ...before, retrievability: after.retrievability });
		// the optimiser learns only from counted reviews
		expect((await history(student.id)).filter(r => r.itemId === item.id)).to.have.length(1);

		// once it is due, a practice answer is an ordinary review
		const due = await record({ studentId: student.id, itemId: item.id, rating: 3, reviewedAt: new Date(before.due), source: "practice" });
		expect(due).to.include({ counted: true, source: "solo" });
		expect((await states(student.id, [item.id]))[0].reps).to.equal(2);
	});

	it("counts first reviews in a window and lists review instants", async () => {
		const fresh = await invite(s.admin, "student");
		const [a, b] = [await createItem(teacher), await createItem(teacher)];
		const day = new Date("2022-09-10T00:00:00Z");
		await record({ studentId: fresh.id, itemId: a.id, rating: 3, reviewedAt: new Date(day.getTime() + 3_600_000) });
		await record({ studentId: fresh.id, itemId: a.id, rating: 3, reviewedAt: new Date(day.getTime() + 7_200_000) });
		await record({ studentId: fresh.id, itemId: b.id, rating: 3, reviewedAt: new Date(day.getTime() + DAY + 60_000) });
		const count = await callInSchool(s.school.id, "memory.newIntroducedOn", { studentId: fresh.id, dayStart: day, dayEnd: new Date(day.getTime() + DAY) });
		expect(count).to.deep.equal({ count: 1 });
		const { instants } = await callInSchool(s.school.id, "memory.reviewDays", { studentId: fresh.id, since: new Date(day.getTime() + 5_000_000) });
		expect(instants.map((d: Date) => new Date(d).toISOString())).to.deep.equal([
			new Date(day.getTime() + 7_200_000).toISOString(),
			new Date(day.getTime() + DAY + 60_000).toISOString(),
		]);
	});

	it("tenancy: another school's student or item ids are 404 and nothing is stored", async () => {
		const item = await createItem(teacher);
		const reviewedAt = new Date("2020-01-01T00:00:00Z");
		expect(await failure(record({ studentId: foreignStudent.id, itemId: item.id, rating: 3, reviewedAt }))).to.include({ code: 404 });
		expect(await failure(record({ studentId: student.id, itemId: foreignItem.id, rating: 3, reviewedAt }))).to.include({ code: 404 });
		// the other school's system principal cannot reach this school's memory either
		expect(await failure(record({ studentId: student.id, itemId: item.id, rating: 3, reviewedAt }, other.school.id))).to.include({ code: 404 });
		// a teacher id is not a student
		expect(await failure(record({ studentId: teacher.id, itemId: item.id, rating: 3, reviewedAt }))).to.include({ code: 404 });
		expect(await states(student.id, [item.id, foreignItem.id])).to.deep.equal([]);
		expect(await callInSchool(other.school.id, "memory.history", { studentId: student.id, subject: "Geography" })).to.deep.equal([]);
	});

	it("bad inputs → 4xx with nothing stored", async () => {
		const item = await createItem(teacher);
		const ok = { studentId: student.id, itemId: item.id, rating: 3, reviewedAt: "2023-01-01T10:00:00Z" };
		const cases: [Record<string, unknown>, number][] = [
			[{ ...ok, rating: 5 }, 422],
			[{ ...ok, rating: 2.5 }, 422],
			[{ ...ok, itemId: "nope" }, 422],
			[{ ...ok, source: "homework" }, 422],
			[{ ...ok, reviewedAt: "yesterday-ish" }, 422],
			[{ ...ok, reviewedAt: new Date(Date.now() + 3_600_000).toISOString() }, 422],
			[{ ...ok, reviewKey: "" }, 422],
			[{ ...ok, responseTimeMs: -1 }, 422],
		];
		for (const [params, code] of cases) expect(await failure(record(params)), JSON.stringify(params)).to.include({ code });
		expect(await states(student.id, [item.id])).to.deep.equal([]);

		await record(ok);
		// an answer dated before the last one cannot be applied
		const early = await failure(record({ ...ok, reviewedAt: "2022-12-31T10:00:00Z" }));
		expect(early).to.include({ code: 409 });
		expect((await states(student.id, [item.id]))[0].reps).to.equal(1);
		expect((await history(student.id)).filter(r => r.itemId === item.id)).to.have.length(1);
	});
});
