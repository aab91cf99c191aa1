import { expect } from "chai";
import { State } from "ts-fsrs";
import { prepareItem } from "../../services/learning/content/validate-item.js";
import type { ContentInput } from "../../services/learning/content/content-types.js";
import { PLATFORM_DEFAULTS } from "../../services/learning/memory/profile-layers.js";
import { review } from "../../services/learning/memory/scheduler.js";
import { buildSteps, findCycle, isAssigned, reorder, stepAccess } from "../../services/learning/paths/path-rules.js";
import {
	answerFeedback,
	applyAnswer,
	attemptOf,
	closeSession,
	currentItemId,
	isIdle,
	MAX_STEP_IN_SESSION_MS,
	MAX_STEPS_PER_ITEM,
	nextStepAt,
	stepEntry,
	openSession,
	planQueue,
	remaining,
	serve,
	summarize,
	takeAnswer,
	type SessionItem,
	type SessionState,
} from "../../services/learning/sessions/session-logic.js";

const hex = (n: number) => n.toString(16).padStart(24, "0");
const item = (id: number, input: ContentInput): SessionItem => ({ ...prepareItem(input, { status: "validated" }), id: hex(id) });

const capital = item(1, { kind: "short_answer", title: "Capital", subject: "geo", prompt: "Capital of France?", accepted: ["Paris"], expectedSeconds: 20 });
const card = item(2, { kind: "flashcard", title: "Chat", subject: "fr", front: "cat", back: "chat" });
const seas = item(3, {
	kind: "single_choice",
	title: "Seas",
	subject: "geo",
	prompt: "Which is a sea?",
	choices: [
		{ id: "a", text: "Baltic", correct: true },
		{ id: "b", text: "Alps", correct: false },
	],
});
const lesson = item(4, { kind: "lesson", title: "Intro", subject: "geo", markdown: "# Read me" });
const pi = item(5, { kind: "numeric", title: "Pi", subject: "math", prompt: "pi to 2 places", value: 3.14, tolerance: 0.005 });
const byId = new Map([capital, card, seas, lesson, pi].map(i => [i.id, i]));

const profile = { newItemsPerDay: 10, fsrsParameters: [...PLATFORM_DEFAULTS.fsrsParameters] };
const schedulerProfile = { ...PLATFORM_DEFAULTS };
const T0 = new Date("2025-03-12T08:00:00Z");
const at = (ms: number) => new Date(T0.getTime() + ms);

function plan(mode: "normal" | "practice" = "normal", states: { itemId: string; card: any }[] = [], now = T0, newIntroducedToday = 0) {
	return planQueue({ items: [...byId.values()], states, now, timeZone: "Europe/Paris", newIntroducedToday, profile, mode });
}

function started(): SessionState {
	return openSession(plan(), "normal", T0);
}

