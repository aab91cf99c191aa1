/**
 * Drives a simulated cohort through daily revision sessions with one scheduler at one knob setting. Students are
 * simulated one after the other (all their days, then the next student), each with its own seeded random streams, so
 * student s has the same traits and the same session times under every scheduler.
 *
 * Each day, at a session time between 16:00 and 20:00 UTC (evening in Europe/Paris), the student:
 * 1. (measured first, so that the day's reviews do not inflate it) has a true recall probability for every item
 *    introduced so far: the retention figure is the mean of these over all (student, introduced item, day);
 * 2. works through the scheduler's session: due items, and up to `newPerDay` new items (studied, then answered once).
 *    Recall is drawn from the ground truth at the moment of the answer; the answer's time is drawn too, and the
 *    product's rating rule (rating.ts: calibrated on the student's own right-answer times, never Easy for a first
 *    answer) turns correctness and time into the rating every scheduler receives. Each answer plus its feedback
 *    moves the session clock on, so same-day learning steps fall due during it.
 * After the last day, a final exam at the next day's session time gives `finalRecall`: the mean true recall
 * probability of all introduced items.
 */
import { MetricsAccumulator, type OptimizerReview, type PredictionMetrics } from "../../../services/learning/memory/optimizer.js";
import { ratingFromAnswer } from "../../../services/learning/memory/rating.js";
import { responseSample, withSample } from "../../../services/learning/memory/response-times.js";
import { drawItems, drawStudent, expectedSecondsOf, responseTimeMs, StudentMemory, TRUTH, type ItemTraits, type StudentTraits } from "./ground-truth.js";
import { deriveSeed, Prng } from "./prng.js";
import { FsrsScheduler, LeitnerScheduler, OracleScheduler, Sm2Scheduler, type Respond, type SchedulerKind, type SimScheduler } from "./schedulers.js";

const DAY_MS = 86_400_000;
export const SIM_START = Date.UTC(2025, 8, 1); // 1 September 2025, a school year
/** Every simulated item is a short-answer question: one response-time digest per student. */
const KIND = "short_answer";

export interface CohortConfig {
	students: number;
	items: number;
	days: number;
	seed: number;
	newPerDay: number;
	timeZone: string;
	/** Reviews before a student's parameters are first fitted (the product's MIN_REVIEWS_TO_OPTIMIZE). */
	optimizeAfterReviews: number;
}

export const DEFAULT_CONFIG: CohortConfig = {
	students: 200,
	items: 300,
	days: 120,
	seed: 20250901,
	newPerDay: 5,
	timeZone: "Europe/Paris",
	optimizeAfterReviews: 400,
};

export interface StudentResult {
	reviews: number;
	recallSum: number;
	recallCount: number;
	finalRecallSum: number;
	introduced: number;
	fits: number;
	adopted: number;
	fitMillis: number;
	reviewNanos: bigint;
	fsrsAnswers: number;
	log?: OptimizerReview[];
}

export function cohortItems(config: Pick<CohortConfig, "items" | "seed">): ItemTraits {
	return drawItems(config.items, new Prng(deriveSeed(config.seed, 0)));
}

export function cohortStudent(config: Pick<CohortConfig, "items" | "seed">, student: number): StudentTraits {
	return drawStudent(config.items, new Prng(deriveSeed(config.seed, 1, student)));
}

function makeScheduler(kind: SchedulerKind, knob: number, config: CohortConfig, memory: StudentMemory, metrics?: MetricsAccumulator): SimScheduler {
	switch (kind) {
		case "fsrs":
		case "fsrs-optimised":
		case "fsrs-no-steps":
			return new FsrsScheduler(config.items, {
				timeZone: config.timeZone,
				desiredRetention: knob,
				optimize: kind === "fsrs-optimised",
				steps: kind !== "fsrs-no-steps",
				minReviews: config.optimizeAfterReviews,
				...(metrics ? { metrics } : {}),
			});
		case "leitner":
			return new LeitnerScheduler(config.items, config.timeZone, knob);
		case "sm2":
			return new Sm2Scheduler(config.items, config.timeZone, knob);
		case "oracle":
			return new OracleScheduler(config.items, config.timeZone, knob, memory, SIM_START);
	}
}

