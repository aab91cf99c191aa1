/**
 * The three schedulers the benchmark compares, each for one student. FSRS is the product's own modules
 * (services/learning/memory: scheduler.ts for answers, spacing.ts for the queue), not a copy; Leitner and SM-2 are
 * small reference implementations. All three use one session a day and the same "due today" rule (due before the
 * start of tomorrow in the school's time zone), and introduce the same number of new items per day.
 */
import { review, type MemoryCard, type Grade, type SchedulerProfile } from "../../../services/learning/memory/scheduler.js";
import { buildQueue, type ItemMemory } from "../../../services/learning/memory/spacing.js";
import type { OptimizerReview } from "../../../services/learning/memory/optimizer.js";

export type SchedulerKind = "fsrs" | "leitner" | "sm2";
export const SCHEDULER_KINDS: readonly SchedulerKind[] = ["fsrs", "leitner", "sm2"];

export interface PlannedReview {
	item: number;
	isNew: boolean;
}

export interface SimScheduler {
	readonly kind: SchedulerKind;
	/** Today's session: due items first, then up to `newPerDay` of `unseen` (in order). */
	plan(now: Date, cutoff: Date, unseen: readonly number[], newPerDay: number): PlannedReview[];
	answer(item: number, grade: Grade, now: Date): void;
}

const DAY_MS = 86_400_000;

/** FSRS through the product's scheduler.ts and spacing.ts. Times every `review` call for the throughput figure. */
export class FsrsScheduler implements SimScheduler {
	readonly kind = "fsrs";
	readonly cards: (MemoryCard | undefined)[];
	readonly log: OptimizerReview[] = [];
	reviewNanos = 0n;
	answers = 0;
	private readonly ids: string[];

	constructor(
		items: number,
		public profile: SchedulerProfile & { newItemsPerDay: number },
		private readonly timeZone: string,
		private readonly keepLog = false,
	) {
		this.cards = new Array(items).fill(undefined);
		this.ids = Array.from({ length: items }, (_, i) => String(i));
	}

	plan(now: Date, _cutoff: Date, unseen: readonly number[], newPerDay: number): PlannedReview[] {
		const states: ItemMemory[] = [];
		for (let i = 0; i < this.cards.length; i++) {
			const card = this.cards[i];
			if (card) states.push({ itemId: this.ids[i], card });
		}
		const queue = buildQueue({
			states,
			unseen: unseen.map((i) => this.ids[i]),
			now,
			timeZone: this.timeZone,
			newIntroducedToday: 0,
			profile: { newItemsPerDay: newPerDay, fsrsParameters: this.profile.fsrsParameters },
		});
		return queue.map((e) => ({ item: Number(e.itemId), isNew: e.kind === "new" }));
	}

	answer(item: number, grade: Grade, now: Date): void {
		const start = process.hrtime.bigint();
		const outcome = review(this.cards[item], grade, now, this.profile);
		this.reviewNanos += process.hrtime.bigint() - start;
		this.answers++;
		this.cards[item] = outcome.after;
		if (this.keepLog) this.log.push({ cardId: this.ids[item], rating: grade, reviewedAt: now });
	}
}

/** Leitner boxes as Moodle's flashcard plugin does: intervals 1, 2, 4, 8, 16, 32 days; success moves up a box, failure back to box 1. */
export const LEITNER_INTERVALS_DAYS = [1, 2, 4, 8, 16, 32] as const;

export class LeitnerScheduler implements SimScheduler {
	readonly kind = "leitner";
	private readonly box: Int8Array;
	private readonly due: Float64Array;

	constructor(items: number) {
		this.box = new Int8Array(items).fill(-1);
		this.due = new Float64Array(items);
	}

	plan(_now: Date, cutoff: Date, unseen: readonly number[], newPerDay: number): PlannedReview[] {
		return planByDueDate(this.box, this.due, cutoff, unseen, newPerDay);
	}

	answer(item: number, grade: Grade, now: Date): void {
		const box = this.box[item];
		// a new card starts in box 1 whatever the first answer
		const next = box < 0 || grade === 1 ? 0 : Math.min(box + 1, LEITNER_INTERVALS_DAYS.length - 1);
		this.box[item] = next;
		this.due[item] = now.getTime() + LEITNER_INTERVALS_DAYS[next] * DAY_MS;
	}
}

/**
 * SM-2 (Wozniak 1987): quality q 0..5 (ours: Again → 2, Hard → 3, Good → 4, Easy → 5). q ≥ 3: interval 1, then 6,
 * then previous × EF; EF += 0.1 − (5 − q)(0.08 + (5 − q) 0.02), at least 1.3. q < 3: repetitions restart (interval
 * 1), EF unchanged. The same-day "repeat until q ≥ 4" step is left out, as sessions are daily.
 */
export class Sm2Scheduler implements SimScheduler {
	readonly kind = "sm2";
	private readonly reps: Int32Array;
	private readonly ef: Float64Array;
	private readonly interval: Float64Array;
	private readonly due: Float64Array;

	constructor(items: number) {
		this.reps = new Int32Array(items).fill(-1);
		this.ef = new Float64Array(items).fill(2.5);
		this.interval = new Float64Array(items);
		this.due = new Float64Array(items);
	}

	plan(_now: Date, cutoff: Date, unseen: readonly number[], newPerDay: number): PlannedReview[] {
		return planByDueDate(this.reps, this.due, cutoff, unseen, newPerDay);
	}

	answer(item: number, grade: Grade, now: Date): void {
		const q = grade + 1;
		const reps = Math.max(this.reps[item], 0);
		if (q >= 3) {
			this.interval[item] = reps === 0 ? 1 : reps === 1 ? 6 : Math.round(this.interval[item] * this.ef[item]);
			this.reps[item] = reps + 1;
			this.ef[item] = Math.max(1.3, this.ef[item] + 0.1 - (5 - q) * (0.08 + (5 - q) * 0.02));
		} else {
			this.reps[item] = 0;
			this.interval[item] = 1;
		}
		this.due[item] = now.getTime() + this.interval[item] * DAY_MS;
	}
}

/** Due items (marker ≥ 0 means introduced) by due date, then new ones. */
function planByDueDate(marker: Int8Array | Int32Array, due: Float64Array, cutoff: Date, unseen: readonly number[], newPerDay: number): PlannedReview[] {
	const limit = cutoff.getTime();
	const dueItems: number[] = [];
	for (let i = 0; i < marker.length; i++) if (marker[i] >= 0 && due[i] < limit) dueItems.push(i);
	dueItems.sort((a, b) => due[a] - due[b] || a - b);
	return [...dueItems.map((item) => ({ item, isNew: false })), ...unseen.slice(0, newPerDay).map((item) => ({ item, isNew: true }))];
}