describe("session logic (unit)", () => {
	it("queues the step's answerable items (no lesson), new ones up to the day's quota", () => {
		expect(plan().map(q => q.itemId)).to.deep.equal([capital.id, card.id, seas.id, pi.id]);
		expect(plan("normal", [], T0, 8).map(q => q.itemId)).to.deep.equal([capital.id, card.id]);
		expect(plan("normal", [], T0, 10)).to.deep.equal([]);
	});

	it("serves due items first, lowest retrievability first, and practice items only in practice mode", () => {
		const reviewed = (rating: 1 | 3, when: Date) => review(null, rating, when, schedulerProfile).after;
		const daysAgo = (n: number) => new Date(T0.getTime() - n * 86_400_000);
		const twoDaysAgo = daysAgo(2);
		const learnt = review(reviewed(3, daysAgo(10)), 3, new Date(daysAgo(10).getTime() + 11 * 60_000), schedulerProfile).after;
		const weekLater = review(learnt, 3, daysAgo(7), schedulerProfile).after;
		expect(weekLater.due.getTime()).to.be.greaterThan(T0.getTime() + 86_400_000);
		const states = [
			{ itemId: capital.id, card: weekLater },
			{ itemId: seas.id, card: reviewed(1, twoDaysAgo) },
		];
		expect(weekLater.state).to.equal(State.Review);
		const normal = plan("normal", states, T0, 10);
		expect(normal.map(q => [q.itemId, q.kind])).to.deep.equal([[seas.id, "due"]]);
		const practice = plan("practice", states, T0, 10);
		expect(practice.map(q => [q.itemId, q.kind])).to.deep.equal([[seas.id, "due"], [capital.id, "practice"]]);
	});

	it("refuses to open a session with nothing to review (409 NOTHING_TO_REVIEW)", () => {
		expect(() => openSession([], "normal", T0)).to.throw().with.property("type", "NOTHING_TO_REVIEW");
	});

	it("serves the next item without its answer key", () => {
		const state = started();
		expect(currentItemId(state, T0)).to.equal(capital.id);
		const served = JSON.stringify(serve(capital));
		expect(served).to.contain("Capital of France?");
		expect(served).not.to.match(/Paris|accepted/);
		expect(JSON.stringify(serve(card))).not.to.contain("chat");
		expect(JSON.stringify(serve(seas))).not.to.contain("correct");
		expect(JSON.stringify(serve(pi))).not.to.contain("3.14");
	});

	it("grades on the server and rates by rating.ts (cold start): wrong → Again, slow → Hard, else Good, a fast first answer too", () => {
		let state = started();
		const wrong = takeAnswer(state, { clientId: "c1", itemId: capital.id, answer: { text: "Lyon" }, responseTimeMs: 15_000 }, capital, at(15_000));
		expect(wrong.duplicate).to.equal(false);
		expect(wrong.record).to.include({ correct: false, score: 0, rating: 1 });
		state = (wrong as any).state;
		expect(currentItemId(state, at(15_000))).to.equal(card.id);

		const rights = [
			[{ text: "paris" }, 35_000, 2],
			[{ text: "Paris" }, 15_000, 3],
			// fast, but a first answer (and no calibration yet): never Easy from speed alone
			[{ text: "Paris." }, 5_000, 3],
		] as const;
		for (const [answer, ms, rating] of rights) {
			const fresh = takeAnswer(started(), { clientId: "x", itemId: capital.id, answer, responseTimeMs: ms }, capital, at(ms));
			expect(fresh.record.rating, `${ms} ms`).to.equal(rating);
		}
		// 50 % extra time: 35 s on a 20 s item is no longer slow
		const accommodated = takeAnswer(started(), { clientId: "x", itemId: capital.id, answer: { text: "Paris" }, responseTimeMs: 35_000 }, capital, at(1), 50);
		expect(accommodated.record.rating).to.equal(3);
	});

	it("takes a flashcard's self-rating; a rating above Again counts as recalled", () => {
		const state = started();
		const r = takeAnswer(state, { clientId: "f", itemId: card.id, answer: { rating: 2 } }, card, at(1));
		expect(r.record).to.include({ correct: true, score: 1, rating: 2 });
		const again = takeAnswer(state, { clientId: "g", itemId: card.id, answer: { rating: 1 } }, card, at(1));
		expect(again.record).to.include({ correct: false, rating: 1 });
		expect(() => takeAnswer(state, { clientId: "h", itemId: card.id, answer: { rating: 5 } }, card, at(1))).to.throw().with.property("code", 422);
		expect(() => takeAnswer(state, { clientId: "h", itemId: card.id, answer: { rating: 3, back: "x" } }, card, at(1))).to.throw().with.property("code", 422);
	});

	it("is idempotent by client id: a retry returns the first result and adds nothing", () => {
		const first = takeAnswer(started(), { clientId: "c1", itemId: seas.id, answer: { choiceId: "a" }, responseTimeMs: 10_000 }, seas, at(10_000));
		if (first.duplicate) throw new Error("first answer seen as a retry");
		const retry = takeAnswer(first.state, { clientId: "c1", itemId: seas.id, answer: { choiceId: "b" }, responseTimeMs: 1 }, seas, at(20_000));
		expect(retry.duplicate).to.equal(true);
		expect(retry.record).to.deep.equal(first.record);
		expect(first.state.answers).to.have.length(1);
		// another client id for the same item is a second answer: refused
		expect(() => takeAnswer(first.state, { clientId: "c2", itemId: seas.id, answer: { choiceId: "a" } }, seas, at(1))).to.throw().with.property("type", "ALREADY_ANSWERED");
		// a client id reused for another item is a client bug
		expect(() => takeAnswer(first.state, { clientId: "c1", itemId: pi.id, answer: { value: 3.14 } }, pi, at(1))).to.throw().with.property("code", 409);
	});

	it("refuses items outside the queue and malformed answers (422), and answers after the end (409)", () => {
		const state = started();
		expect(() => takeAnswer(state, { clientId: "l", itemId: lesson.id, answer: {} }, lesson, at(1))).to.throw().with.property("code", 422);
		expect(() => takeAnswer(state, { clientId: "p", itemId: pi.id, answer: { value: "pi" } }, pi, at(1))).to.throw().with.property("code", 422);
		const { state: ended } = closeSession(state, at(1000), "completed");
		expect(() => takeAnswer(ended, { clientId: "p", itemId: pi.id, answer: { value: 3.14 } }, pi, at(2000))).to.throw().with.property("type", "SESSION_CLOSED");
	});

	it("reveals the key only in the answer's feedback", () => {
		const r = takeAnswer(started(), { clientId: "n", itemId: pi.id, answer: { value: "3,14" } }, pi, at(1));
		const feedback = answerFeedback(r.record, pi);
		expect(feedback.correct).to.equal(true);
		expect(feedback.feedback.expected).to.deep.equal({ value: 3.14, tolerance: 0.005 });
	});

	it("summarises score, success rate and time spent; abandoned sessions stop counting at the last answer", () => {
		let state = started();
		const answers = [
			[capital, { text: "Paris" }],
			[card, { rating: 1 }],
			[seas, { choiceId: "a" }],
		] as const;
		answers.forEach(([it, answer], i) => {
			const r = takeAnswer(state, { clientId: `c${i}`, itemId: it.id, answer, responseTimeMs: 8000 }, it, at((i + 1) * 60_000));
			state = (r as any).state;
		});
		expect(remaining(state)).to.equal(1);
		expect(summarize(state, at(5 * 60_000))).to.deep.equal({ score: 0.6667, successRate: 0.6667, timeSpentMs: 300_000, answered: 3, correct: 2 });
		const completed = closeSession(state, at(5 * 60_000), "completed");
		expect(completed.state.status).to.equal("completed");
		expect(completed.summary.timeSpentMs).to.equal(300_000);
		const abandoned = closeSession(state, at(60 * 60_000), "abandoned");
		expect(abandoned.summary.timeSpentMs).to.equal(180_000);
		expect(() => closeSession(completed.state, at(1), "completed")).to.throw().with.property("type", "SESSION_CLOSED");
		expect(summarize(started(), at(1000))).to.include({ score: 0, successRate: 0, answered: 0 });
	});

	it("detects idle sessions after the timeout", () => {
		const state = started();
		expect(isIdle(state, at(29 * 60_000), 30 * 60_000)).to.equal(false);
		expect(isIdle(state, at(31 * 60_000), 30 * 60_000)).to.equal(true);
		expect(isIdle(closeSession(state, at(1), "completed").state, at(31 * 60_000), 30 * 60_000)).to.equal(false);
	});

	it("learning steps run within the session: an item in a step due soon comes back once it is due, before the rest", () => {
		let state = started();
		const answer = (it: SessionItem, body: unknown, when: Date, after?: { state: State; due: Date }) => {
			const r = takeAnswer(state, { clientId: `c${state.answers.length}`, itemId: it.id, answer: body, responseTimeMs: 8000 }, it, when);
			if (r.duplicate) throw new Error("seen as a retry");
			state = applyAnswer(state, r.record, after);
			return r.record;
		};
		// capital: wrong; memory puts it in a 10-minute relearning step
		const failedAt = at(60_000);
		answer(capital, { text: "Lyon" }, failedAt, { state: State.Learning, due: new Date(failedAt.getTime() + 10 * 60_000) });
		expect(state.queue.at(-1)).to.deep.equal({ itemId: capital.id, kind: "step", dueAt: new Date(failedAt.getTime() + 10 * 60_000) });
		expect(remaining(state)).to.equal(4);
		// until it is due, the rest of the queue; it may not be answered early
		expect(currentItemId(state, at(2 * 60_000))).to.equal(card.id);
		expect(() => takeAnswer(state, { clientId: "early", itemId: capital.id, answer: { text: "Paris" } }, capital, at(2 * 60_000)))
			.to.throw()
			.with.property("type", "ALREADY_ANSWERED");
		answer(card, { rating: 3 }, at(2 * 60_000), { state: State.Review, due: at(3 * 86_400_000) });
		// once due, it comes before the items not yet answered
		expect(currentItemId(state, at(11 * 60_000))).to.equal(capital.id);
		expect(currentItemId(state, at(10 * 60_000))).to.equal(seas.id);
		answer(seas, { choiceId: "a" }, at(3 * 60_000), { state: State.Review, due: at(2 * 86_400_000) });
		answer(pi, { value: 3.14 }, at(4 * 60_000), { state: State.Review, due: at(2 * 86_400_000) });
		// only the step is left: nothing to serve until it is due, and when that is
		expect(currentItemId(state, at(5 * 60_000))).to.equal(null);
		expect(nextStepAt(state, at(5 * 60_000))).to.deep.equal(new Date(failedAt.getTime() + 10 * 60_000));
		expect(remaining(state)).to.equal(1);
		expect(attemptOf(state, capital.id)).to.equal(2);
		const second = answer(capital, { text: "Paris" }, at(12 * 60_000), { state: State.Review, due: at(86_400_000) });
		expect(second.correct).to.equal(true);
		expect(remaining(state)).to.equal(0);
		expect(currentItemId(state, at(13 * 60_000))).to.equal(null);
		expect(nextStepAt(state, at(13 * 60_000))).to.equal(null);
	});

	it("a step beyond MAX_STEP_IN_SESSION_MS, an uncounted answer, or an item back MAX_STEPS_PER_ITEM times is not queued again", () => {
		const state = started();
		const record = takeAnswer(state, { clientId: "a", itemId: capital.id, answer: { text: "Lyon" } }, capital, at(1)).record;
		const inLearning = (ms: number) => ({ state: State.Relearning, due: at(1 + ms) });
		expect(stepEntry(state, record, inLearning(MAX_STEP_IN_SESSION_MS))).to.not.equal(null);
		expect(stepEntry(state, record, inLearning(MAX_STEP_IN_SESSION_MS + 1))).to.equal(null);
		expect(stepEntry(state, { ...record, counted: false }, inLearning(60_000))).to.equal(null);
		expect(stepEntry(state, record, { state: State.Review, due: at(60_000) })).to.equal(null);
		expect(stepEntry(state, record, null)).to.equal(null);
		const crowded = { ...state, queue: [...state.queue, ...Array.from({ length: MAX_STEPS_PER_ITEM }, () => ({ itemId: capital.id, kind: "step" as const, dueAt: at(1) }))] };
		expect(stepEntry(crowded, record, inLearning(60_000))).to.equal(null);
	});

	it("marks practice answers on not-yet-due items as not counted", () => {
		const state = openSession([{ itemId: capital.id, kind: "practice" }, { itemId: seas.id, kind: "due" }], "practice", T0);
		expect(takeAnswer(state, { clientId: "a", itemId: capital.id, answer: { text: "Paris" } }, capital, at(1)).record.counted).to.equal(false);
		expect(takeAnswer(state, { clientId: "b", itemId: seas.id, answer: { choiceId: "a" } }, seas, at(1)).record.counted).to.equal(true);
	});
});