export async function simulateStudent(
	kind: SchedulerKind,
	knob: number,
	student: number,
	config: CohortConfig,
	items: ItemTraits,
	options: { keepLog?: boolean; metrics?: MetricsAccumulator } = {},
): Promise<StudentResult> {
	const traits = cohortStudent(config, student);
	const memory = new StudentMemory(traits, items);
	const scheduler = makeScheduler(kind, knob, config, memory, options.metrics);
	const outcomes = new Prng(deriveSeed(config.seed, 2, student));
	const sessionTimes = new Prng(deriveSeed(config.seed, 3, student));
	const unseen = Array.from({ length: config.items }, (_, i) => i);
	let unseenFrom = 0;
	let digest: number[] = [];
	const result: StudentResult = { reviews: 0, recallSum: 0, recallCount: 0, finalRecallSum: 0, introduced: 0, fits: 0, adopted: 0, fitMillis: 0, reviewNanos: 0n, fsrsAnswers: 0 };

	const respond: Respond = (item, at, isNew) => {
		const t = (at.getTime() - SIM_START) / DAY_MS;
		let p: number;
		if (isNew) {
			p = memory.learn(item, t);
			unseenFrom++;
		} else p = memory.recallProbability(item, t);
		const correct = outcomes.next() < p;
		if (!isNew) memory.review(item, t, correct, p);
		const timeMs = responseTimeMs(correct ? p : Math.min(p, 0.5), traits, items, item, outcomes);
		const expectedSeconds = expectedSecondsOf(items, item);
		const grade = ratingFromAnswer({
			correct,
			responseTimeMs: correct ? timeMs : null,
			expectedSeconds,
			extraTimePercent: traits.extraTimePercent,
			firstAnswer: isNew,
			recent: digest,
		});
		digest = withSample(digest, responseSample({ correct, responseTimeMs: timeMs, extraTimePercent: traits.extraTimePercent }, { kind: KIND, expectedSeconds }));
		result.reviews++;
		return { correct, grade, responseTimeMs: correct ? timeMs : null, durationMs: Math.round(timeMs + TRUTH.FEEDBACK_MS) };
	};

	for (let day = 0; day < config.days; day++) {
		const nowMs = SIM_START + day * DAY_MS + 16 * 3_600_000 + Math.floor(sessionTimes.next() * 4 * 3_600_000);
		const now = new Date(nowMs);
		const t = (nowMs - SIM_START) / DAY_MS;
		for (let i = 0; i < unseenFrom; i++) {
			result.recallSum += memory.recallProbability(unseen[i], t);
			result.recallCount++;
		}
		await scheduler.prepare?.(now);
		scheduler.session(now, unseen.slice(unseenFrom), config.newPerDay, respond);
	}

	const examT = (SIM_START + config.days * DAY_MS + 18 * 3_600_000 - SIM_START) / DAY_MS;
	for (let i = 0; i < unseenFrom; i++) result.finalRecallSum += memory.recallProbability(unseen[i], examT);
	result.introduced = unseenFrom;
	if (scheduler instanceof FsrsScheduler) {
		result.reviewNanos = scheduler.reviewNanos;
		result.fsrsAnswers = scheduler.answers;
		result.fits = scheduler.fits;
		result.adopted = scheduler.adopted;
		result.fitMillis = scheduler.fitMillis;
		if (options.keepLog) result.log = scheduler.log;
	}
	return result;
}

export interface CohortResult {
	kind: SchedulerKind;
	knob: number;
	reviews: number;
	/** Mean true recall probability over (student, introduced item, day), measured before each day's session. */
	retention: number;
	/** Mean true recall probability of all introduced items at a final exam the day after the last. */
	finalRecall: number;
	answers: number;
	reviewSeconds: number;
	fits: number;
	adoptedFits: number;
	fitSeconds: number;
	wallSeconds: number;
	/** FSRS only: how well the model's predicted retrievability matched the simulated outcomes (long-term reviews). */
	prediction?: PredictionMetrics;
}

export async function simulateCohort(
	kind: SchedulerKind,
	knob: number,
	config: CohortConfig,
	progress?: (done: number, partial: CohortResult) => void,
): Promise<CohortResult> {
	const started = performance.now();
	const items = cohortItems(config);
	const metrics = kind.startsWith("fsrs") ? new MetricsAccumulator() : undefined;
	const acc = { reviews: 0, recallSum: 0, recallCount: 0, finalSum: 0, introduced: 0, nanos: 0n, answers: 0, fits: 0, adopted: 0, fitMillis: 0 };
	const snapshot = (): CohortResult => ({
		kind,
		knob,
		reviews: acc.reviews,
		retention: acc.recallCount ? acc.recallSum / acc.recallCount : NaN,
		finalRecall: acc.introduced ? acc.finalSum / acc.introduced : NaN,
		answers: acc.answers,
		reviewSeconds: Number(acc.nanos) / 1e9,
		fits: acc.fits,
		adoptedFits: acc.adopted,
		fitSeconds: acc.fitMillis / 1000,
		wallSeconds: (performance.now() - started) / 1000,
		...(metrics ? { prediction: metrics.result() } : {}),
	});
	for (let s = 0; s < config.students; s++) {
		const r = await simulateStudent(kind, knob, s, config, items, metrics ? { metrics } : {});
		acc.reviews += r.reviews;
		acc.recallSum += r.recallSum;
		acc.recallCount += r.recallCount;
		acc.finalSum += r.finalRecallSum;
		acc.introduced += r.introduced;
		acc.nanos += r.reviewNanos;
		acc.answers += r.fsrsAnswers;
		acc.fits += r.fits;
		acc.adopted += r.adopted;
		acc.fitMillis += r.fitMillis;
		progress?.(s + 1, snapshot());
	}
	return snapshot();
}
