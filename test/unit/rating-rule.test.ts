import { expect } from "chai";
import { FAST_FACTOR, ratingFromAnswer, selfRating, SLOW_FACTOR, timeThresholdsMs } from "../../services/learning/memory/rating.js";

describe("rating rule", () => {
	const expectedSeconds = 20;

	it("wrong → Again, whatever the time", () => {
		expect(ratingFromAnswer({ correct: false, responseTimeMs: 1000, expectedSeconds })).to.equal(1);
		expect(ratingFromAnswer({ correct: false, responseTimeMs: 100_000, expectedSeconds })).to.equal(1);
		expect(ratingFromAnswer({ correct: 0.5, responseTimeMs: 15_000, expectedSeconds })).to.equal(1);
	});

	it("right → Good; right but slow → Hard; right and fast → Easy", () => {
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 20_000, expectedSeconds })).to.equal(3);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 30_001, expectedSeconds })).to.equal(2);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 30_000, expectedSeconds })).to.equal(3);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 9_999, expectedSeconds })).to.equal(4);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 10_000, expectedSeconds })).to.equal(3);
		expect(ratingFromAnswer({ correct: 1, responseTimeMs: 5_000, expectedSeconds })).to.equal(4);
	});

	it("scales slow and fast by the student's extra time (50 % → 1.5 × the time)", () => {
		expect(timeThresholdsMs(20, 50)).to.deep.equal({ fastMs: 20_000 * 1.5 * FAST_FACTOR, slowMs: 20_000 * 1.5 * SLOW_FACTOR });
		// 40 s is slow for a student without accommodation, and ordinary with 50 % extra time
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 40_000, expectedSeconds })).to.equal(2);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 40_000, expectedSeconds, extraTimePercent: 50 })).to.equal(3);
		// 12 s is ordinary without, and fast with 50 % extra time (fast below 15 s)
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 12_000, expectedSeconds })).to.equal(3);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 12_000, expectedSeconds, extraTimePercent: 50 })).to.equal(4);
	});

	it("without an expected time or a response time, right is Good", () => {
		expect(ratingFromAnswer({ correct: true })).to.equal(3);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: 100, expectedSeconds: null })).to.equal(3);
		expect(ratingFromAnswer({ correct: true, responseTimeMs: Number.NaN, expectedSeconds })).to.equal(3);
	});

	it("flashcards are self-rated: 1..4 pass through, anything else is refused", () => {
		expect([1, 2, 3, 4].map(selfRating)).to.deep.equal([1, 2, 3, 4]);
		expect(selfRating("3")).to.equal(3);
		for (const bad of [0, 5, 2.5, "", "4x", null, undefined, "Good"]) expect(() => selfRating(bad), String(bad)).to.throw(RangeError);
	});
});