describe("path rules (unit)", () => {
	it("builds steps: ids, prerequisites by position or id, default completion and evaluation settings", () => {
		const steps = buildSteps([
			{ title: "One", itemIds: [hex(1)] },
			{ title: "Two", prerequisites: [0], completion: { type: "mastery" } },
			{ title: "Quiz", kind: "evaluation", prerequisites: [1], evaluation: { maxAttempts: 2 } },
		]);
		expect(steps.map(s => s.id)).to.satisfy((ids: string[]) => ids.every(id => /^[0-9a-f]{24}$/.test(id)));
		expect(steps[1].prerequisites).to.deep.equal([steps[0].id]);
		expect(steps[0].completion).to.deep.equal({ type: "all_reviewed" });
		expect(steps[1].completion).to.deep.equal({ type: "mastery", threshold: 0.8 });
		expect(steps[2].completion).to.deep.equal({ type: "passed" });
		expect(steps[2].evaluation).to.deep.equal({ timeLimitSeconds: 900, maxAttempts: 2, passScore: 0.5 });
		// replacing keeps known ids, refuses invented ones
		const again = buildSteps([{ id: steps[1].id, title: "Two bis" }, { title: "New", prerequisites: [steps[1].id] }], steps);
		expect(again[0].id).to.equal(steps[1].id);
		expect(() => buildSteps([{ id: hex(99), title: "x" }], steps)).to.throw().with.property("code", 422);
	});

	it("refuses prerequisite cycles, unknown prerequisites, self-prerequisites and inverted windows", () => {
		expect(() => buildSteps([{ title: "A", prerequisites: [1] }, { title: "B", prerequisites: [0] }])).to.throw(/circle/);
		expect(() => buildSteps([{ title: "A", prerequisites: [5] }])).to.throw().with.property("code", 422);
		expect(() => buildSteps([{ title: "A", prerequisites: [0] }])).to.throw(/itself/);
		expect(() => buildSteps([{ title: "A", availableFrom: "2025-03-02", availableUntil: "2025-03-01" }])).to.throw(/after/);
		expect(() => buildSteps([{ title: "A", completion: { type: "passed" } }])).to.throw().with.property("code", 422);
		expect(findCycle([{ id: "a", title: "A", prerequisites: ["b"] }, { id: "b", title: "B", prerequisites: [] }])).to.equal(null);
	});

	it("reorders with every step named once", () => {
		const steps = buildSteps([{ title: "A" }, { title: "B" }]);
		expect(reorder(steps, [steps[1].id, steps[0].id]).map(s => s.title)).to.deep.equal(["B", "A"]);
		expect(() => reorder(steps, [steps[1].id])).to.throw().with.property("code", 422);
		expect(() => reorder(steps, [steps[1].id, steps[1].id])).to.throw().with.property("code", 422);
	});

	it("decides step access: window, then prerequisites; and assignment by student or class", () => {
		const step = { availableFrom: new Date("2025-03-10"), availableUntil: new Date("2025-03-20"), prerequisites: ["p"] };
		expect(stepAccess(step, new Date("2025-03-09"), new Set(["p"]))).to.include({ ok: false, reason: "not_yet_open" });
		expect(stepAccess(step, new Date("2025-03-21"), new Set(["p"]))).to.include({ ok: false, reason: "closed" });
		expect(stepAccess(step, new Date("2025-03-12"), new Set())).to.deep.equal({ ok: false, reason: "locked", missing: ["p"] });
		expect(stepAccess(step, new Date("2025-03-12"), new Set(["p"]))).to.deep.equal({ ok: true });
		expect(isAssigned({ studentIds: ["s"], classIds: [] }, "s", [])).to.equal(true);
		expect(isAssigned({ studentIds: [], classIds: ["c"] }, "s", ["c"])).to.equal(true);
		expect(isAssigned({ studentIds: ["t"], classIds: ["c"] }, "s", ["d"])).to.equal(false);
	});
});
