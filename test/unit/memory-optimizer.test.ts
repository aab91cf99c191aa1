import { expect } from "chai";
import { default_w } from "ts-fsrs";
import { requireFsrsBinding, type FsrsBinding } from "../../services/learning/memory/fsrs-binding.js";
import {
	buildTrainingItems,
	evaluateParameters,
	HOLDOUT_SHARE,
	isBetter,
	NotEnoughReviewsError,
	optimizeParameters,
	optimizeWithHoldout,
	OptimizerUnavailableError,
	predictionMetrics,
	timedTrainingItems,
	type OptimizerReview,
	type TrainingItem,
} from "../../services/learning/memory/optimizer.js";
import { cohortItems, DEFAULT_CONFIG, simulateStudent, type CohortConfig } from "../bench/memory/simulator.js";

const DAY = 86_400_000;

describe("memory optimizer", function () {
	this.timeout(120_000);

	it("counts days between reviews in the school's local days", () => {
		const at = (iso: string) => new Date(iso);
		const log: OptimizerReview[] = [
			{ cardId: "a", rating: 3, reviewedAt: at("2025-03-10T22:30:00Z") }, // 23:30 in Paris, 10 March
			{ cardId: "a", rating: 1, reviewedAt: at("2025-03-10T23:30:00Z") }, // 00:30 in Paris, 11 March
			{ cardId: "a", rating: 3, reviewedAt: at("2025-03-14T09:00:00Z") },
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
		// in UTC the first two are one day: a same-day step, never predicted
		expect(buildTrainingItems(log, "UTC")).to.deep.equal([
			[
				{ rating: 3, deltaT: 0 },
				{ rating: 1, deltaT: 0 },
				{ rating: 3, deltaT: 4 },
			],
		]);
	});

	it("refuses to fit fewer reviews than the minimum", async () => {
		const log: OptimizerReview[] = Array.from({ length: 50 }, (_, i) => ({ cardId: `c${i % 10}`, rating: 3, reviewedAt: new Date(Date.UTC(2025, 0, 1 + i)) }));
		const err = await optimizeParameters(log, { timeZone: "UTC" }).catch((e: unknown) => e);
		expect(err).to.be.instanceOf(NotEnoughReviewsError);
		expect((err as NotEnoughReviewsError).required).to.equal(400);
		expect(await optimizeWithHoldout(log, default_w, { timeZone: "UTC" }).catch((e: unknown) => e)).to.be.instanceOf(NotEnoughReviewsError);
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

	it("RMSE(bins) and log loss follow srs-benchmark, and agree with fsrs-rs's own evaluation", () => {
		// hand-checkable: one bin, 4 predictions
		const m = predictionMetrics([
			{ p: 0.9, y: 1, deltaT: 3, i: 2, lapses: 0 },
			{ p: 0.9, y: 1, deltaT: 3, i: 2, lapses: 0 },
			{ p: 0.9, y: 1, deltaT: 3, i: 2, lapses: 0 },
			{ p: 0.9, y: 0, deltaT: 3, i: 2, lapses: 0 },
		]);
		expect(m.rmseBins).to.be.closeTo(0.15, 1e-12);
		expect(m.logLoss).to.be.closeTo(-(3 * Math.log(0.9) + Math.log(0.1)) / 4, 1e-12);
		// two bins weighted by their counts: |0.75 − 0.9| × 4 and |0 − 0.5| × 1
		const two = predictionMetrics([...Array(4).fill({ p: 0.9, y: 1, deltaT: 3, i: 2, lapses: 0 }).map((x, k) => ({ ...x, y: k === 3 ? 0 : 1 })), { p: 0.5, y: 0, deltaT: 40, i: 2, lapses: 0 }]);
		expect(two.rmseBins).to.be.closeTo(Math.sqrt((4 * 0.15 ** 2 + 0.5 ** 2) / 5), 1e-12);

		// the predictions themselves: one history shape at a time (fsrs-rs weighs recent items more, which a single
		// shape makes moot), our figures are fsrs-rs's own
		const shapes: TrainingItem[] = [
			[{ rating: 3, deltaT: 0 }, { rating: 3, deltaT: 2 }],
			[{ rating: 3, deltaT: 0 }, { rating: 1, deltaT: 2 }],
			[{ rating: 1, deltaT: 0 }, { rating: 3, deltaT: 0 }, { rating: 3, deltaT: 1 }],
			[{ rating: 3, deltaT: 0 }, { rating: 3, deltaT: 3 }, { rating: 1, deltaT: 9 }],
			[{ rating: 2, deltaT: 0 }, { rating: 1, deltaT: 4 }, { rating: 3, deltaT: 0 }, { rating: 3, deltaT: 2 }],
		];
		const binding = requireFsrsBinding() as FsrsBinding & { FSRSBinding: new (w: number[]) => { evaluate(items: unknown[]): { logLoss: number; rmseBins: number } } };
		for (const shape of shapes) {
			const items = Array.from({ length: 100 }, () => shape);
			const theirs = new binding.FSRSBinding([...default_w]).evaluate(items.map(it => new binding.FSRSBindingItem(it.map(r => new binding.FSRSBindingReview(r.rating, r.deltaT)))));
			const ours = evaluateParameters(items, default_w);
			expect(ours.predictions).to.equal(100);
			expect(ours.logLoss, JSON.stringify(shape)).to.be.closeTo(theirs.logLoss, 1e-4);
			expect(ours.rmseBins, JSON.stringify(shape)).to.be.closeTo(theirs.rmseBins, 1e-4);
		}
	});

	it("fits a simulated student on older reviews, judges the fit on the most recent ones, and adopts it when it is better", async () => {
		// one simulated student (exponential forgetting, not FSRS), scheduled by our FSRS with default weights
		const config: CohortConfig = { ...DEFAULT_CONFIG, items: 200, days: 90, seed: 7 };
		const { log } = await simulateStudent("fsrs", 0.9, 3, config, cohortItems(config), { keepLog: true });
		expect(log!.length).to.be.greaterThan(1000);

		const result = await optimizeWithHoldout(log!, default_w, { timeZone: config.timeZone, numRelearningSteps: 1 });
		const { items } = timedTrainingItems(log!, config.timeZone);
		const split = Math.floor(items.length * (1 - HOLDOUT_SHARE));
		// a time split: the held-out reviews are the most recent ones
		expect(result.evaluation.heldOut).to.equal(items.length - split);
		expect(result.evaluation.trainedOn).to.equal(split);
		expect(result.evaluation.heldOutFrom.getTime()).to.equal(items[split].at);
		expect(items.slice(0, split).every(i => i.at <= items[split].at)).to.equal(true);
		// both figures, for both sets, on those reviews
		const heldOut = items.slice(split).map(i => i.reviews);
		expect(result.evaluation.current).to.deep.equal(evaluateParameters(heldOut, default_w));
		expect(result.evaluation.fitted).to.deep.equal(evaluateParameters(heldOut, result.parameters));
		expect(result.evaluation.fitted.logLoss).to.be.lessThan(result.evaluation.current.logLoss);
		expect(result.evaluation.fitted.rmseBins).to.be.lessThan(result.evaluation.current.rmseBins);
		expect(result.adopted).to.equal(true);
		// the fitted first-review stabilities are distinct (they no longer collapse to one value)
		expect(new Set(result.parameters.slice(0, 4).map(w => w.toFixed(3))).size).to.be.greaterThan(1);

		// the same log gives the same parameters (the optimiser's shuffling is seeded)
		const again = await optimizeWithHoldout(log!, default_w, { timeZone: config.timeZone, numRelearningSteps: 1 });
		expect(again.parameters).to.deep.equal(result.parameters);
	});

	it("does not adopt a fit that is not better on both figures", async () => {
		const t0 = Date.UTC(2025, 0, 6, 17);
		const log: OptimizerReview[] = [];
		for (let card = 0; card < 120; card++) for (let n = 0; n < 5; n++) log.push({ cardId: `c${card}`, rating: (card + n) % 5 === 0 ? 1 : 3, reviewedAt: new Date(t0 + card * 60_000 + n * (n + 1) * DAY), first: n === 0 });
		// a stand-in for fsrs-rs that "fits" whatever it is told: the current set itself, then a far worse one
		const fake = (w: number[]) => async () =>
			({
				FSRSBindingItem: class {},
				FSRSBindingReview: class {},
				computeParameters: async () => w,
			}) as unknown as FsrsBinding;
		const same = await optimizeWithHoldout(log, default_w, { timeZone: "UTC", loadBinding: fake([...default_w]) });
		expect(same.evaluation.fitted).to.deep.equal(same.evaluation.current);
		expect(same.adopted).to.equal(false);
		// first-review stabilities of 100 days: predicts that nothing is ever forgotten
		const worse = [...default_w];
		worse[0] = worse[1] = worse[2] = worse[3] = 100;
		const bad = await optimizeWithHoldout(log, default_w, { timeZone: "UTC", loadBinding: fake(worse) });
		expect(bad.evaluation.fitted.logLoss).to.be.greaterThan(bad.evaluation.current.logLoss);
		expect(bad.adopted).to.equal(false);
		expect(isBetter({ logLoss: 0.3, rmseBins: 0.05, predictions: 1 }, { logLoss: 0.31, rmseBins: 0.04, predictions: 1 })).to.equal(false);
		expect(isBetter({ logLoss: 0.3, rmseBins: 0.05, predictions: 1 }, { logLoss: 0.31, rmseBins: 0.06, predictions: 1 })).to.equal(true);
	});
});
