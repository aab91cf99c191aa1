/**
 * A review log where some cards were only ever reviewed within one day (learning steps) must not reach fsrs-rs as
 * such: the native optimiser panics on an item without a day between reviews and aborts the whole process.
 */
import { expect } from "chai";
import { buildTrainingItems, isTrainable, optimizeParameters, type OptimizerReview } from "../../services/learning/memory/optimizer.js";
import { Prng } from "../bench/memory/prng.js";

const DAY = 86_400_000;

describe("memory optimizer, same-day histories", function () {
	this.timeout(60_000);

	it("tells the items fsrs-rs can train on", () => {
		expect(isTrainable([{ rating: 3, deltaT: 0 }, { rating: 3, deltaT: 0 }])).to.equal(false);
		expect(isTrainable([{ rating: 3, deltaT: 0 }, { rating: 1, deltaT: 0 }, { rating: 3, deltaT: 2 }])).to.equal(true);
	});

	it("fits a log mixing same-day-only cards with spaced ones instead of crashing", async () => {
		const rng = new Prng(5);
		const start = Date.UTC(2024, 0, 1, 8);
		const log: OptimizerReview[] = [];
		for (let card = 0; card < 60; card++) {
			let at = start + card * 60_000;
			const sameDayOnly = card % 3 === 0;
			for (let n = 0; n < 8; n++) {
				log.push({ cardId: `c${card}`, rating: rng.next() < 0.15 ? 1 : 3, reviewedAt: new Date(at) });
				at += sameDayOnly ? 600_000 : (n + 1) * DAY;
			}
		}
		expect(buildTrainingItems(log, "UTC").filter(item => !isTrainable(item)).length).to.be.greaterThan(0);
		const result = await optimizeParameters(log, { timeZone: "UTC" });
		expect(result.parameters).to.have.length(21);
		expect(result.reviewsUsed).to.equal(480);
		expect(result.trainingItems).to.equal(40 * 7);
	});
});
