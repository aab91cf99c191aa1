import { expect } from "chai";
import { MAX_REVIEW_QUESTIONS, StepBook } from "../../services/learning/live/review-round.js";
import { MAX_STEP_IN_SESSION_MS, MAX_STEPS_PER_ITEM } from "../../services/learning/sessions/session-logic.js";

const MIN = 60_000;
const LEARNING = 1;
const REVIEW = 2;
const RELEARNING = 3;

describe("review rounds of a live group session (unit)", () => {
	it("keeps the same-session steps memory sets, and asks the item due again for the most students first", () => {
		const book = new StepBook();
		const t0 = 1_000_000;
		expect(book.choose(t0)).to.equal(null);
		expect(book.nextDueAt()).to.equal(null);
		book.record("s1", "x", t0, { state: RELEARNING, due: t0 + 10 * MIN });
		book.record("s2", "x", t0, { state: LEARNING, due: t0 + 10 * MIN });
		book.record("s3", "y", t0, { state: LEARNING, due: t0 + MIN });
		book.record("s4", "x", t0, { state: REVIEW, due: t0 + 3 * 86_400_000 }); // graduated: nothing to ask
		book.record("s5", "z", t0, { state: LEARNING, due: t0 + MAX_STEP_IN_SESSION_MS + 1 }); // too far off for this session
		expect(book.nextDueAt()).to.equal(t0 + MIN);
		// only y has elapsed at +1 min
		expect(book.choose(t0 + MIN)).to.deep.equal({ itemId: "y", studentIds: ["s3"] });
		// at +10 min, x (two students) before y (one)
		expect(book.choose(t0 + 10 * MIN)).to.deep.equal({ itemId: "x", studentIds: ["s1", "s2"] });
		book.asking({ itemId: "x", studentIds: ["s1", "s2"] });
		expect(book.choose(t0 + 10 * MIN)).to.deep.equal({ itemId: "y", studentIds: ["s3"] });
		// the review answer is the second of s1's answers to x; right, it graduates; s2 did not answer: not asked again
		expect(book.attempt("s1", "x")).to.equal(2);
		book.record("s1", "x", t0 + 11 * MIN, { state: REVIEW, due: t0 + 86_400_000 });
		expect(book.attempt("s1", "x")).to.equal(3);
		book.asking({ itemId: "y", studentIds: ["s3"] });
		expect(book.choose(t0 + 20 * MIN)).to.equal(null);
		expect(MAX_REVIEW_QUESTIONS).to.be.greaterThan(0);
	});

	it("stops asking a student an item after MAX_STEPS_PER_ITEM review questions", () => {
		const book = new StepBook();
		let t = 0;
		for (let n = 0; n < MAX_STEPS_PER_ITEM; n++) {
			book.record("s", "x", t, { state: RELEARNING, due: t + MIN });
			t += MIN;
			const round = book.choose(t);
			expect(round, `round ${n}`).to.deep.equal({ itemId: "x", studentIds: ["s"] });
			book.asking(round!);
		}
		book.record("s", "x", t, { state: RELEARNING, due: t + MIN });
		expect(book.choose(t + MIN)).to.equal(null);
	});
});
