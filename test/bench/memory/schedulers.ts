/**
 * The schedulers the benchmark compares, each for one student, each with the knob the equal-retention sweep turns.
 *
 * - FSRS is the product's own modules, not a copy: the session runs on sessions/session-logic.ts (planQueue, the
 *   learning steps that come back within the session, applyAnswer), answers go through memory/scheduler.ts review()
 *   with the school's time zone, and the optimised variant fits and adopts parameters with memory/optimizer.ts
 *   optimizeWithHoldout, as scheduling.optimize does. Knob: desired retention. The profile is the shipped one
 *   (platform defaults: steps 1m, 10m; relearning 10m).
 * - Leitner boxes (Moodle's flashcard plugin: 1, 2, 4, 8, 16, 32 days). Knob: a multiplier of every interval.
 * - SM-2 (Wozniak 1987). Knob: Anki's interval modifier, applied to every interval.
 * - The oracle knows the simulated truth and reviews an item at the last session before its true recall falls below
 *   a threshold (the knob): the limit a scheduler seeing only answers cannot beat by much.
 * All run one session a day and introduce the same new items; the daily ones review what is due today (before the
 * start of tomorrow in the school's time zone) once each.
 */
import { forgetting_curve } from "ts-fsrs";
import { localDaysBetween } from "../../../services/shared/local-time.js";
import { NEW_REVIEWS_TO_REOPTIMIZE, optimizeWithHoldout, type MetricsAccumulator, type OptimizerReview } from "../../../services/learning/memory/optimizer.js";
import { PLATFORM_DEFAULTS } from "../../../services/learning/memory/profile-layers.js";
import { review, State, type Grade, type MemoryCard, type SchedulerProfile } from "../../../services/learning/memory/scheduler.js";
import { dueCutoff } from "../../../services/learning/memory/spacing.js";
import { applyAnswer, currentItemId, nextStepAt, openSession, planQueue, type SessionState } from "../../../services/learning/sessions/session-logic.js";
import type { StudentMemory } from "./ground-truth.js";

/** fsrs: the shipped profile with default parameters; fsrs-optimised: parameters fitted per student; fsrs-no-steps: for comparison, the shipped profile without its learning steps. */
export type SchedulerKind = "fsrs" | "fsrs-optimised" | "fsrs-no-steps" | "leitner" | "sm2" | "oracle";
export const SCHEDULER_KINDS: readonly SchedulerKind[] = ["fsrs", "fsrs-optimised", "fsrs-no-steps", "leitner", "sm2", "oracle"];

/** The student's answer to one item served at `at`: its grade (the product's rating rule) and how long it took. */
export interface Answer {
	correct: boolean;
	grade: Grade;
	responseTimeMs: number | null;
	/** Answering and reading the feedback: when the next item can be served. */
	durationMs: number;
}
export type Respond = (item: number, at: Date, isNew: boolean) => Answer;

export interface SimScheduler {
	readonly kind: SchedulerKind;
	/** Called before each day's session (the optimised FSRS fits there). */
	prepare?(now: Date): Promise<void>;
	/** Runs the day's session from `start`, serving due items and up to `newPerDay` of `unseen` (in order). */
	session(start: Date, unseen: readonly number[], newPerDay: number, respond: Respond): void;
}

const DAY_MS = 86_400_000;

export interface FsrsOptions {
	timeZone: string;
	desiredRetention: number;
	optimize: boolean;
	/** The shipped learning steps (default); false: none, FSRS schedules in days from the first answer. */
	steps?: boolean;
	/** Reviews before the first fit (the product's MIN_REVIEWS_TO_OPTIMIZE). */
	minReviews: number;
	/** Gets the model's predicted recall before each long-term review (≥ 1 local day since the last) and its outcome. */
	metrics?: MetricsAccumulator;
}

/** The shipped profile (platform defaults, learning steps on) at a desired retention; `steps` false turns the steps off. */
export function shippedProfile(desiredRetention: number, steps = true): SchedulerProfile {
	return {
		desiredRetention,
		maximumIntervalDays: PLATFORM_DEFAULTS.maximumIntervalDays,
		learningSteps: steps ? [...PLATFORM_DEFAULTS.learningSteps] : [],
		relearningSteps: steps ? [...PLATFORM_DEFAULTS.relearningSteps] : [],
		fsrsParameters: [...PLATFORM_DEFAULTS.fsrsParameters],
	};
}

/** FSRS through the product's session logic, scheduler and optimiser. Times every `review` call for the throughput figure. */
export class FsrsScheduler implements SimScheduler {
	readonly kind: SchedulerKind;
	readonly cards: (MemoryCard | undefined)[];
	readonly log: OptimizerReview[] = [];
	profile: SchedulerProfile;
	reviewNanos = 0n;
	answers = 0;
	fits = 0;
	adopted = 0;
	fitMillis = 0;
	private lastFitAt = 0;
	private readonly ids: string[];
	private readonly stepItems: { id: string; kind: string }[];
	private readonly reviewsOf: Int32Array;
	private readonly lapsesOf: Int32Array;

