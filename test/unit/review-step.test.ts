import { expect } from "chai";
import { PLATFORM_DEFAULTS } from "../../services/learning/memory/profile-layers.js";
import { cardOf, reviewStep, type ReviewInput } from "../../services/learning/memory/review-step.js";
import { review } from "../../services/learning/memory/scheduler.js";

const input = (extra: Partial<ReviewInput> = {}): ReviewInput => ({
	reviewKey: "k",
	studentId: "a".repeat(24),
	itemId: "b".repeat(24),
	rating: 3,
	source: "group",
	reviewedAt: new Date("2024-01-10T09:00:00Z"),
	...extra,
});

describe("memory review step (shared by recordReview and recordReviews)", () => {
	it("gives the scheduler's outcome and a log entry describing it", () => {
		const first = reviewStep(null, input({ rating: 1, pathId: "c".repeat(24) }), "Geography", PLATFORM_DEFAULTS);
		expect(first.outcome).to.deep.equal(review(null, 1, new Date("2024-01-10T09:00:00Z"), PLATFORM_DEFAULTS, { source: "group" }));
		expect(first.log).to.deep.include({ subject: "Geography", rating: 1, source: "group", counted: true, first: true, before: null, pathId: "c".repeat(24), teacherId: null });
		const second = reviewStep(first.outcome.after, input({ reviewKey: "k2", reviewedAt: new Date("2024-01-10T09:10:00Z") }), "Geography", PLATFORM_DEFAULTS);
		expect(second.log).to.deep.include({ first: false, before: first.outcome.after });
		expect(second.log).to.not.have.property("wouldBe");
	});

	it("refuses an answer dated before the card's last review with a 409, not a RangeError", () => {
		const { outcome } = reviewStep(null, input(), "Geography", PLATFORM_DEFAULTS);
		expect(() => reviewStep(outcome.after, input({ reviewedAt: new Date("2024-01-09T09:00:00Z") }), "Geography", PLATFORM_DEFAULTS))
			.to.throw("cannot be recorded")
			.with.property("code", 409);
	});

	it("reads a stored state's card, ignoring the document's other fields", () => {
		const { outcome } = reviewStep(null, input(), "Geography", PLATFORM_DEFAULTS);
		expect(cardOf({ ...outcome.after, _id: "x", subject: "Geography", lastLogId: "y" })).to.deep.equal(outcome.after);
	});
});
