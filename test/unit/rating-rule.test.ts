import { expect } from "chai";
import {
	COLD_SLOW_FACTOR,
	FAST_PERCENTILE,
	MIN_SAMPLES,
	normalizedTime,
	quantile,
	ratingFromAnswer,
	selfRating,
	SLOW_PERCENTILE,
	timeThresholdsMs,
} from "../../services/learning/memory/rating.js";
import { DIGEST_SIZE, responseSample, withSample } from "../../services/learning/memory/response-times.js";
import { ratingFor, reviewStep } from "../../services/learning/memory/review-step.js";
import { PLATFORM_DEFAULTS } from "../../services/learning/memory/profile-layers.js";
import { review } from "../../services/learning/memory/scheduler.js";

/** A calibrated digest: normalised times 0.50, 0.51, … (n of them). */
const digest = (n: number, from = 0.5, step = 0.01) => Array.from({ length: n }, (_, i) => from + i * step);

describe("rating rule", () => {
	const expectedSeconds = 20;

	it("wrong → Again, whatever the time", () => {
		for (const recent of [[], digest(40)]) {
			expect(ratingFromAnswer({ correct: false, responseTimeMs: 1000, expectedSeconds, recent, firstAnswer: false })).to.equal(1);
			expect(ratingFromAnswer({ correct: false, responseTimeMs: 100_000, expectedSeconds, recent })).to.equal(1);
			expect(ratingFromAnswer({ correct: 0.5, responseTimeMs: 15_000, expectedSeconds, recent })).to.equal(1);
		}
	});

	it("a first answer is never Easy from speed alone, calibrated or not", () => {
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 500, expectedSeconds, firstAnswer: true, recent: digest(64) })).to.equal(3);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 500, expectedSeconds, firstAnswer: true })).to.equal(3);
		// unknown counts as first
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 500, expectedSeconds, recent: digest(64) })).to.equal(3);
		// but it may be Hard
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 31_000, expectedSeconds, firstAnswer: true })).to.equal(2);
		// the same fast answer on a later review is Easy once calibrated
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 500, expectedSeconds, firstAnswer: false, recent: digest(64) })).to.equal(4);
	});

	it("cold start (fewer than MIN_SAMPLES): no Easy from speed; Hard beyond 1.5 × the accommodated expected time", () => {
		const recent = digest(MIN_SAMPLES - 1);
		expect(timeThresholdsMs(expectedSeconds, 0, recent)).to.deep.equal({ fastMs: null, slowMs: 20_000 * COLD_SLOW_FACTOR, calibrated: false });
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 100, expectedSeconds, firstAnswer: false, recent })).to.equal(3);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 30_000, expectedSeconds, firstAnswer: false, recent })).to.equal(3);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 30_001, expectedSeconds, firstAnswer: false, recent })).to.equal(2);
		// 50 % extra time: 40 s is ordinary, 45 001 ms is slow
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 40_000, expectedSeconds, extraTimePercent: 50, firstAnswer: false })).to.equal(3);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 45_001, expectedSeconds, extraTimePercent: 50, firstAnswer: false })).to.equal(2);
	});

	it("calibrated: thresholds are the student's own percentiles × the item's accommodated expected time", () => {
		const recent = digest(41); // 0.50 … 0.90
		const sorted = [...recent].sort((a, b) => a - b);
		const t = timeThresholdsMs(expectedSeconds, 0, recent);
		expect(t.calibrated).to.equal(true);
		expect(t.fastMs).to.be.closeTo(20_000 * quantile(sorted, FAST_PERCENTILE), 1e-6); // 0.54 → 10.8 s
		expect(t.slowMs).to.be.closeTo(20_000 * quantile(sorted, SLOW_PERCENTILE), 1e-6); // 0.86 → 17.2 s
		expect(t.fastMs).to.be.closeTo(10_800, 1e-6);
		expect(t.slowMs).to.be.closeTo(17_200, 1e-6);
		const rate = (ms: number, extra = 0) => ratingFromAnswer({ correct: true, responseTimeMs: ms, expectedSeconds, extraTimePercent: extra, firstAnswer: false, recent });
		expect(rate(10_700)).to.equal(4);
		expect(rate(11_000)).to.equal(3);
		expect(rate(17_100)).to.equal(3);
		// 17.3 s is slow for this student, though well inside the old fixed 30 s
		expect(rate(17_300)).to.equal(2);
		// the accommodation stretches the student's own thresholds too
		expect(rate(17_300, 50)).to.equal(3);
		expect(rate(25_900, 50)).to.equal(2);
		// a student who is slow by nature is not Hard at 25 s
		const slowStudent = digest(41, 1.0, 0.02); // 1.0 … 1.8
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 25_000, expectedSeconds, firstAnswer: false, recent: slowStudent })).to.equal(3);
	});

	it("without an expected time or a response time, right is Good", () => {
		expect(ratingFromAnswer({ correct: true })).to.equal(3);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 100, expectedSeconds: null, recent: digest(64), firstAnswer: false })).to.equal(3);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: Number.NaN, expectedSeconds, recent: digest(64), firstAnswer: false })).to.equal(3);
	});

	it("the digest: right answers to graded questions only, on the accommodated scale, the last DIGEST_SIZE kept", () => {
		expect(normalizedTime(15_000, 10, 50)).to.equal(1);
		expect(responseSample({ correct: true, responseTimeMs: 15_000, extraTimePercent: 50 }, { kind: "short_answer", expectedSeconds: 10 })).to.equal(1);
		expect(responseSample({ correct: false, responseTimeMs: 15_000 }, { kind: "short_answer", expectedSeconds: 10 })).to.equal(null);
		expect(responseSample({ correct: true, responseTimeMs: 15_000 }, { kind: "flashcard", expectedSeconds: 10 })).to.equal(null);
		expect(responseSample({ correct: true, responseTimeMs: null }, { kind: "numeric", expectedSeconds: 10 })).to.equal(null);
		let times: number[] = [];
		for (let i = 0; i < DIGEST_SIZE + 5; i++) times = withSample(times, i);
		expect(times).to.have.length(DIGEST_SIZE);
		expect(times[0]).to.equal(5);
		expect(withSample(times, null)).to.deep.equal(times);
	});

	it("memory rates a graded answer it is asked to rate: first review from the card, thresholds from the digest", () => {
		const now = new Date("2030-01-07T10:00:00Z");
		const item = { kind: "short_answer", expectedSeconds: 20 };
		const p = { reviewKey: "k", studentId: "s", itemId: "i", rating: 4 as const, correct: true, responseTimeMs: 2_000, rateFromAnswer: true, source: "solo" as const, reviewedAt: now };
		// never seen: the caller's Easy is not taken, a first answer is Good
		expect(ratingFor(null, p, { item, recent: digest(64) })).to.equal(3);
		const step = reviewStep(null, p, "Geo", { ...PLATFORM_DEFAULTS }, { item, recent: digest(64) });
		expect(step.rating).to.equal(3);
		expect(step.log.rating).to.equal(3);
		expect(step.outcome.after.state).to.equal(1); // Learning: the steps run
		// seen before, calibrated: Easy
		const seen = review(null, 3, new Date(now.getTime() - 3 * 86_400_000), { ...PLATFORM_DEFAULTS, learningSteps: [] }).after;
		expect(ratingFor(seen, p, { item, recent: digest(64) })).to.equal(4);
		// not asked, or a flashcard: the caller's rating stands
		expect(ratingFor(null, { ...p, rateFromAnswer: false }, { item })).to.equal(4);
		expect(ratingFor(null, p, { item: { kind: "flashcard", expectedSeconds: 20 } })).to.equal(4);
	});

	it("flashcards are self-rated: 1..4 pass through, anything else is refused", () => {
		expect([1, 2, 3, 4].map(selfRating)).to.deep.equal([1, 2, 3, 4]);
		expect(selfRating("3")).to.equal(3);
		for (const bad of [0, 5, 2.5, "", "4x", null, undefined, "Good"]) expect(() => selfRating(bad), String(bad)).to.throw(RangeError);
	});
});
