/**
 * Fits a student's FSRS-6 parameters from their own review log, with the open-spaced-repetition optimiser
 * (fsrs-rs through napi, prebuilt for linux-x64; see fsrs-binding.ts), and makes the fit prove itself before use.
 *
 * What the optimiser is fed follows the open-spaced-repetition conventions (Anki's `reviews_for_fsrs`, which builds
 * fsrs-rs's training items; srs-benchmark's data):
 * - one card's history starts at its first review (a card whose log does not start with one, `first: false`, has an
 *   incomplete history and is left out);
 * - `deltaT` is whole days between reviews counted in the school's local days (the days the scheduler and the queue
 *   count: local-time.ts), 0 for the first review and for same-day reviews (learning steps);
 * - a training item is a card's history up to and including a review that came at least one day after the previous
 *   one: only such long-term reviews are predicted. Same-day reviews stay inside the histories (FSRS-6's short-term
 *   stability reads them) but are never targets: the forgetting curve says nothing useful within a day, and feeding
 *   them as targets (0-day gaps) is what flattened the fitted first-review stabilities before;
 * - ratings are 1..4 as recorded (the rating rule in rating.ts makes a first answer never Easy from speed).
 *
 * The fit must prove itself (`optimizeWithHoldout`): the most recent HOLDOUT_SHARE of the predicted reviews (a time
 * split, as srs-benchmark evaluates) is held out of the fit, both the fitted and the current parameters predict it,
 * and the fitted set is adopted only if it is better on both figures, log loss and RMSE over bins (srs-benchmark's
 * RMSE(bins): predictions grouped by elapsed days, review count and lapse count, weighted by group size).
 *
 * If the native binding cannot load, the fit throws OptimizerUnavailableError: it never silently returns the
 * defaults, so a caller cannot store "fitted" weights that were not fitted.
 */
import { fsrs, type FSRSState } from "ts-fsrs";
import { localDayNumber } from "../../shared/local-time.js";
import { checkFsrsParameters } from "./profile-layers.js";
import { requireFsrsBinding, type FsrsBinding } from "./fsrs-binding.js";

export const DEFAULT_MIN_REVIEWS = 400;
/** A student is optimised again once they have this many counted reviews more than at the last attempt. */
export const NEW_REVIEWS_TO_REOPTIMIZE = 400;
/** The most recent share of predicted reviews held out of the fit to judge it. */
export const HOLDOUT_SHARE = 0.2;
/** Fewer held-out predictions than this judge nothing. */
export const MIN_HELD_OUT = 20;

export interface OptimizerReview {
	cardId: string;
	/** 1..4 */
	rating: number;
	reviewedAt: Date;
	/** Whether this is the card's first counted review (the log says so); unknown is taken as complete. */
	first?: boolean;
}

export interface TrainingReview {
	rating: number;
	deltaT: number;
}
/** One card's history up to and including the review to predict (which came ≥ 1 local day after the one before). */
export type TrainingItem = TrainingReview[];

export interface TimedTrainingItem {
	cardId: string;
	/** When the predicted review happened (ms). */
	at: number;
	reviews: TrainingItem;
}

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

/** How well a parameter set predicts reviews: lower is better for both. */
export interface PredictionMetrics {
	logLoss: number;
	/** srs-benchmark's RMSE(bins). */
	rmseBins: number;
	predictions: number;
}

export interface HoldoutEvaluation {
	fitted: PredictionMetrics;
	current: PredictionMetrics;
	/** Training items (predicted reviews) the fit saw, and the held-out ones it was judged on. */
	trainedOn: number;
	heldOut: number;
	/** The held-out reviews are those at or after this instant. */
	heldOutFrom: Date;
}

