/**
 * What the optimiser is fed, against the open-spaced-repetition conventions (Anki's reviews_for_fsrs, fsrs-rs,
 * srs-benchmark): same-day reviews stay in the histories but are never predicted, a card's history starts at its first
 * review, days are local days. A log of same-day-only cards must not reach fsrs-rs as training targets (the native
 * optimiser panics on an item without a day between reviews and aborts the whole process).
 */
import { expect } from "chai";
import { buildTrainingItems, optimizeParameters, timedTrainingItems, type OptimizerReview } from "../../services/learning/memory/optimizer.js";
import { Prng } from "../bench/memory/prng.js";

const DAY = 86_400_000;
const MIN = 60_000;

describe("memory optimizer, what it is fed", function () {
	this.timeout(60_000);

	it("predicts only reviews a local day or more after the previous one; same-day steps stay in the history", () => {
		const t0 = Date.UTC(2024, 0, 1, 8);
		const log: OptimizerReview[] = [
			{ cardId: "a", rating: 1, reviewedAt: new Date(t0), first: true }, // learning: Again
			{ cardId: "a", rating: 3, reviewedAt: new Date(t0 + MIN) }, // step 1 min
			{ cardId: "a", rating: 3, reviewedAt: new Date(t0 + 11 * MIN) }, // step 10 min
			{ cardId: "a", rating: 3, reviewedAt: new Date(t0 + 2 * DAY) }, // first long-term review: predicted
			{ cardId: "a", rating: 1, reviewedAt: new Date(t0 + 6 * DAY) }, // lapse: predicted
			{ cardId: "a", rating: 3, reviewedAt: new Date(t0 + 6 * DAY + 10 * MIN) }, // relearning step: not predicted
			{ cardId: "a", rating: 3, reviewedAt: new Date(t0 + 7 * DAY) }, // predicted
			{ cardId: "b", rating: 3, reviewedAt: new Date(t0), first: true },
			{ cardId: "b", rating: 3, reviewedAt: new Date(t0 + 10 * MIN) }, // only same-day: no item
		];
		expect(buildTrainingItems(log, "UTC")).to.deep.equal([
			[
				{ rating: 1, deltaT: 0 },
				{ rating: 3, deltaT: 0 },
				{ rating: 3, deltaT: 0 },
				{ rating: 3, deltaT: 2 },
			],
			[
				{ rating: 1, deltaT: 0 },
				{ rating: 3, deltaT: 0 },
				{ rating: 3, deltaT: 0 },
				{ rating: 3, deltaT: 2 },
				{ rating: 1, deltaT: 4 },
			],
			[
				{ rating: 1, deltaT: 0 },
				{ rating: 3, deltaT: 0 },
				{ rating: 3, deltaT: 0 },
				{ rating: 3, deltaT: 2 },
				{ rating: 1, deltaT: 4 },
				{ rating: 3, deltaT: 0 },
				{ rating: 3, deltaT: 1 },
			],
		]);
		expect(timedTrainingItems(log, "UTC").reviewsUsed).to.equal(9);
	});

	it("leaves out a card whose log does not start at its first review, and orders items by the predicted review's time", () => {
		const t0 = Date.UTC(2024, 0, 1, 8);
		const log: OptimizerReview[] = [
			{ cardId: "late", rating: 3, reviewedAt: new Date(t0 + 5 * DAY), first: false },
			{ cardId: "late", rating: 3, reviewedAt: new Date(t0 + 9 * DAY), first: false },
			{ cardId: "x", rating: 3, reviewedAt: new Date(t0 + DAY), first: true },
			{ cardId: "x", rating: 3, reviewedAt: new Date(t0 + 8 * DAY), first: false },
			{ cardId: "y", rating: 3, reviewedAt: new Date(t0), first: true },
			{ cardId: "y", rating: 2, reviewedAt: new Date(t0 + 3 * DAY), first: false },
			{ cardId: "y", rating: 9, reviewedAt: new Date(t0 + 4 * DAY), first: false }, // not a rating: dropped
		];
		const { items, reviewsUsed } = timedTrainingItems(log, "UTC");
		expect(items.map(i => [i.cardId, i.at])).to.deep.equal([
			["y", t0 + 3 * DAY],
			["x", t0 + 8 * DAY],
		]);
		expect(reviewsUsed).to.equal(4);
	});

	it("fits a log mixing same-day-only cards with spaced ones instead of crashing", async () => {
		const rng = new Prng(5);
		const start = Date.UTC(2024, 0, 1, 8);
		const log: OptimizerReview[] = [];
		for (let card = 0; card < 60; card++) {
			let at = start + card * 60_000;
			const sameDayOnly = card % 3 === 0;
			for (let n = 0; n < 8; n++) {
				log.push({ cardId: `c${card}`, rating: rng.next() < 0.15 ? 1 : 3, reviewedAt: new Date(at), first: n === 0 });
				at += sameDayOnly ? 600_000 : (n + 1) * DAY;
			}
		}
		const result = await optimizeParameters(log, { timeZone: "UTC" });
		expect(result.parameters).to.have.length(21);
		expect(result.reviewsUsed).to.equal(480);
		expect(result.trainingItems).to.equal(40 * 7);
	});
});
