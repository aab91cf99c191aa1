import { expect } from "chai";
import { createEmptyCard, default_w, fsrs, generatorParameters, type StepUnit } from "ts-fsrs";
import { invite, signupSchool, type Account, type SchoolFixture } from "../support/accounts.js";
import { callInSchool, classOf, createItem, validatedItem } from "../support/learning-content.js";
import { bootPlatform, http, systemMeta, unique } from "../support/platform.js";
import { Prng } from "../bench/memory/prng.js";
import { ReviewLog } from "../../models/review-log.model.js";
import { reviewLogId } from "../../services/learning/memory/natural-ids.js";
import { PLATFORM_DEFAULTS } from "../../services/learning/memory/profile-layers.js";
import { review, type Grade, type MemoryCard, type ReviewOutcome } from "../../services/learning/memory/scheduler.js";

const LAYERS = "/api/scheduling-profiles/layers";
const put = (by: Account, body: Record<string, unknown>) => http("PUT", LAYERS, { token: by.token, body });
const readLayer = (by: Account, query: string) => http("GET", `${LAYERS}?${query}`, { token: by.token });
const effective = (by: Account, query: string) => http("GET", `/api/scheduling-profiles/effective?${query}`, { token: by.token });

describe("scheduling profiles", function () {
	this.timeout(120_000);
	let s: SchoolFixture;
	let t1: Account;
	let t2: Account;
	let s1: Account;
	let s2: Account;
	let s3: Account;
	let other: SchoolFixture;
	let outsider: Account;
	const maths = unique("Maths");

	before(async () => {
		s = await signupSchool();
		[t1, t2, s1, s2, s3] = await Promise.all([
			invite(s.admin, "teacher"),
			invite(s.admin, "teacher"),
			invite(s.admin, "student"),
			invite(s.admin, "student"),
			invite(s.admin, "student"),
		]);
		await classOf(s.admin, t1, [s1, s3]);
		other = await signupSchool();
		outsider = await invite(other.admin, "student");
	});

	describe("profile layers", () => {
		let pathId: string;

		before(async () => {
			// t1's active maths path, with s1 assigned: t1's bounds apply to s1's own settings in maths
			const item = await validatedItem(t1, { kind: "flashcard", title: "x", subject: maths, front: "2+2", back: "4" });
			const res = await http("POST", "/api/learning-paths", {
				token: t1.token,
				body: { name: unique("Path "), subject: maths, studentIds: [s1.id], steps: [{ title: "Step", itemIds: [item.id] }], activate: true },
			});
			expect(res.status, JSON.stringify(res.body)).to.equal(201);
			pathId = res.body.id;
		});

		it("school and subject layers: school admins only", async () => {
			const school = await put(s.admin, { kind: "school", values: { desiredRetention: 0.88, newItemsPerDay: 15 } });
			expect(school.status, JSON.stringify(school.body)).to.equal(200);
			expect(school.body).to.deep.include({ kind: "school", values: { desiredRetention: 0.88, newItemsPerDay: 15 } });
			expect((await put(t1, { kind: "school", values: { desiredRetention: 0.8 } })).status).to.equal(403);
			expect((await put(s1, { kind: "school", values: { desiredRetention: 0.8 } })).status).to.equal(403);

			expect((await put(s.admin, { kind: "subject", subject: maths, values: { maximumIntervalDays: 100 } })).status).to.equal(200);
			expect((await put(t1, { kind: "subject", subject: maths, values: { maximumIntervalDays: 5 } })).status).to.equal(403);
			expect((await readLayer(s1, `kind=subject&subject=${maths}`)).body.values).to.deep.equal({ maximumIntervalDays: 100 });
			expect((await readLayer(s1, "kind=school")).body.values.desiredRetention).to.equal(0.88);
		});

		it("teacher layers: that teacher (or an admin), with the bounds their students must respect", async () => {
			const bounds = { desiredRetention: { min: 0.8, max: 0.92 }, newItemsPerDay: { max: 20 }, practiceAllowed: true };
			const own = await put(t1, { kind: "teacher", values: { learningSteps: ["5m", "30m"] }, studentBounds: bounds });
			expect(own.status, JSON.stringify(own.body)).to.equal(200);
			expect(own.body).to.deep.include({ kind: "teacher", teacherId: t1.id, studentBounds: bounds });
			expect((await put(t2, { kind: "teacher", teacherId: t1.id, values: {} })).status).to.equal(403);
			expect((await put(s1, { kind: "teacher", teacherId: t1.id, values: {} })).status).to.equal(403);
			expect((await put(s.admin, { kind: "teacher", teacherId: t2.id, values: { desiredRetention: 0.9 } })).status).to.equal(200);
			// a teacher id that is not a teacher of this school
			expect((await put(s.admin, { kind: "teacher", teacherId: s1.id, values: {} })).status).to.equal(404);
		});

		it("student layers: the student within their teachers' bounds, a teacher of theirs or an admin freely", async () => {
			const tooHigh = await put(s1, { kind: "student", subject: maths, values: { desiredRetention: 0.95 } });
			expect(tooHigh.status).to.equal(422);
			expect(tooHigh.body.error.data[0]).to.include({ field: "desiredRetention" });
			expect((await put(s1, { kind: "student", subject: maths, values: { fsrsParameters: [...default_w] } })).status).to.equal(422);
			expect((await put(s1, { kind: "student", subject: maths, values: { newItemsPerDay: 50 } })).status).to.equal(422);
			expect((await readLayer(s1, `kind=student&subject=${maths}`)).body.id).to.equal(null);

			const ok = await put(s1, { kind: "student", subject: maths, values: { desiredRetention: 0.91, newItemsPerDay: 12 } });
			expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
			expect(ok.body).to.deep.include({ studentId: s1.id, subject: maths });

			// s2 is in no path: only school and subject bounds (none here) apply
			expect((await put(s2, { kind: "student", values: { desiredRetention: 0.97 } })).status).to.equal(200);
			// others' layers
			expect((await put(s2, { kind: "student", studentId: s1.id, values: {} })).status).to.equal(403);
			expect((await put(t2, { kind: "student", studentId: s1.id, values: { desiredRetention: 0.7 } })).status).to.equal(403);
			expect((await readLayer(s2, `kind=student&studentId=${s1.id}&subject=${maths}`)).status).to.equal(403);
			expect((await put(t1, { kind: "student", studentId: s1.id, values: { maximumIntervalDays: 60 } })).status).to.equal(200);
			expect((await readLayer(t1, `kind=student&studentId=${s1.id}&subject=${maths}`)).body.values).to.deep.equal({ desiredRetention: 0.91, newItemsPerDay: 12 });
		});

		it("bad layers → 422 with nothing stored", async () => {
			const before = (await readLayer(s.admin, "kind=school")).body;
			const cases: Record<string, unknown>[] = [
				{ kind: "school", values: { desiredRetention: 2 } },
				{ kind: "school", values: { colour: "blue" } },
				{ kind: "school", values: { learningSteps: ["soon"] } },
				{ kind: "school", values: { fsrsParameters: [1, 2, 3] } },
				{ kind: "school", teacherId: t1.id, values: {} },
				{ kind: "school", values: {}, studentBounds: { desiredRetention: { min: 0.9, max: 0.8 } } },
				{ kind: "subject", values: {} },
				{ kind: "student", studentId: s1.id, values: {}, studentBounds: { practiceAllowed: true } },
				{ kind: "galaxy", values: {} },
				{ kind: "school" },
			];
			for (const body of cases) expect((await put(s.admin, body)).status, JSON.stringify(body)).to.equal(422);
			expect((await readLayer(s.admin, "kind=school")).body).to.deep.equal(before);
		});

		it("effective: the resolved values and the layer each comes from", async () => {
			const res = await effective(s.admin, `student=${s1.id}&subject=${maths}&path=${pathId}`);
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body.values).to.deep.include({ desiredRetention: 0.91, newItemsPerDay: 12, maximumIntervalDays: 60, learningSteps: ["5m", "30m"] });
			expect(res.body.sources).to.deep.include({
				desiredRetention: `student:subject:${maths}`,
				newItemsPerDay: `student:subject:${maths}`,
				// t1 set it on the student's general layer, above the subject's 100
				maximumIntervalDays: "student",
				learningSteps: `teacher:${t1.id}`,
				relearningSteps: "platform default",
				fsrsParameters: "platform default",
			});
			expect(res.body.practiceAllowed).to.equal(true);
			expect(res.body.teacherId).to.equal(t1.id);
			// the path gives the subject; without a path there is no teacher layer
			expect((await effective(s1, `path=${pathId}`)).body.sources.desiredRetention).to.equal(`student:subject:${maths}`);
			const noPath = (await effective(s1, `subject=${maths}`)).body;
			expect(noPath.sources.learningSteps).to.equal("platform default");
			expect(noPath.practiceAllowed).to.equal(false);
			expect(await callInSchool(s.school.id, "scheduling.resolve", { studentId: s1.id, subject: maths, teacherId: t1.id })).to.deep.equal(res.body);
		});

		it("effective: a tightened bound clamps the student's value at once", async () => {
			await put(t1, { kind: "teacher", values: { learningSteps: ["5m", "30m"] }, studentBounds: { desiredRetention: { max: 0.9 }, practiceAllowed: true } });
			const res = await effective(t1, `student=${s1.id}&path=${pathId}`);
			expect(res.status).to.equal(200);
			expect(res.body.values.desiredRetention).to.equal(0.9);
			expect(res.body.adjustments[0]).to.include({ field: "desiredRetention" });
		});

		it("effective: the student themself, their teachers and admins; others 403; another school's ids 404", async () => {
			expect((await effective(t1, `student=${s1.id}`)).status).to.equal(200);
			expect((await effective(t2, `student=${s1.id}`)).status).to.equal(403);
			expect((await effective(s2, `student=${s1.id}`)).status).to.equal(403);
			expect((await effective(s.admin, `student=${outsider.id}`)).status).to.equal(404);
			expect((await effective(other.admin, `student=${s1.id}`)).status).to.equal(404);
			expect((await effective(other.admin, `student=${outsider.id}&path=${pathId}`)).status).to.equal(404);
			expect((await effective(s.admin, "student=nope")).status).to.equal(422);
			expect((await effective(s.admin, "")).status).to.equal(422);
			expect((await readLayer(other.admin, `kind=teacher&teacherId=${t1.id}`)).status).to.equal(404);
			expect((await put(other.admin, { kind: "student", studentId: s1.id, values: { desiredRetention: 0.7 } })).status).to.equal(404);
		});
	});

	/**
	 * 405 reviews (45 items × 9), scheduled by the product's scheduler a little after each falls due, inserted in one
	 * write: through memory.recordReview (which the memory tests cover) they cost ~9 round trips each.
	 */
	async function insertHistory(studentId: string, subject: string) {
		const items = await Promise.all(Array.from({ length: 45 }, (_, i) => createItem(t1, { kind: "flashcard", title: `c${i}`, subject, front: `q${i}`, back: "a" })));
		const rng = new Prng(11);
		const profile = { ...PLATFORM_DEFAULTS };
		const logs: Record<string, unknown>[] = [];
		items.forEach((item, index) => {
			let at = new Date(Date.UTC(2019, 0, 7, 8) + index * 60_000);
			let card: MemoryCard | null = null;
			for (let n = 0; n < 9; n++) {
				const rating = (rng.next() < 0.12 + Math.min(0.3, n * 0.03) ? 1 : rng.next() < 0.15 ? 2 : 3) as Grade;
				const outcome: ReviewOutcome = review(card, rating, at, profile);
				const reviewKey = `${item.id}:${n}`;
				logs.push({
					_id: reviewLogId(s.school.id, reviewKey),
					schoolId: s.school.id,
					reviewKey,
					studentId,
					itemId: item.id,
					subject,
					rating,
					source: "solo",
					counted: true,
					first: n === 0,
					reviewedAt: at,
					elapsedDays: outcome.log.elapsedDays,
					retrievability: outcome.log.retrievability,
					scheduledDays: outcome.log.scheduledDays,
					before: outcome.before,
					after: outcome.after,
				});
				card = outcome.after;
				at = new Date(Math.max(at.getTime() + 60_000, outcome.after.due.getTime() + Math.floor(rng.next() * 86_400_000)));
			}
		});
		await ReviewLog.insertMany(logs);
		expect(await callInSchool(s.school.id, "memory.history", { studentId, subject })).to.have.length(405);
	}

	describe("optimisation", () => {
		const subject = unique("Optics");

		it("refuses to fit below the minimum number of reviews (409), storing nothing", async () => {
			const res = await http("POST", "/api/scheduling-profiles/optimize", { token: s.admin.token, body: { studentId: s3.id, subject } });
			expect(res.status).to.equal(409);
			expect(res.body.error.type).to.equal("NOT_ENOUGH_REVIEWS");
			expect((await readLayer(s.admin, `kind=student&studentId=${s3.id}&subject=${subject}`)).body.id).to.equal(null);
		});

		it("fits a student's weights from ≥ 400 reviews and stores them on their subject layer, used by scheduling.resolve", async () => {
			await insertHistory(s3.id, subject);
			expect(await callInSchool(s.school.id, "memory.history", { studentId: s3.id, subject })).to.have.length(405);

			expect((await http("POST", "/api/scheduling-profiles/optimize", { token: t2.token, body: { studentId: s3.id, subject } })).status).to.equal(403);
			expect((await http("POST", "/api/scheduling-profiles/optimize", { token: s3.token, body: { studentId: s3.id, subject } })).status).to.equal(403);
			expect((await http("POST", "/api/scheduling-profiles/optimize", { token: other.admin.token, body: { studentId: s3.id, subject } })).status).to.equal(404);

			const res = await http("POST", "/api/scheduling-profiles/optimize", { token: t1.token, body: { studentId: s3.id, subject } });
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body.reviewsUsed).to.equal(405);
			expect(res.body.parameters).to.have.length(21);
			expect(res.body.parameters.some((w: number, i: number) => Math.abs(w - default_w[i]) > 1e-3)).to.equal(true);

			const resolved = await callInSchool(s.school.id, "scheduling.resolve", { studentId: s3.id, subject });
			expect(resolved.values.fsrsParameters).to.deep.equal(res.body.parameters);
			expect(resolved.sources.fsrsParameters).to.equal(`student:subject:${subject}`);
			const layer = (await readLayer(t1, `kind=student&studentId=${s3.id}&subject=${subject}`)).body;
			expect(layer.reviewsUsed).to.equal(405);
			expect(layer.optimizedAt).to.be.a("string");

			// the student changing their own settings keeps the fitted weights
			expect((await put(s3, { kind: "student", subject, values: { desiredRetention: 0.93 } })).status).to.equal(200);
			const after = (await effective(s3, `subject=${subject}`)).body;
			expect(after.values).to.deep.include({ desiredRetention: 0.93, fsrsParameters: res.body.parameters });
			// and the next review is scheduled with them
			const item = await createItem(t1, { kind: "flashcard", title: "new", subject, front: "f", back: "b" });
			const scheduled = await callInSchool(s.school.id, "memory.recordReview", {
				reviewKey: unique("k"),
				studentId: s3.id,
				itemId: item.id,
				rating: 3,
				source: "solo",
				reviewedAt: new Date("2020-06-01T08:00:00Z"),
			});
			const withValues = (w: number[]) =>
				fsrs(
					generatorParameters({
						request_retention: after.values.desiredRetention,
						maximum_interval: after.values.maximumIntervalDays,
						w,
						enable_fuzz: false,
						enable_short_term: true,
						learning_steps: after.values.learningSteps as StepUnit[],
						relearning_steps: after.values.relearningSteps as StepUnit[],
					}),
				).next(createEmptyCard(new Date("2020-06-01T08:00:00Z")), new Date("2020-06-01T08:00:00Z"), 3).card;
			expect(scheduled.after).to.deep.equal(withValues(res.body.parameters));
			expect(scheduled.after).not.to.deep.equal(withValues([...default_w]));
		});

		it("the nightly job (system) fits students with ≥ 400 new reviews since their last fit, and only them", async () => {
			const s4 = await invite(s.admin, "student");
			await insertHistory(s4.id, subject);
			const before = (await readLayer(s.admin, `kind=student&studentId=${s3.id}&subject=${subject}`)).body;
			const { broker } = await bootPlatform();
			const run = await broker.call("scheduling.optimizeDue", {}, { meta: systemMeta() });
			expect(run).to.include({ failed: 0 });
			const fitted = (await readLayer(s.admin, `kind=student&studentId=${s4.id}&subject=${subject}`)).body;
			expect(fitted.reviewsUsed).to.equal(405);
			expect(fitted.values.fsrsParameters).to.have.length(21);
			// s3 was fitted already and has one review more since: left alone
			expect((await readLayer(s.admin, `kind=student&studentId=${s3.id}&subject=${subject}`)).body).to.deep.equal(before);
			// only the system principal runs it
			const asAdmin = { meta: { user: { id: s.admin.id, schoolId: s.school.id, roles: ["school_admin"] } } };
			const refused = await (async () => broker.call("scheduling.optimizeDue", {}, asAdmin as any))().catch(e => e);
			expect(refused).to.include({ code: 403 });
		});
	});
});
