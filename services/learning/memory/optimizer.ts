/**
 * Fits a student's FSRS-6 parameters from their own review log, with the open-spaced-repetition optimiser
 * (fsrs-rs through napi, prebuilt for linux-x64; it runs on Node 20; see fsrs-binding.ts).
 *
 * The log becomes training items the way fsrs-rs expects: one item per review after a card's first, holding that
 * card's history up to and including the review (the last review is the one predicted). `deltaT` is whole days
 * between reviews counted in the school's time zone (0 for the first review and for same-day repeats).
 *
 * If the native binding cannot load, `optimizeParameters` throws OptimizerUnavailableError: it never silently
 * returns the defaults, so a caller cannot store "fitted" weights that were not fitted.
 */
import { fsrs, type FSRSState } from "ts-fsrs";
import { localDay } from "./spacing.js";
import { checkFsrsParameters } from "./profile-layers.js";
import { requireFsrsBinding, type FsrsBinding } from "./fsrs-binding.js";

export const DEFAULT_MIN_REVIEWS = 400;
const DAY_MS = 86_400_000;

export interface OptimizerReview {
	cardId: string;
	/** 1..4 */
	rating: number;
	reviewedAt: Date;
}

export interface TrainingReview {
	rating: number;
	deltaT: number;
}
/** One card's history up to and including the review to predict. */
export type TrainingItem = TrainingReview[];

export interface OptimizeOptions {
	/** The school's IANA time zone: days between reviews are local days. */
	timeZone: string;
	minReviews?: number;
	/** Same-day relearning steps the student's profile uses (fsrs-rs needs it to clip w[17], w[18]). Default 1. */
	numRelearningSteps?: number;
	/** Called as training proceeds. */
	progress?: (current: number, total: number) => void;
	/**
	 * How often (ms) the binding checks on its training thread. Its default, 500 ms, makes every fit last at least
	 * half a second of wall time while the CPU idles; 20 ms costs nothing measurable.
	 */
	pollMs?: number;
	/** Replaces the binding loader (tests use it to check what happens when the binding cannot load). */
	loadBinding?: () => Promise<Binding>;
}

export interface OptimizeResult {
	parameters: number[];
	reviewsUsed: number;
	trainingItems: number;
}

export class OptimizerUnavailableError extends Error {
	readonly code = "OPTIMIZER_UNAVAILABLE";
	constructor(reason: string) {
		super(`The FSRS optimiser (@open-spaced-repetition/binding) is unavailable: ${reason}`);
		this.name = "OptimizerUnavailableError";
	}
}

export class NotEnoughReviewsError extends Error {
	readonly code = "NOT_ENOUGH_REVIEWS";
	constructor(
		readonly reviews: number,
		readonly required: number,
	) {
		super(`Optimising FSRS parameters needs at least ${required} reviews; this log has ${reviews}`);
		this.name = "NotEnoughReviewsError";
	}
}

/** Groups the log by card and turns it into training items (pure; no binding needed). Invalid ratings are dropped. */
export function buildTrainingItems(reviews: readonly OptimizerReview[], timeZone: string): TrainingItem[] {
	const byCard = new Map<string, OptimizerReview[]>();
	for (const r of reviews) {
		if (!(r.rating === 1 || r.rating === 2 || r.rating === 3 || r.rating === 4)) continue;
		if (!(r.reviewedAt instanceof Date) || Number.isNaN(r.reviewedAt.getTime())) continue;
		let list = byCard.get(r.cardId);
		if (!list) byCard.set(r.cardId, (list = []));
		list.push(r);
	}
	const items: TrainingItem[] = [];
	for (const list of byCard.values()) {
		list.sort((a, b) => a.reviewedAt.getTime() - b.reviewedAt.getTime());
		const history: TrainingReview[] = [];
		let previousDay = 0;
		for (const [i, r] of list.entries()) {
			const day = Date.parse(`${localDay(r.reviewedAt, timeZone)}T00:00:00Z`) / DAY_MS;
			history.push({ rating: r.rating, deltaT: i === 0 ? 0 : day - previousDay });
			previousDay = day;
			if (i > 0) items.push(history.slice());
		}
	}
	return items;
}