	constructor(
		items: number,
		private readonly options: FsrsOptions,
	) {
		this.kind = options.optimize ? "fsrs-optimised" : options.steps === false ? "fsrs-no-steps" : "fsrs";
		this.profile = shippedProfile(options.desiredRetention, options.steps ?? true);
		this.cards = new Array(items).fill(undefined);
		this.ids = Array.from({ length: items }, (_, i) => String(i));
		this.stepItems = this.ids.map(id => ({ id, kind: "short_answer" }));
		this.reviewsOf = new Int32Array(items);
		this.lapsesOf = new Int32Array(items);
	}

	async prepare(): Promise<void> {
		// As the nightly job: a first fit at minReviews, a new one after NEW_REVIEWS_TO_REOPTIMIZE more; adopted only if it proves itself.
		if (!this.options.optimize || this.log.length < this.options.minReviews || this.log.length - this.lastFitAt < (this.fits === 0 ? this.options.minReviews : NEW_REVIEWS_TO_REOPTIMIZE)) return;
		const started = performance.now();
		this.lastFitAt = this.log.length;
		try {
			const result = await optimizeWithHoldout(this.log, this.profile.fsrsParameters, {
				timeZone: this.options.timeZone,
				minReviews: this.options.minReviews,
				numRelearningSteps: this.profile.relearningSteps.length,
			});
			this.fits++;
			if (result.adopted) {
				this.adopted++;
				this.profile = { ...this.profile, fsrsParameters: result.parameters };
			}
		} catch (err) {
			if ((err as Error).name !== "NotEnoughReviewsError") throw err;
		}
		this.fitMillis += performance.now() - started;
	}

	session(start: Date, _unseen: readonly number[], newPerDay: number, respond: Respond): void {
		const states = [];
		for (let i = 0; i < this.cards.length; i++) if (this.cards[i]) states.push({ itemId: this.ids[i], card: this.cards[i]! });
		const queue = planQueue({
			items: this.stepItems,
			states,
			now: start,
			timeZone: this.options.timeZone,
			newIntroducedToday: 0,
			profile: { newItemsPerDay: newPerDay, fsrsParameters: this.profile.fsrsParameters },
			mode: "normal",
			limit: 100_000,
		});
		if (queue.length === 0) return;
		let state: SessionState = openSession(queue, "normal", start);
		let now = start;
		for (;;) {
			const id = currentItemId(state, now);
			if (id === null) {
				// Only learning steps to come: the student waits for the next one (they fall due within minutes).
				const at = nextStepAt(state, now);
				if (!at) break;
				now = at;
				continue;
			}
			const item = Number(id);
			const card = this.cards[item];
			const answer = respond(item, now, card === undefined);
			this.observe(item, card, now, answer.grade);
			const t0 = process.hrtime.bigint();
			const outcome = review(card, answer.grade, now, this.profile, { timeZone: this.options.timeZone });
			this.reviewNanos += process.hrtime.bigint() - t0;
			this.answers++;
			this.cards[item] = outcome.after;
			this.log.push({ cardId: id, rating: answer.grade, reviewedAt: now, first: card === undefined });
			state = applyAnswer(
				state,
				{ clientId: String(this.answers), itemId: id, correct: answer.correct, score: answer.correct ? 1 : 0, rating: answer.grade, responseTimeMs: answer.responseTimeMs, answeredAt: now, counted: true },
				outcome.after,
			);
			now = new Date(now.getTime() + answer.durationMs);
		}
	}

	/** The model's prediction for a long-term review, as srs-benchmark scores it (and the optimiser judges a fit). */
	private observe(item: number, card: MemoryCard | undefined, now: Date, grade: Grade): void {
		this.reviewsOf[item]++;
		if (!card?.last_review || card.state === State.New) return;
		const days = localDaysBetween(card.last_review, now, this.options.timeZone);
		if (days < 1) return;
		const p = forgetting_curve(this.profile.fsrsParameters, days, card.stability);
		this.options.metrics?.add({ p, y: grade > 1 ? 1 : 0, deltaT: days, i: this.reviewsOf[item], lapses: this.lapsesOf[item] });
		if (grade === 1) this.lapsesOf[item]++;
	}
}

/** Leitner boxes as Moodle's flashcard plugin does: intervals 1, 2, 4, 8, 16, 32 days; success moves up a box, failure back to box 1. */
export const LEITNER_INTERVALS_DAYS = [1, 2, 4, 8, 16, 32] as const;

