/**
 * Drives a simulated cohort through daily revision sessions with one scheduler. Students are simulated one after
 * the other (all their days, then the next student), each with its own seeded random stream, so student s has the
 * same traits and the same session times under every scheduler.
 *
 * Each day, at a session time between 16:00 and 20:00 UTC (evening in Europe/Paris), the student:
 * 1. (measured first, so that the day's reviews do not inflate it) has a true recall probability for every item
 *    introduced so far: the retention figure is the mean of these over all (student, introduced item, day);
 * 2. reviews every item the scheduler says is due, and is introduced to up to `newPerDay` new items (studies it, then
 *    answers once). Recall is drawn from the ground truth; a right answer's response time is drawn too, and the
 *    product's rating rule (rating.ts) turns correctness and time into the FSRS rating every scheduler receives.
 * After the last day, a final exam at the next day's session time gives `finalRecall`: the mean true recall
 * probability of all introduced items.
 */
import { ratingFromAnswer } from "../../../services/learning/memory/rating.js";
import { dueCutoff } from "../../../services/learning/memory/spacing.js";
import { optimizeParameters, type OptimizerReview } from "../../../services/learning/memory/optimizer.js";
import { PLATFORM_DEFAULTS } from "../../../services/learning/memory/profile-layers.js";
import type { SchedulerProfile } from "../../../services/learning/memory/scheduler.js";
import { drawItemDifficulties, drawStudent, responseTimeMs, StudentMemory, TRUTH, type StudentTraits } from "./ground-truth.js";
import { deriveSeed, Prng } from "./prng.js";
import { FsrsScheduler, LeitnerScheduler, Sm2Scheduler, type SchedulerKind, type SimScheduler } from "./schedulers.js";

const DAY_MS = 86_400_000;
export const SIM_START = Date.UTC(2025, 8, 1); // 1 September 2025, a school year

export interface CohortConfig {
	students: number;
	items: number;
	days: number;
	seed: number;
	newPerDay: number;
	timeZone: string;
	desiredRetention: number;
	/** Fit each student's FSRS parameters from their own log once they have this many reviews (0: never). */
	optimizeAfterReviews: number;
	/** Refit every this many days. */
	reoptimizeEveryDays: number;
}

export const DEFAULT_CONFIG: CohortConfig = {
	students: 200,
	items: 300,
	days: 120,
	seed: 20250901,
	newPerDay: 5,
	timeZone: "Europe/Paris",
	desiredRetention: 0.9,
	optimizeAfterReviews: 0,
	reoptimizeEveryDays: 30,
};

/** The FSRS profile the simulation uses: platform defaults, no same-day steps (one session a day). */
export function benchProfile(config: Pick<CohortConfig, "desiredRetention" | "newPerDay">): SchedulerProfile & { newItemsPerDay: number } {
	return {
		desiredRetention: config.desiredRetention,
		maximumIntervalDays: PLATFORM_DEFAULTS.maximumIntervalDays,
		learningSteps: [],
		relearningSteps: [],
		fsrsParameters: [...PLATFORM_DEFAULTS.fsrsParameters],
		newItemsPerDay: config.newPerDay,
	};
}

export interface StudentResult {
	reviews: number;
	recallSum: number;
	recallCount: number;
	finalRecallSum: number;
	introduced: number;
	fits: number;
	fitMillis: number;
	reviewNanos: bigint;
	fsrsAnswers: number;
	log?: OptimizerReview[];
}

export function cohortItems(config: Pick<CohortConfig, "items" | "seed">): Float64Array {
	return drawItemDifficulties(config.items, new Prng(deriveSeed(config.seed, 0)));
}

export function cohortStudent(config: Pick<CohortConfig, "items" | "seed">, student: number): StudentTraits {
	return drawStudent(config.items, new Prng(deriveSeed(config.seed, 1, student)));
}

function makeScheduler(kind: SchedulerKind, config: CohortConfig, keepLog: boolean): SimScheduler {
	switch (kind) {
		case "fsrs":
			return new FsrsScheduler(config.items, benchProfile(config), config.timeZone, keepLog || config.optimizeAfterReviews > 0);
		case "leitner":
			return new LeitnerScheduler(config.items);
		case "sm2":
			return new Sm2Scheduler(config.items);
	}
}