export interface HoldoutResult {
	/** The fitted set (on the reviews before the split), whether adopted or not. */
	parameters: number[];
	/** Better than the current set on both figures. */
	adopted: boolean;
	reviewsUsed: number;
	evaluation: HoldoutEvaluation;
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

const isRating = (r: number) => r === 1 || r === 2 || r === 3 || r === 4;

/**
 * The log as training items, oldest predicted review first, and how many reviews they use (pure; no binding
 * needed). Invalid ratings and dates are dropped; see the module comment for the conventions.
 */
export function timedTrainingItems(reviews: readonly OptimizerReview[], timeZone: string): { items: TimedTrainingItem[]; reviewsUsed: number } {
	const byCard = new Map<string, OptimizerReview[]>();
	for (const r of reviews) {
		if (!isRating(r.rating)) continue;
		if (!(r.reviewedAt instanceof Date) || Number.isNaN(r.reviewedAt.getTime())) continue;
		let list = byCard.get(r.cardId);
		if (!list) byCard.set(r.cardId, (list = []));
		list.push(r);
	}
	const items: TimedTrainingItem[] = [];
	let reviewsUsed = 0;
	for (const [cardId, list] of byCard) {
		list.sort((a, b) => a.reviewedAt.getTime() - b.reviewedAt.getTime());
		if (list[0].first === false) continue; // the history does not start at the card's first review
		reviewsUsed += list.length;
		const history: TrainingReview[] = [];
		let previousDay = 0;
		for (const [i, r] of list.entries()) {
			const day = localDayNumber(r.reviewedAt, timeZone);
			const deltaT = i === 0 ? 0 : day - previousDay;
			history.push({ rating: r.rating, deltaT });
			previousDay = day;
			if (i > 0 && deltaT > 0) items.push({ cardId, at: r.reviewedAt.getTime(), reviews: history.slice() });
		}
	}
	items.sort((a, b) => a.at - b.at);
	return { items, reviewsUsed };
}

/** The training items alone, oldest predicted review first. */
export function buildTrainingItems(reviews: readonly OptimizerReview[], timeZone: string): TrainingItem[] {
	return timedTrainingItems(reviews, timeZone).items.map(i => i.reviews);
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

/** Fits the 21 FSRS-6 parameters to training items (oldest first: fsrs-rs weighs recent ones more). */
export async function fitParameters(items: readonly TrainingItem[], options: Omit<OptimizeOptions, "timeZone" | "minReviews">): Promise<number[]> {
	let binding: Binding;
	try {
		binding = await (options.loadBinding ?? loadOptimizer)();
	} catch (err) {
		throw err instanceof OptimizerUnavailableError ? err : new OptimizerUnavailableError(err instanceof Error ? err.message : String(err));
	}
	const trainSet = items.map(item => new binding.FSRSBindingItem(item.map(r => new binding.FSRSBindingReview(r.rating, r.deltaT))));
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
	return [...parameters];
}

/** Fits the parameters to the whole log. Throws NotEnoughReviewsError, OptimizerUnavailableError. */
export async function optimizeParameters(reviews: readonly OptimizerReview[], options: OptimizeOptions): Promise<OptimizeResult> {
	const required = options.minReviews ?? DEFAULT_MIN_REVIEWS;
	const { items, reviewsUsed } = timedTrainingItems(reviews, options.timeZone);
	if (reviewsUsed < required || items.length === 0) throw new NotEnoughReviewsError(reviewsUsed, required);
	const parameters = await fitParameters(
		items.map(i => i.reviews),
		options,
	);
	return { parameters, reviewsUsed, trainingItems: items.length };
}

/**
 * Fits on all but the most recent HOLDOUT_SHARE of the predicted reviews, then judges the fit against `current` on
 * those held-out reviews; `adopted` only if the fit is better on both log loss and RMSE(bins).
 * Throws NotEnoughReviewsError (too few reviews, or too few held out to judge), OptimizerUnavailableError.
 */
export async function optimizeWithHoldout(reviews: readonly OptimizerReview[], current: readonly number[], options: OptimizeOptions): Promise<HoldoutResult> {
	const required = options.minReviews ?? DEFAULT_MIN_REVIEWS;
	const { items, reviewsUsed } = timedTrainingItems(reviews, options.timeZone);
	if (reviewsUsed < required) throw new NotEnoughReviewsError(reviewsUsed, required);
	const split = Math.floor(items.length * (1 - HOLDOUT_SHARE));
	const train = items.slice(0, split);
	const test = items.slice(split);
	if (test.length < MIN_HELD_OUT || train.length === 0) throw new NotEnoughReviewsError(reviewsUsed, required);
	const parameters = await fitParameters(
		train.map(i => i.reviews),
		options,
	);
	const heldOut = test.map(i => i.reviews);
	const fitted = evaluateParameters(heldOut, parameters);
	const baseline = evaluateParameters(heldOut, current);
	return {
		parameters,
		adopted: isBetter(fitted, baseline),
		reviewsUsed,
		evaluation: { fitted, current: baseline, trainedOn: train.length, heldOut: test.length, heldOutFrom: new Date(test[0].at) },
	};
}

/** The adoption rule: strictly lower log loss and strictly lower RMSE(bins). */
export function isBetter(candidate: PredictionMetrics, current: PredictionMetrics): boolean {
	return candidate.logLoss < current.logLoss && candidate.rmseBins < current.rmseBins;
}

/** Predicted probability of recall of each item's last review from the history before it, with weights `w`. */
export function predictRecall(items: readonly TrainingItem[], w: readonly number[]): { p: number; y: 0 | 1; item: TrainingItem }[] {
	const algorithm = fsrs({ w: [...w] });
	const out: { p: number; y: 0 | 1; item: TrainingItem }[] = [];
	for (const item of items) {
		if (item.length < 2) continue;
		const target = item[item.length - 1];
		let memory: FSRSState | null = null;
		for (let i = 0; i < item.length - 1; i++) memory = algorithm.next_state(memory, item[i].deltaT, item[i].rating);
		if (!memory) continue;
		out.push({ p: algorithm.forgetting_curve(target.deltaT, memory.stability), y: target.rating > 1 ? 1 : 0, item });
	}
	return out;
}

/**
 * Log loss and srs-benchmark's RMSE(bins) of FSRS with weights `w` predicting each item's last review (recalled =
 * rating > 1). Pure TypeScript (ts-fsrs), independent of the optimiser; agrees with fsrs-rs's own evaluation (test).
 */
export function evaluateParameters(items: readonly TrainingItem[], w: readonly number[]): PredictionMetrics {
	return predictionMetrics(
		predictRecall(items, w).map(({ p, y, item }) => ({ p, y, ...binOf(item) })),
	);
}

/** A prediction with what srs-benchmark bins it by: days elapsed, review number and long-term lapses before it. */
export interface BinnedPrediction {
	p: number;
	y: 0 | 1;
	deltaT: number;
	/** 1-based number of the predicted review in the card's history. */
	i: number;
	/** Earlier reviews rated Again at least a day after the one before. */
	lapses: number;
}

export function binOf(item: TrainingItem): { deltaT: number; i: number; lapses: number } {
	const history = item.slice(0, -1);
	return { deltaT: item[item.length - 1].deltaT, i: item.length, lapses: history.filter(r => r.rating === 1 && r.deltaT > 0).length };
}

/** Log loss (probabilities clipped to [1e-4, 1 − 1e-4], as srs-benchmark does) and RMSE(bins). */
export function predictionMetrics(predictions: Iterable<BinnedPrediction>): PredictionMetrics {
	const acc = new MetricsAccumulator();
	for (const p of predictions) acc.add(p);
	return acc.result();
}

/** predictionMetrics, fed one prediction at a time (a benchmark's millions need not be kept). */
export class MetricsAccumulator {
	private loss = 0;
	private n = 0;
	private readonly bins = new Map<string, { y: number; p: number; n: number }>();

	add({ p, y, deltaT, i, lapses }: BinnedPrediction): void {
		const q = Math.min(Math.max(p, 1e-4), 1 - 1e-4);
		this.loss -= y === 1 ? Math.log(q) : Math.log(1 - q);
		this.n++;
		const key = `${logBin(deltaT, 2.48, 3.62, 2)}|${logBin(i, 1.99, 1.89, 0)}|${lapses === 0 ? 0 : logBin(lapses, 1.65, 1.73, 0)}`;
		const bin = this.bins.get(key) ?? { y: 0, p: 0, n: 0 };
		bin.y += y;
		bin.p += p;
		bin.n++;
		this.bins.set(key, bin);
	}

	result(): PredictionMetrics {
		if (this.n === 0) return { logLoss: NaN, rmseBins: NaN, predictions: 0 };
		let squared = 0;
		for (const { y, p, n } of this.bins.values()) squared += n * ((y - p) / n) ** 2;
		return { logLoss: this.loss / this.n, rmseBins: Math.sqrt(squared / this.n), predictions: this.n };
	}
}

/** srs-benchmark's geometric bin: round(a × b^floor(log_b x), digits). */
function logBin(x: number, a: number, b: number, digits: number): number {
	const value = a * Math.pow(b, Math.floor(Math.log(Math.max(x, 1e-6)) / Math.log(b)));
	const f = 10 ** digits;
	return Math.round(value * f) / f;
}
