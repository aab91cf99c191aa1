import { expect } from "chai";
import { default_w } from "ts-fsrs";
import {
	buildTrainingItems,
	NotEnoughReviewsError,
	optimizeParameters,
	OptimizerUnavailableError,
	predictionLogLoss,
	type OptimizerReview,
} from "../../services/learning/memory/optimizer.js";
import { cohortItems, DEFAULT_CONFIG, simulateStudent, type CohortConfig } from "../bench/memory/simulator.js";
import { deriveSeed } from "../bench/memory/prng.js";

describe("memory optimizer", function () {
	this.timeout(60_000);

	it("turns a review log into one training item per review after a card's first, in local days", () => {
		const at = (iso: string) => new Date(iso);
		const log: OptimizerReview[] = [
			{ cardId: "b", rating: 3, reviewedAt: at("2025-03-12T08:00:00Z") },
			{ cardId: "a", rating: 3, reviewedAt: at("2025-03-10T22:30:00Z") }, // 23:30 in Paris, 10 March
			{ cardId: "a", rating: 1, reviewedAt: at("2025-03-10T23:30:00Z") }, // 00:30 in Paris, 11 March
			{ cardId: "a", rating: 3, reviewedAt: at("2025-03-14T09:00:00Z") },
			{ cardId: "a", rating: 9, reviewedAt: at("2025-03-15T09:00:00Z") }, // not a rating: dropped
		];
		expect(buildTrainingItems(log, "Europe/Paris")).to.deep.equal([
			[
				{ rating: 3, deltaT: 0 },
				{ rating: 1, deltaT: 1 },
			],
			[
				{ rating: 3, deltaT: 0 },
				{ rating: 1, deltaT: 1 },
				{ rating: 3, deltaT: 3 },
			],
		]);
		expect(buildTrainingItems(log, "UTC")[0]).to.deep.equal([
			{ rating: 3, deltaT: 0 },
			{ rating: 1, deltaT: 0 },
		]);
	});

	it("refuses to fit fewer reviews than the minimum", async () => {
		const log: OptimizerReview[] = Array.from({ length: 50 }, (_, i) => ({ cardId: `c${i % 10}`, rating: 3, reviewedAt: new Date(Date.UTC(2025, 0, 1 + i)) }));
		const err = await optimizeParameters(log, { timeZone: "UTC" }).catch((e: unknown) => e);
		expect(err).to.be.instanceOf(NotEnoughReviewsError);
		expect((err as NotEnoughReviewsError).required).to.equal(400);
		expect(await optimizeParameters(log, { timeZone: "UTC", minReviews: 60 }).catch((e: unknown) => e)).to.be.instanceOf(NotEnoughReviewsError);
	});

	it("says clearly when the optimiser cannot load, instead of returning defaults", async () => {
		const log: OptimizerReview[] = Array.from({ length: 10 }, (_, i) => ({ cardId: "c", rating: 3, reviewedAt: new Date(Date.UTC(2025, 0, 1 + i)) }));
		const err = await optimizeParameters(log, {
			timeZone: "UTC",
			minReviews: 1,
			loadBinding: () => Promise.reject(new Error("no prebuilt binary for this platform")),
		}).catch((e: unknown) => e);
		expect(err).to.be.instanceOf(OptimizerUnavailableError);
		expect((err as Error).message).to.match(/optimiser .* is unavailable: no prebuilt binary/);
	});

	it("fits a simulated student's parameters, which predict held-out reviews better than the defaults", async () => {
		// one simulated student (exponential forgetting, not FSRS), scheduled by our FSRS with default weights
		const config: CohortConfig = { ...DEFAULT_CONFIG, items: 200, days: 90, seed: 7 };
		const { log } = await simulateStudent("fsrs", 3, config, cohortItems(config), { keepLog: true });
		expect(log!.length).to.be.greaterThan(1000);

		// hold out a fifth of the cards
		const heldOut = (cardId: string) => deriveSeed(Number(cardId), 99) % 5 === 0;
		const train = log!.filter((r) => !heldOut(r.cardId));
		const test = log!.filter((r) => heldOut(r.cardId));
		const result = await optimizeParameters(train, { timeZone: config.timeZone, numRelearningSteps: 0 });

		expect(result.parameters).to.have.length(21);
		expect(result.parameters.every(Number.isFinite)).to.equal(true);
		expect(result.reviewsUsed).to.equal(train.length);
		const moved = result.parameters.filter((w, i) => Math.abs(w - default_w[i]) > 1e-3).length;
		expect(moved, "parameters that moved away from the defaults").to.be.greaterThan(5);

		const testItems = buildTrainingItems(test, config.timeZone);
		const fitted = predictionLogLoss(testItems, result.parameters);
		const defaults = predictionLogLoss(testItems, default_w);
		expect(fitted.predictions).to.be.greaterThan(100);
		expect(fitted.logLoss).to.be.lessThan(defaults.logLoss);

		// the same log gives the same parameters (the optimiser's shuffling is seeded)
		const again = await optimizeParameters(train, { timeZone: config.timeZone, numRelearningSteps: 0 });
		expect(again.parameters).to.deep.equal(result.parameters);
	});
});