/** Whether fsrs-rs accepts the item: at least one review a day or more after the previous one. */
export function isTrainable(item: TrainingItem): boolean {
	return item.some((r) => r.deltaT > 0);
}

export type Binding = FsrsBinding;
let bindingPromise: Promise<Binding> | undefined;

/** Loads the native optimiser once; rejects with OptimizerUnavailableError if it cannot load here. */
export function loadOptimizer(): Promise<Binding> {
	bindingPromise ??= Promise.resolve().then(requireFsrsBinding).catch((err: unknown) => {
		bindingPromise = undefined;
		throw new OptimizerUnavailableError(err instanceof Error ? err.message : String(err));
	});
	return bindingPromise;
}

/** Fits the 21 FSRS-6 parameters to the log. Throws NotEnoughReviewsError, OptimizerUnavailableError. */
export async function optimizeParameters(reviews: readonly OptimizerReview[], options: OptimizeOptions): Promise<OptimizeResult> {
	const required = options.minReviews ?? DEFAULT_MIN_REVIEWS;
	const items = buildTrainingItems(reviews, options.timeZone);
	const usable = items.length + new Set(reviews.map((r) => r.cardId)).size; // every review is either a first or an item
	if (usable < required) throw new NotEnoughReviewsError(usable, required);

	let binding: Binding;
	try {
		binding = await (options.loadBinding ?? loadOptimizer)();
	} catch (err) {
		throw err instanceof OptimizerUnavailableError ? err : new OptimizerUnavailableError(err instanceof Error ? err.message : String(err));
	}
	// fsrs-rs aborts the whole process (a panic it cannot unwind) on an item without a day between reviews
	const trainable = items.filter(isTrainable);
	if (trainable.length === 0) throw new NotEnoughReviewsError(0, required);
	const trainSet = trainable.map((item) => new binding.FSRSBindingItem(item.map((r) => new binding.FSRSBindingReview(r.rating, r.deltaT))));
	let parameters: number[];
	try {
		parameters = await binding.computeParameters(trainSet, {
			enableShortTerm: true,
			numRelearningSteps: options.numRelearningSteps ?? 1,
			timeout: options.pollMs ?? 20,
			...(options.progress ? { progress: (current: number, total: number) => void options.progress?.(current, total) } : {}),
		});
	} catch (err) {
		throw new OptimizerUnavailableError(`training failed: ${err instanceof Error ? err.message : String(err)}`);
	}
	const problems = checkFsrsParameters(parameters);
	if (problems.length > 0) throw new OptimizerUnavailableError(`it returned unusable parameters (${problems[0].field} ${problems[0].message})`);
	return { parameters: [...parameters], reviewsUsed: usable, trainingItems: trainable.length };
}

/**
 * Mean log-loss of FSRS with weights `w` predicting each item's last review (recalled = rating > 1) from the history
 * before it. Only long-term predictions (deltaT ≥ 1 day) count: FSRS's forgetting curve says nothing useful within a
 * day. Lower is better. Pure TypeScript (ts-fsrs), independent of the optimiser.
 */
export function predictionLogLoss(items: readonly TrainingItem[], w: readonly number[]): { logLoss: number; predictions: number } {
	const algorithm = fsrs({ w: [...w] });
	let total = 0;
	let n = 0;
	for (const item of items) {
		const target = item[item.length - 1];
		if (item.length < 2 || target.deltaT < 1) continue;
		let memory: FSRSState | null = null;
		for (let i = 0; i < item.length - 1; i++) memory = algorithm.next_state(memory, item[i].deltaT, item[i].rating);
		if (!memory) continue;
		const p = Math.min(Math.max(algorithm.forgetting_curve(target.deltaT, memory.stability), 1e-4), 1 - 1e-4);
		total -= target.rating > 1 ? Math.log(p) : Math.log(1 - p);
		n++;
	}
	return { logLoss: n === 0 ? NaN : total / n, predictions: n };
}
