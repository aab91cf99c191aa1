import { expect } from "chai";
import mongoose from "mongoose";
import { default_w } from "ts-fsrs";
import { invite, signupSchool, type Account, type SchoolFixture } from "../support/accounts.js";
import { callInSchool, classOf, createItem, validatedItem } from "../support/learning-content.js";
import { bootPlatform, http, systemMeta, unique } from "../support/platform.js";
import { cohortItems, DEFAULT_CONFIG, simulateStudent, type CohortConfig } from "../bench/memory/simulator.js";
import { ReviewLog } from "../../models/review-log.model.js";
import { reviewLogId } from "../../services/learning/memory/natural-ids.js";
import { cardFromJSON, review } from "../../services/learning/memory/scheduler.js";

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
	 * A simulated student's review log (the benchmark's cohort: exponential forgetting, not FSRS, scheduled by our FSRS
	 * with default parameters), inserted in one write under `subjects` in turn (item by item), so the optimiser has a
	 * history the default parameters predict badly. memory.history reads only the log: the item ids need no items.
	 */
	async function insertHistory(studentId: string, subjects: string[], opts: { student?: number; schoolId?: string } = {}) {
		const config: CohortConfig = { ...DEFAULT_CONFIG, items: 80, days: 60, seed: 11 };
		const { log } = await simulateStudent("fsrs", 0.9, opts.student ?? 3, config, cohortItems(config), { keepLog: true });
		const schoolId = opts.schoolId ?? s.school.id;
		const itemIds = new Map<string, string>();
		const docs = log!.map((r, n) => {
			if (!itemIds.has(r.cardId)) itemIds.set(r.cardId, new mongoose.Types.ObjectId().toHexString());
			const reviewKey = unique(`sim:${n}`);
			return {
				_id: reviewLogId(schoolId, reviewKey),
				schoolId,
				reviewKey,
				studentId,
				itemId: itemIds.get(r.cardId),
				subject: subjects[Number(r.cardId) % subjects.length],
				rating: r.rating,
				source: "solo",
				counted: true,
				first: r.first === true,
				reviewedAt: r.reviewedAt,
				elapsedDays: 0,
				retrievability: 0,
				scheduledDays: 0,
				after: { reps: 1 },
			};
		});
		await ReviewLog.insertMany(docs);
		return log!.length;
	}

	describe("optimisation", () => {
		const subject = unique("Optics");

		it("refuses to fit below the minimum number of reviews (409), storing nothing", async () => {
			const res = await http("POST", "/api/scheduling-profiles/optimize", { token: s.admin.token, body: { studentId: s3.id, subject } });
			expect(res.status).to.equal(409);
			expect(res.body.error.type).to.equal("NOT_ENOUGH_REVIEWS");
			expect((await readLayer(s.admin, `kind=student&studentId=${s3.id}&subject=${subject}`)).body.id).to.equal(null);
			expect((await http("POST", "/api/scheduling-profiles/optimize", { token: s.admin.token, body: { studentId: s3.id, subject: "" } })).status).to.equal(422);
		});

		it("fits on older reviews, judges the fit on the most recent ones, adopts it when better, and effective shows both figures", async () => {
			const total = await insertHistory(s3.id, [subject]);
			expect(total).to.be.greaterThan(600);
			expect(await callInSchool(s.school.id, "memory.history", { studentId: s3.id, subject })).to.have.length(total);

			expect((await http("POST", "/api/scheduling-profiles/optimize", { token: t2.token, body: { studentId: s3.id, subject } })).status).to.equal(403);
			expect((await http("POST", "/api/scheduling-profiles/optimize", { token: s3.token, body: { studentId: s3.id, subject } })).status).to.equal(403);
			expect((await http("POST", "/api/scheduling-profiles/optimize", { token: other.admin.token, body: { studentId: s3.id, subject } })).status).to.equal(404);

			const res = await http("POST", "/api/scheduling-profiles/optimize", { token: t1.token, body: { studentId: s3.id, subject } });
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body).to.include({ scope: "subject", subject, adopted: true, reviewsUsed: total });
			const { fitted, current, heldOut, trainedOn } = res.body.evaluation;
			// held out: the most recent fifth of the predicted reviews; the fit beat the defaults there on both figures
			expect(heldOut).to.be.greaterThan(20);
			expect(heldOut / (heldOut + trainedOn)).to.be.closeTo(0.2, 0.01);
			expect(fitted.logLoss).to.be.lessThan(current.logLoss);
			expect(fitted.rmseBins).to.be.lessThan(current.rmseBins);
			expect(fitted.predictions).to.equal(heldOut);
			expect(res.body.parameters).to.have.length(21);
			expect(res.body.parameters.some((w: number, i: number) => Math.abs(w - default_w[i]) > 1e-3)).to.equal(true);

			const resolved = await callInSchool(s.school.id, "scheduling.resolve", { studentId: s3.id, subject });
			expect(resolved.values.fsrsParameters).to.deep.equal(res.body.parameters);
			expect(resolved.sources.fsrsParameters).to.equal(`student:subject:${subject}`);
			const layer = (await readLayer(t1, `kind=student&studentId=${s3.id}&subject=${subject}`)).body;
			expect(layer.reviewsUsed).to.equal(total);
			expect(layer.optimizedAt).to.be.a("string");
			expect(layer.lastOptimization).to.deep.include({ scope: "subject", adopted: true, reviewsUsed: total });

			// GET /effective shows both figures and that the fitted set is the one in use
			const shown = (await effective(t1, `student=${s3.id}&subject=${subject}`)).body.optimization;
			expect(shown).to.deep.include({ layer: `student:subject:${subject}`, scope: "subject", adopted: true, inUse: true, reviewsUsed: total });
			expect(shown.evaluation).to.deep.include({ heldOut, trainedOn });
			expect(shown.evaluation.fitted).to.deep.equal(fitted);
			expect(shown.evaluation.current).to.deep.equal(current);
			expect(shown).to.not.have.property("parameters");

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
				reviewedAt: new Date("2026-06-01T08:00:00Z"),
			});
			const fittedCard = review(null, 3, new Date("2026-06-01T08:00:00Z"), { ...after.values }, { timeZone: s.school.timezone }).after;
			const defaultCard = review(null, 3, new Date("2026-06-01T08:00:00Z"), { ...after.values, fsrsParameters: [...default_w] }, { timeZone: s.school.timezone }).after;
			expect(cardFromJSON(scheduled.after)).to.deep.equal(fittedCard);
			expect(cardFromJSON(scheduled.after)).not.to.deep.equal(defaultCard);

			// fitted again on the same log: the new fit is the set in use, not better on either figure → not adopted, figures kept
			const again = await http("POST", "/api/scheduling-profiles/optimize", { token: s.admin.token, body: { studentId: s3.id, subject } });
			expect(again.status, JSON.stringify(again.body)).to.equal(200);
			expect(again.body.adopted).to.equal(false);
			expect(again.body.evaluation.fitted).to.deep.equal(again.body.evaluation.current);
			const kept = (await readLayer(t1, `kind=student&studentId=${s3.id}&subject=${subject}`)).body;
			expect(kept.values.fsrsParameters).to.deep.equal(res.body.parameters);
			expect(kept.optimizedAt).to.equal(layer.optimizedAt);
			expect(kept.lastOptimization).to.deep.include({ adopted: false });
			const shownAgain = (await effective(t1, `student=${s3.id}&subject=${subject}`)).body.optimization;
			expect(shownAgain).to.deep.include({ adopted: false, inUse: false });
		});

		it("per student when the subject has too few reviews of its own: fitted on all their subjects, stored on the student layer", async () => {
			const s5 = await invite(s.admin, "student");
			const [a, b, c] = [unique("Algebra"), unique("Botany"), unique("Chemistry")];
			const total = await insertHistory(s5.id, [a, b, c], { student: 5 });
			const perSubject = await callInSchool<any[]>(s.school.id, "memory.history", { studentId: s5.id, subject: a });
			expect(perSubject.length).to.be.lessThan(400);
			expect(await callInSchool<any[]>(s.school.id, "memory.history", { studentId: s5.id })).to.have.length(total);

			const res = await http("POST", "/api/scheduling-profiles/optimize", { token: s.admin.token, body: { studentId: s5.id, subject: a } });
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body).to.include({ scope: "student", subject: null, reviewsUsed: total });
			const general = (await readLayer(s.admin, `kind=student&studentId=${s5.id}`)).body;
			expect(general.lastOptimization).to.deep.include({ scope: "student", adopted: res.body.adopted });
			expect((await readLayer(s.admin, `kind=student&studentId=${s5.id}&subject=${a}`)).body.id).to.equal(null);
			// whatever the subject, effective shows the student layer's figures (and uses its weights if adopted)
			const shown = (await effective(s.admin, `student=${s5.id}&subject=${b}`)).body;
			expect(shown.optimization).to.deep.include({ layer: "student", scope: "student", adopted: res.body.adopted, inUse: res.body.adopted });
			if (res.body.adopted) expect(shown.values.fsrsParameters).to.deep.equal(res.body.parameters);
		});

		it("the nightly job (system) optimises per subject, and per student where a subject has too few, then waits for new reviews", async () => {
			const s4 = await invite(s.admin, "student");
			const s6 = await invite(s.admin, "student");
			const optics = unique("Optics");
			const total4 = await insertHistory(s4.id, [optics], { student: 4 });
			await insertHistory(s6.id, [unique("Art"), unique("Music"), unique("Dance")], { student: 6 });
			const before = (await readLayer(s.admin, `kind=student&studentId=${s3.id}&subject=${subject}`)).body;
			const { broker } = await bootPlatform();
			const run = await broker.call("scheduling.optimizeDue", {}, { meta: systemMeta() });
			expect(run).to.include({ failed: 0 });
			const fitted = (await readLayer(s.admin, `kind=student&studentId=${s4.id}&subject=${optics}`)).body;
			expect(fitted.lastOptimization).to.deep.include({ scope: "subject", reviewsUsed: total4 });
			// s4 has one subject with enough reviews: no per-student fit for them
			expect((await readLayer(s.admin, `kind=student&studentId=${s4.id}`)).body.id).to.equal(null);
			// s6's three subjects each have too few: one fit on all their reviews
			expect((await readLayer(s.admin, `kind=student&studentId=${s6.id}`)).body.lastOptimization).to.deep.include({ scope: "student" });
			// s3 was fitted already and has one review more since: left alone
			expect((await readLayer(s.admin, `kind=student&studentId=${s3.id}&subject=${subject}`)).body).to.deep.equal(before);
			// a second run finds nothing new to do
			const second = (await broker.call("scheduling.optimizeDue", {}, { meta: systemMeta() })) as { optimized: number };
			expect(second.optimized).to.equal(0);
			// only the system principal runs it
			const asAdmin = { meta: { user: { id: s.admin.id, schoolId: s.school.id, roles: ["school_admin"] } } };
			const refused = await (async () => broker.call("scheduling.optimizeDue", {}, asAdmin as any))().catch(e => e);
			expect(refused).to.include({ code: 403 });
		});
	});
});