export async function simulateStudent(
	kind: SchedulerKind,
	student: number,
	config: CohortConfig,
	difficulty: Float64Array,
	options: { keepLog?: boolean } = {},
): Promise<StudentResult> {
	const traits = cohortStudent(config, student);
	const memory = new StudentMemory(traits, difficulty);
	const scheduler = makeScheduler(kind, config, options.keepLog ?? false);
	const outcomes = new Prng(deriveSeed(config.seed, 2, student));
	const sessionTimes = new Prng(deriveSeed(config.seed, 3, student));
	const unseen = Array.from({ length: config.items }, (_, i) => i);
	let unseenFrom = 0;
	const result: StudentResult = { reviews: 0, recallSum: 0, recallCount: 0, finalRecallSum: 0, introduced: 0, fits: 0, fitMillis: 0, reviewNanos: 0n, fsrsAnswers: 0 };
	let lastFitDay = -Infinity;

	for (let day = 0; day < config.days; day++) {
		const nowMs = SIM_START + day * DAY_MS + 16 * 3_600_000 + Math.floor(sessionTimes.next() * 4 * 3_600_000);
		const now = new Date(nowMs);
		const t = (nowMs - SIM_START) / DAY_MS;

		for (let i = 0; i < unseenFrom; i++) {
			result.recallSum += memory.recallProbability(unseen[i], t);
			result.recallCount++;
		}

		if (scheduler instanceof FsrsScheduler && config.optimizeAfterReviews > 0 && scheduler.log.length >= config.optimizeAfterReviews && day - lastFitDay >= config.reoptimizeEveryDays) {
			const started = performance.now();
			const fitted = await optimizeParameters(scheduler.log, { timeZone: config.timeZone, minReviews: config.optimizeAfterReviews, numRelearningSteps: 0 });
			scheduler.profile = { ...scheduler.profile, fsrsParameters: fitted.parameters };
			result.fitMillis += performance.now() - started;
			result.fits++;
			lastFitDay = day;
		}

		const plan = scheduler.plan(now, dueCutoff(now, config.timeZone), unseen.slice(unseenFrom), config.newPerDay);
		for (const { item, isNew } of plan) {
			let p: number;
			let recalled: boolean;
			if (isNew) {
				memory.learn(item, t);
				p = TRUTH.P_FIRST;
				recalled = outcomes.next() < p;
				unseenFrom++;
			} else {
				p = memory.recallProbability(item, t);
				recalled = outcomes.next() < p;
				memory.review(item, t, recalled, p);
			}
			const grade = ratingFromAnswer({
				correct: recalled,
				responseTimeMs: recalled ? responseTimeMs(p, traits.extraTimePercent, outcomes) : null,
				expectedSeconds: TRUTH.EXPECTED_SECONDS,
				extraTimePercent: traits.extraTimePercent,
			});
			scheduler.answer(item, grade, now);
			result.reviews++;
		}
	}

	const examT = (SIM_START + config.days * DAY_MS + 18 * 3_600_000 - SIM_START) / DAY_MS;
	for (let i = 0; i < unseenFrom; i++) result.finalRecallSum += memory.recallProbability(unseen[i], examT);
	result.introduced = unseenFrom;
	if (scheduler instanceof FsrsScheduler) {
		result.reviewNanos = scheduler.reviewNanos;
		result.fsrsAnswers = scheduler.answers;
		if (options.keepLog) result.log = scheduler.log;
	}
	return result;
}

export interface CohortResult {
	kind: SchedulerKind;
	reviews: number;
	/** Mean true recall probability over (student, introduced item, day), measured before each day's session. */
	retention: number;
	/** Mean true recall probability of all introduced items at a final exam the day after the last. */
	finalRecall: number;
	answers: number;
	reviewSeconds: number;
	fits: number;
	fitSeconds: number;
	wallSeconds: number;
}

export async function simulateCohort(kind: SchedulerKind, config: CohortConfig, progress?: (done: number, partial: CohortResult) => void): Promise<CohortResult> {
	const started = performance.now();
	const difficulty = cohortItems(config);
	const acc = { reviews: 0, recallSum: 0, recallCount: 0, finalSum: 0, introduced: 0, nanos: 0n, answers: 0, fits: 0, fitMillis: 0 };
	const snapshot = (): CohortResult => ({
		kind,
		reviews: acc.reviews,
		retention: acc.recallCount ? acc.recallSum / acc.recallCount : NaN,
		finalRecall: acc.introduced ? acc.finalSum / acc.introduced : NaN,
		answers: acc.answers,
		reviewSeconds: Number(acc.nanos) / 1e9,
		fits: acc.fits,
		fitSeconds: acc.fitMillis / 1000,
		wallSeconds: (performance.now() - started) / 1000,
	});
	for (let s = 0; s < config.students; s++) {
		const r = await simulateStudent(kind, s, config, difficulty);
		acc.reviews += r.reviews;
		acc.recallSum += r.recallSum;
		acc.recallCount += r.recallCount;
		acc.finalSum += r.finalRecallSum;
		acc.introduced += r.introduced;
		acc.nanos += r.reviewNanos;
		acc.answers += r.fsrsAnswers;
		acc.fits += r.fits;
		acc.fitMillis += r.fitMillis;
		progress?.(s + 1, snapshot());
	}
	return snapshot();
}
