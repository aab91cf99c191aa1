/**
 * fsrs agreement: our scheduling (scheduler.review, with the card stored and read back as a database would) equals
 * plain ts-fsrs `fsrs(params).next(card, now, rating)` step by step, on random histories from a seeded PRNG, for
 * several profiles.
 */
import { expect } from "chai";
import { createEmptyCard, fsrs, generatorParameters, type Card, type Grade, type StepUnit } from "ts-fsrs";
import { cardFromJSON, retrievability, review, type MemoryCard, type SchedulerProfile } from "../../services/learning/memory/scheduler.js";
import { PLATFORM_DEFAULTS } from "../../services/learning/memory/profile-layers.js";
import { Prng } from "../bench/memory/prng.js";

const MINUTE = 60_000;
const DAY = 86_400_000;

const PROFILES: Record<string, SchedulerProfile> = {
	"platform defaults": { ...PLATFORM_DEFAULTS },
	"low retention, short max interval, one 5m step": {
		desiredRetention: 0.75,
		maximumIntervalDays: 30,
		learningSteps: ["5m"],
		relearningSteps: [],
		fsrsParameters: [...PLATFORM_DEFAULTS.fsrsParameters],
	},
	"high retention, no steps, personal weights": {
		desiredRetention: 0.97,
		maximumIntervalDays: 3650,
		learningSteps: [],
		relearningSteps: [],
		fsrsParameters: [
			0.0257, 0.1567, 0.2795, 1.0054, 6.6124, 0.6308, 2.948, 0.001, 1.6657, 0.2447, 0.5872, 1.5776, 0.0455, 0.4062, 1.7043, 0.6014, 1.8729, 0.5359,
			0.0884, 0.0658, 0.3,
		],
	},
	"fuzz on, hour steps": {
		desiredRetention: 0.85,
		maximumIntervalDays: 365,
		learningSteps: ["1h", "1d"],
		relearningSteps: ["30m"],
		fsrsParameters: [...PLATFORM_DEFAULTS.fsrsParameters],
		enableFuzz: true,
	},
};

/** The parameters spelled out by hand from the profile, not through our fsrsParametersFor. */
function plainFsrs(profile: SchedulerProfile) {
	return fsrs(
		generatorParameters({
			request_retention: profile.desiredRetention,
			maximum_interval: profile.maximumIntervalDays,
			w: profile.fsrsParameters,
			enable_fuzz: profile.enableFuzz ?? false,
			enable_short_term: true,
			learning_steps: profile.learningSteps as StepUnit[],
			relearning_steps: profile.relearningSteps as StepUnit[],
		}),
	);
}

function comparable(card: Card | MemoryCard) {
	return {
		due: card.due.getTime(),
		stability: card.stability,
		difficulty: card.difficulty,
		elapsed_days: card.elapsed_days,
		scheduled_days: card.scheduled_days,
		learning_steps: card.learning_steps,
		reps: card.reps,
		lapses: card.lapses,
		state: card.state,
		last_review: card.last_review ? card.last_review.getTime() : null,
	};
}

/** The next review time: mostly around the due date (early, on time, late), sometimes minutes later. */
function nextTime(rng: Prng, previous: number, due: number): number {
	const roll = rng.next();
	if (roll < 0.15) return previous + (1 + rng.int(30)) * MINUTE;
	if (roll < 0.35) return Math.max(previous + MINUTE, due - rng.next() * (due - previous));
	return due + rng.next() * 5 * DAY;
}

describe("fsrs agreement", () => {
	for (const [name, profile] of Object.entries(PROFILES)) {
		it(`our scheduling equals ts-fsrs next() step by step on 40 random histories (${name})`, () => {
			const plain = plainFsrs(profile);
			const rng = new Prng(0xf5a5 + name.length);
			let steps = 0;
			let lapses = 0;
			for (let h = 0; h < 40; h++) {
				let now = Date.UTC(2025, 0, 6, 8) + rng.int(365) * DAY + rng.int(DAY);
				let ours: MemoryCard | undefined;
				let theirs: Card = createEmptyCard(new Date(now));
				const length = 5 + rng.int(25);
				for (let i = 0; i < length; i++) {
					const rating = (1 + rng.int(4)) as Grade;
					const outcome = review(ours, rating, new Date(now), profile);
					theirs = plain.next(theirs, new Date(now), rating).card;
					expect(comparable(outcome.after), `history ${h}, review ${i}`).to.deep.equal(comparable(theirs));
					expect(outcome.practice).to.equal(false);
					// store and read back, as the MemoryState document does
					ours = cardFromJSON(JSON.parse(JSON.stringify(outcome.after)));
					expect(retrievability(ours, new Date(now + 3 * DAY), profile.fsrsParameters)).to.be.closeTo(
						plain.get_retrievability(theirs, new Date(now + 3 * DAY), false),
						1e-12,
					);
					lapses = Math.max(lapses, theirs.lapses);
					now = nextTime(rng, now, theirs.due.getTime());
					steps++;
				}
			}
			expect(steps).to.be.greaterThan(400);
			expect(lapses, "the histories include lapses").to.be.greaterThan(0);
		});
	}

	it("the agreement check would catch a difference (a changed retention schedules differently)", () => {
		const profile = PROFILES["platform defaults"];
		const now = new Date("2025-02-01T10:00:00Z");
		let card = review(undefined, 3, now, { ...profile, learningSteps: [] }).after;
		card = review(card, 3, card.due, { ...profile, learningSteps: [] }).after;
		const ours = review(card, 3, card.due, { ...profile, desiredRetention: 0.8 }).after;
		const theirs = plainFsrs(profile).next(card as unknown as Card, card.due, 3).card;
		expect(comparable(ours)).to.not.deep.equal(comparable(theirs));
	});

	it("rejects a rating outside 1..4 and an answer dated before the last review", () => {
		const profile = PROFILES["platform defaults"];
		const now = new Date("2025-02-01T10:00:00Z");
		expect(() => review(undefined, 0 as Grade, now, profile)).to.throw(RangeError);
		expect(() => review(undefined, 5 as Grade, now, profile)).to.throw(RangeError);
		const card = review(undefined, 3, now, profile).after;
		expect(() => review(card, 3, new Date(now.getTime() - MINUTE), profile)).to.throw(RangeError, /before the last review/);
	});

	it("group reviews are recorded at their true time even when early, and FSRS discounts them", () => {
		const profile = { ...PROFILES["platform defaults"], learningSteps: [], relearningSteps: [] };
		const start = new Date("2025-02-01T10:00:00Z");
		const card = review(review(undefined, 3, start, profile).after, 3, new Date(start.getTime() + 3 * DAY), profile).after;
		const early = review(card, 3, new Date(card.last_review!.getTime() + DAY), profile, { source: "group" });
		const onTime = review(card, 3, card.due, profile, { source: "group" });
		expect(early.log.source).to.equal("group");
		expect(early.log.counted).to.equal(true);
		expect(early.after.last_review!.getTime()).to.equal(card.last_review!.getTime() + DAY);
		expect(early.after.stability).to.be.greaterThan(card.stability);
		expect(early.after.stability).to.be.lessThan(onTime.after.stability);
	});
});
