import { expect } from "chai";
import { State } from "ts-fsrs";
import { PLATFORM_DEFAULTS } from "../../services/learning/memory/profile-layers.js";
import { newCard, review, type MemoryCard } from "../../services/learning/memory/scheduler.js";
import {
	addDays,
	buildQueue,
	countOnLocalDay,
	dueCutoff,
	localDay,
	localDayBounds,
	startOfLocalDay,
	streak,
	type QueueInput,
} from "../../services/learning/memory/spacing.js";

const DAY = 86_400_000;
const profile = { newItemsPerDay: 3, fsrsParameters: [...PLATFORM_DEFAULTS.fsrsParameters] };

function reviewCard(stability: number, lastReview: string, due: string, state: State = State.Review): MemoryCard {
	return {
		due: new Date(due),
		stability,
		difficulty: 5,
		elapsed_days: 0,
		scheduled_days: Math.round((Date.parse(due) - Date.parse(lastReview)) / DAY),
		learning_steps: 0,
		reps: 3,
		lapses: 0,
		state,
		last_review: new Date(lastReview),
	};
}

function input(overrides: Partial<QueueInput>): QueueInput {
	return { states: [], unseen: [], now: new Date("2025-03-12T09:00:00Z"), timeZone: "Europe/Paris", newIntroducedToday: 0, profile, ...overrides };
}