/** A scheduler that reviews once a day what is due before the end of the day. */
abstract class DailyScheduler implements SimScheduler {
	abstract readonly kind: SchedulerKind;
	protected readonly introduced: Uint8Array;
	protected readonly due: Float64Array;

	constructor(
		items: number,
		private readonly timeZone: string,
	) {
		this.introduced = new Uint8Array(items);
		this.due = new Float64Array(items);
	}

	protected abstract answer(item: number, grade: Grade, now: Date, isNew: boolean): void;

	/** Items due today, most urgent first. */
	protected dueToday(now: Date): number[] {
		const limit = dueCutoff(now, this.timeZone).getTime();
		const items: number[] = [];
		for (let i = 0; i < this.due.length; i++) if (this.introduced[i] && this.due[i] < limit) items.push(i);
		return items.sort((a, b) => this.due[a] - this.due[b] || a - b);
	}

	session(start: Date, unseen: readonly number[], newPerDay: number, respond: Respond): void {
		let now = start;
		const plan = [...this.dueToday(start).map(item => ({ item, isNew: false })), ...unseen.slice(0, newPerDay).map(item => ({ item, isNew: true }))];
		for (const { item, isNew } of plan) {
			const answer = respond(item, now, isNew);
			this.introduced[item] = 1;
			this.answer(item, answer.grade, now, isNew);
			now = new Date(now.getTime() + answer.durationMs);
		}
	}
}

export class LeitnerScheduler extends DailyScheduler {
	readonly kind = "leitner";
	private readonly box: Int8Array;

	constructor(
		items: number,
		timeZone: string,
		private readonly multiplier = 1,
	) {
		super(items, timeZone);
		this.box = new Int8Array(items);
	}

	protected answer(item: number, grade: Grade, now: Date, isNew: boolean): void {
		// a new card starts in box 1 whatever the first answer
		const next = isNew || grade === 1 ? 0 : Math.min(this.box[item] + 1, LEITNER_INTERVALS_DAYS.length - 1);
		this.box[item] = next;
		this.due[item] = now.getTime() + Math.max(1, Math.round(LEITNER_INTERVALS_DAYS[next] * this.multiplier)) * DAY_MS;
	}
}

/**
 * SM-2 (Wozniak 1987): quality q 0..5 (ours: Again → 2, Hard → 3, Good → 4, Easy → 5). q ≥ 3: interval 1, then 6,
 * then previous × EF; EF += 0.1 − (5 − q)(0.08 + (5 − q) 0.02), at least 1.3. q < 3: repetitions restart (interval
 * 1), EF unchanged. Every interval is multiplied by the interval modifier (the knob), as Anki applies it. The same-day
 * "repeat until q ≥ 4" step is left out, as sessions are daily.
 */
export class Sm2Scheduler extends DailyScheduler {
	readonly kind = "sm2";
	private readonly reps: Int32Array;
	private readonly ef: Float64Array;
	private readonly interval: Float64Array;

	constructor(
		items: number,
		timeZone: string,
		private readonly modifier = 1,
	) {
		super(items, timeZone);
		this.reps = new Int32Array(items);
		this.ef = new Float64Array(items).fill(2.5);
		this.interval = new Float64Array(items);
	}

	protected answer(item: number, grade: Grade, now: Date): void {
		const q = grade + 1;
		const reps = this.reps[item];
		const m = this.modifier;
		if (q >= 3) {
			this.interval[item] = Math.max(1, Math.round(reps === 0 ? m : reps === 1 ? 6 * m : this.interval[item] * this.ef[item] * m));
			this.reps[item] = reps + 1;
			this.ef[item] = Math.max(1.3, this.ef[item] + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02));
		} else {
			this.reps[item] = 0;
			this.interval[item] = Math.max(1, Math.round(m));
		}
		this.due[item] = now.getTime() + this.interval[item] * DAY_MS;
	}
}

/**
 * Knows each item's true half-life: reviews it at today's session when its true recall would fall below the threshold
 * before the next day's session.
 */
export class OracleScheduler extends DailyScheduler {
	readonly kind = "oracle";

	constructor(
		items: number,
		timeZone: string,
		private readonly threshold: number,
		private readonly memory: StudentMemory,
		private readonly simStart: number,
	) {
		super(items, timeZone);
	}

	protected dueToday(now: Date): number[] {
		const tomorrow = (now.getTime() + DAY_MS - this.simStart) / DAY_MS;
		const items: number[] = [];
		const falls = new Map<number, number>();
		for (let i = 0; i < this.introduced.length; i++) {
			if (!this.introduced[i]) continue;
			const at = this.memory.timeRecallFallsTo(i, this.threshold);
			if (at < tomorrow) {
				items.push(i);
				falls.set(i, at);
			}
		}
		return items.sort((a, b) => falls.get(a)! - falls.get(b)! || a - b);
	}

	protected answer(): void {
		// the truth is its state: nothing to keep
	}
}
