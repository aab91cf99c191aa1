import { expect } from "chai";
import { createEmptyCard, fsrs, type Card } from "ts-fsrs";
import { PLATFORM_DEFAULTS } from "../../services/learning/memory/profile-layers.js";
import { cardFromJSON, fsrsParametersFor, review, type MemoryCard } from "../../services/learning/memory/scheduler.js";
import { dueCutoff } from "../../services/learning/memory/spacing.js";

const DAY = 86_400_000;
const profile = { ...PLATFORM_DEFAULTS, learningSteps: [], relearningSteps: [] };

function reviewed(): MemoryCard {
	const start = new Date("2025-04-01T08:00:00Z");
	const first = review(undefined, 3, start, profile).after;
	return review(first, 3, first.due, profile).after;
}

describe("practice mode leaves memory consistent", () => {
	it("a practice answer on a not-yet-due item leaves the state exactly as it was", () => {
		const before = reviewed();
		const snapshot = JSON.stringify(before);
		for (const rating of [1, 2, 3, 4] as const) {
			const outcome = review(before, rating, new Date(before.last_review!.getTime() + DAY), profile, { source: "practice" });
			expect(outcome.practice).to.equal(true);
			expect(outcome.log).to.include({ source: "practice", counted: false, rating });
			expect(JSON.stringify(outcome.after)).to.equal(snapshot);
			expect(outcome.after).to.not.equal(before); // a copy, not the caller's object
			expect(JSON.stringify(outcome.wouldBe)).to.not.equal(snapshot);
		}
		expect(JSON.stringify(before)).to.equal(snapshot);
	});

	it("after any number of practice answers, the next real review equals ts-fsrs on the history without them", () => {
		let state = reviewed();
		const plainCard: Card = createEmptyCard(new Date("2025-04-01T08:00:00Z"));
		const plain = fsrs(fsrsParametersFor(profile));
		const c1 = plain.next(plainCard, new Date("2025-04-01T08:00:00Z"), 3).card;
		const c2 = plain.next(c1, c1.due, 3).card;
		for (let i = 1; i <= 3; i++) {
			state = cardFromJSON(JSON.parse(JSON.stringify(review(state, 1, new Date(state.last_review!.getTime() + i * 3_600_000), profile, { source: "practice" }).after)));
		}
		const real = review(state, 3, c2.due, profile).after;
		const expected = plain.next(c2, c2.due, 3).card;
		expect(real.due.getTime()).to.equal(expected.due.getTime());
		expect(real.stability).to.equal(expected.stability);
		expect(real.difficulty).to.equal(expected.difficulty);
		expect(real.reps).to.equal(expected.reps);
		expect(real.lapses).to.equal(expected.lapses);
	});

	it("a practice answer on a due item, or a never-seen one, is an ordinary review", () => {
		const before = reviewed();
		const due = review(before, 3, before.due, profile, { source: "practice" });
		expect(due.practice).to.equal(false);
		expect(due.log).to.include({ source: "solo", counted: true });
		expect(due.after.reps).to.equal(before.reps + 1);
		const fresh = review(undefined, 3, new Date("2025-04-02T08:00:00Z"), profile, { source: "practice" });
		expect(fresh.practice).to.equal(false);
		expect(fresh.after.reps).to.equal(1);
	});

	it("with the session's due cutoff, an item due later today counts, as it does in the queue", () => {
		const before = reviewed();
		const morning = new Date(before.due.getTime() - 6 * 3_600_000);
		expect(review(before, 3, morning, profile, { source: "practice" }).practice).to.equal(true);
		const counted = review(before, 3, morning, profile, { source: "practice", dueBefore: dueCutoff(morning, "UTC") });
		expect(counted.practice).to.equal(false);
		expect(counted.after.reps).to.equal(before.reps + 1);
	});
});