describe("spacing rules", () => {
	const now = "2025-03-12T09:00:00Z";
	const states = [
		// due 2 days ago, long memory: still fairly well remembered
		{ itemId: "strong", card: reviewCard(30, "2025-02-10T09:00:00Z", "2025-03-10T09:00:00Z") },
		// due yesterday with a weak memory: closest to being forgotten
		{ itemId: "weak", card: reviewCard(2, "2025-03-08T09:00:00Z", "2025-03-11T09:00:00Z") },
		// due later today: counts as due today
		{ itemId: "tonight", card: reviewCard(5, "2025-03-07T18:00:00Z", "2025-03-12T18:00:00Z") },
		// due tomorrow
		{ itemId: "tomorrow", card: reviewCard(6, "2025-03-07T09:00:00Z", "2025-03-13T09:00:00Z") },
		// due in a week
		{ itemId: "later", card: reviewCard(20, "2025-03-01T09:00:00Z", "2025-03-19T09:00:00Z") },
	];

	it("serves due items first, lowest retrievability first, then new items up to the quota, and nothing else", () => {
		const queue = buildQueue(input({ states, unseen: ["n1", "n2", "n3", "n4"], now: new Date(now) }));
		expect(queue.map((e) => e.itemId)).to.deep.equal(["weak", "strong", "tonight", "n1", "n2", "n3"]);
		expect(queue.map((e) => e.kind)).to.deep.equal(["due", "due", "due", "new", "new", "new"]);
		const dueR = queue.filter((e) => e.kind === "due").map((e) => e.retrievability);
		expect(dueR).to.deep.equal([...dueR].sort((a, b) => a - b));
		expect(dueR[0]).to.be.lessThan(dueR[1]);
	});

	it("introduces only what is left of the day's quota, and none past it", () => {
		expect(buildQueue(input({ unseen: ["n1", "n2", "n3"], newIntroducedToday: 2 })).map((e) => e.itemId)).to.deep.equal(["n1"]);
		expect(buildQueue(input({ unseen: ["n1", "n2"], newIntroducedToday: 3 }))).to.deep.equal([]);
		expect(buildQueue(input({ unseen: ["n1", "n2"], newIntroducedToday: 7 }))).to.deep.equal([]);
		expect(buildQueue(input({ unseen: ["n1"], profile: { ...profile, newItemsPerDay: 0 } }))).to.deep.equal([]);
	});

	it("treats a stored card still in the New state as never seen, and lists each item once", () => {
		const queue = buildQueue(input({ states: [{ itemId: "n0", card: newCard(new Date(now)) }], unseen: ["n0", "n1"] }));
		expect(queue.map((e) => [e.itemId, e.kind])).to.deep.equal([
			["n0", "new"],
			["n1", "new"],
		]);
	});

	it("a learning card (minute steps) is due only once its step has passed", () => {
		const steps = { ...PLATFORM_DEFAULTS, learningSteps: ["1m", "10m"] };
		const first = review(undefined, 3, new Date(now), steps).after;
		expect(first.state).to.equal(State.Learning);
		const at = (ms: number) => buildQueue(input({ states: [{ itemId: "l", card: first }], now: new Date(Date.parse(now) + ms) }));
		expect(at(5 * 60_000)).to.deep.equal([]);
		expect(at(10 * 60_000).map((e) => e.itemId)).to.deep.equal(["l"]);
	});

	it("practice mode adds the not-yet-due items after due and new ones, lowest retrievability first", () => {
		const queue = buildQueue(input({ states, unseen: ["n1"], now: new Date(now), practice: true }));
		expect(queue.map((e) => [e.itemId, e.kind])).to.deep.equal([
			["weak", "due"],
			["strong", "due"],
			["tonight", "due"],
			["n1", "new"],
			["tomorrow", "practice"],
			["later", "practice"],
		]);
		expect(queue[4].retrievability).to.be.lessThan(queue[5].retrievability);
		expect(buildQueue(input({ states, now: new Date(now), practice: true, limit: 2 })).map((e) => e.itemId)).to.deep.equal(["weak", "strong"]);
	});

	it("counts the daily quota in the school's time zone across midnight: Europe/Paris vs UTC", () => {
		// three new items started at 23:30 Paris time on 10 March (22:30 UTC)
		const started = [0, 1, 2].map((i) => new Date(Date.parse("2025-03-10T22:30:00Z") + i * 60_000));
		// an hour later it is 00:30 on 11 March in Paris, still 10 March in UTC
		const later = new Date("2025-03-10T23:30:00Z");
		expect(countOnLocalDay(started, later, "Europe/Paris")).to.equal(0);
		expect(countOnLocalDay(started, later, "UTC")).to.equal(3);
		const queueFor = (timeZone: string) =>
			buildQueue(input({ unseen: ["a", "b", "c", "d"], now: later, timeZone, newIntroducedToday: countOnLocalDay(started, later, timeZone) }));
		expect(queueFor("Europe/Paris").map((e) => e.itemId)).to.deep.equal(["a", "b", "c"]);
		expect(queueFor("UTC")).to.deep.equal([]);
	});

	it("'due today' follows the school's local day", () => {
		const card = reviewCard(5, "2025-03-05T10:00:00Z", "2025-03-11T10:00:00Z");
		const lateEvening = new Date("2025-03-10T23:30:00Z"); // 00:30 on the 11th in Paris
		expect(buildQueue(input({ states: [{ itemId: "x", card }], now: lateEvening, timeZone: "Europe/Paris" }))).to.have.length(1);
		expect(buildQueue(input({ states: [{ itemId: "x", card }], now: lateEvening, timeZone: "UTC" }))).to.have.length(0);
		expect(dueCutoff(lateEvening, "Europe/Paris").toISOString()).to.equal("2025-03-11T23:00:00.000Z");
	});

	it("localDay and day bounds handle time zones and daylight saving", () => {
		expect(localDay(new Date("2025-03-10T23:30:00Z"), "Europe/Paris")).to.equal("2025-03-11");
		expect(localDay(new Date("2025-03-10T23:30:00Z"), "UTC")).to.equal("2025-03-10");
		expect(localDay(new Date("2025-03-11T03:00:00Z"), "America/New_York")).to.equal("2025-03-10");
		expect(startOfLocalDay("2025-03-30", "Europe/Paris").toISOString()).to.equal("2025-03-29T23:00:00.000Z");
		// the spring-forward day in Paris lasts 23 hours
		const spring = localDayBounds(new Date("2025-03-30T12:00:00Z"), "Europe/Paris");
		expect(spring.end.getTime() - spring.start.getTime()).to.equal(23 * 3_600_000);
		expect(startOfLocalDay("2025-10-26", "Europe/Paris").toISOString()).to.equal("2025-10-25T22:00:00.000Z");
		expect(addDays("2024-02-28", 1)).to.equal("2024-02-29");
		expect(addDays("2025-01-01", -1)).to.equal("2024-12-31");
		expect(() => localDay(new Date(), "Mars/Olympus")).to.throw(RangeError);
	});

	it("streak: consecutive local days with a review, ending today or yesterday", () => {
		const days = ["2025-03-08", "2025-03-09", "2025-03-10", "2025-03-10", "2025-03-05"];
		expect(streak(days, "2025-03-10")).to.equal(3);
		expect(streak(days, "2025-03-11")).to.equal(3); // today not yet revised: not broken until the day ends
		expect(streak(days, "2025-03-12")).to.equal(0);
		expect(streak([], "2025-03-12")).to.equal(0);
		expect(streak(["2025-02-28", "2025-03-01"], "2025-03-01")).to.equal(2);
	});
});
