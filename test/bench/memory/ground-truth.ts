/**
 * The simulated students' memory: NOT FSRS. Half-life regression style exponential forgetting,
 *
 *   p(recall after Δt days) = 2^(−Δt / h)
 *
 * with a half-life h per (student, item) that changes at each review. The cohort has real spread: students differ
 * in ability (how much a successful review strengthens memory, and how often a first answer is right), in forgetting
 * (how short their first memories are) and in speed; items differ in difficulty and length; each student–item pair
 * has its own fit. All are log-normal around 1.
 * - first exposure (study): h = H0 × fit / (difficulty × forgetting);
 * - success at recall probability p: h ← h × (1 + GAIN × ability × fit / difficulty × (1 − p)^SPACING_EXPONENT). The
 *   spacing effect: the harder the recall (lower p, longer gap), the more the memory grows; a review at p ≈ 1 barely
 *   helps (so same-day learning steps add little here);
 * - failure: h ← max(RELEARN_FLOOR × h0, LAPSE × h) (the answer is shown after a failure, so it is relearnt, weaker);
 * - the first answer, right after studying, is right with probability 1 / (1 + e^−(P_FIRST_LOGIT + P_FIRST_SLOPE ×
 *   ln(ability / difficulty))): about 0.88 for a median student on a median item;
 * - a right answer's time follows recall: fluent recall (p near 1) is quick, a laboured one slow; times scale with
 *   the item's length and the student's speed, and with the accommodation of students who have one.
 *
 * The spread (the SIGMA_* below) was set once, before any run of this benchmark, from the orders of magnitude
 * half-life regression papers report; it is not tuned to any scheduler's result.
 */
import { Prng } from "./prng.js";

export const TRUTH = {
	/** Median initial half-life, days. */
	H0: 4,
	GAIN: 6,
	SPACING_EXPONENT: 0.6,
	LAPSE: 0.3,
	RELEARN_FLOOR: 0.5,
	/** Spread (σ of the log) of the traits. */
	SIGMA_ABILITY: 0.4,
	SIGMA_FORGETTING: 0.4,
	SIGMA_SPEED: 0.3,
	SIGMA_DIFFICULTY: 0.6,
	SIGMA_LENGTH: 0.3,
	SIGMA_FIT: 0.2,
	/** First answer right after studying: logistic in ln(ability / difficulty). */
	P_FIRST_LOGIT: 2,
	P_FIRST_SLOPE: 1.5,
	/** Expected answer time of a median item, seconds (the item's `expectedSeconds` is this × its length). */
	EXPECTED_SECONDS: 10,
	EXTRA_TIME_SHARE: 0.1,
	EXTRA_TIME_PERCENT: 50,
	/** Reading the feedback after an answer, ms (session time between two answers). */
	FEEDBACK_MS: 5_000,
} as const;

export interface ItemTraits {
	difficulty: Float64Array;
	/** Relative length (the item's expected time is EXPECTED_SECONDS × this). */
	length: Float64Array;
}

export interface StudentTraits {
	ability: number;
	forgetting: number;
	speed: number;
	extraTimePercent: number;
	/** per item: student–item fit */
	fit: Float64Array;
}

export function drawItems(items: number, rng: Prng): ItemTraits {
	const difficulty = new Float64Array(items);
	const length = new Float64Array(items);
	for (let i = 0; i < items; i++) {
		difficulty[i] = rng.logNormal(TRUTH.SIGMA_DIFFICULTY);
		length[i] = rng.logNormal(TRUTH.SIGMA_LENGTH);
	}
	return { difficulty, length };
}

export function drawStudent(items: number, rng: Prng): StudentTraits {
	const ability = rng.logNormal(TRUTH.SIGMA_ABILITY);
	const forgetting = rng.logNormal(TRUTH.SIGMA_FORGETTING);
	const speed = rng.logNormal(TRUTH.SIGMA_SPEED);
	const extraTimePercent = rng.next() < TRUTH.EXTRA_TIME_SHARE ? TRUTH.EXTRA_TIME_PERCENT : 0;
	const fit = new Float64Array(items);
	for (let i = 0; i < items; i++) fit[i] = rng.logNormal(TRUTH.SIGMA_FIT);
	return { ability, forgetting, speed, extraTimePercent, fit };
}

/** One student's true memory of every item. Times are in days (fractional) since the simulation start. */
export class StudentMemory {
	readonly halfLife: Float64Array;
	readonly lastSeen: Float64Array;
	private readonly gain: Float64Array;
	private readonly h0: Float64Array;
	private readonly pFirst: Float64Array;

	constructor(traits: StudentTraits, items: ItemTraits) {
		const n = items.difficulty.length;
		this.halfLife = new Float64Array(n);
		this.lastSeen = new Float64Array(n).fill(NaN);
		this.gain = new Float64Array(n);
		this.h0 = new Float64Array(n);
		this.pFirst = new Float64Array(n);
		for (let i = 0; i < n; i++) {
			const d = items.difficulty[i];
			this.gain[i] = (traits.ability * traits.fit[i]) / d;
			this.h0[i] = (TRUTH.H0 * traits.fit[i]) / (d * traits.forgetting);
			this.pFirst[i] = 1 / (1 + Math.exp(-(TRUTH.P_FIRST_LOGIT + TRUTH.P_FIRST_SLOPE * Math.log(traits.ability / d))));
		}
	}

	introduced(item: number): boolean {
		return !Number.isNaN(this.lastSeen[item]);
	}

	recallProbability(item: number, t: number): number {
		if (!this.introduced(item)) return 0;
		return Math.pow(2, -(t - this.lastSeen[item]) / this.halfLife[item]);
	}

	/** The day (fractional) at which recall falls to `p`. */
	timeRecallFallsTo(item: number, p: number): number {
		return this.lastSeen[item] + this.halfLife[item] * Math.log2(1 / p);
	}

	/** First exposure (study); returns the probability that the answer right after it is right. */
	learn(item: number, t: number): number {
		this.halfLife[item] = this.h0[item];
		this.lastSeen[item] = t;
		return this.pFirst[item];
	}

	/** A review at time t with the given outcome; p is the recall probability just before it. */
	review(item: number, t: number, recalled: boolean, p: number): void {
		const h = this.halfLife[item];
		if (recalled) {
			this.halfLife[item] = h * (1 + TRUTH.GAIN * this.gain[item] * Math.pow(1 - p, TRUTH.SPACING_EXPONENT));
		} else {
			this.halfLife[item] = Math.max(TRUTH.RELEARN_FLOOR * this.h0[item], TRUTH.LAPSE * h);
		}
		this.lastSeen[item] = t;
	}
}

/** The item's expected time, seconds (what a teacher would write on it). */
export function expectedSecondsOf(items: ItemTraits, item: number): number {
	return TRUTH.EXPECTED_SECONDS * items.length[item];
}

/**
 * Response time (ms) of a right answer: fluent recall (p near 1) is quick, a laboured one slow; log-normal noise;
 * scaled by the item's length and the student's speed; students with an accommodation are slower by that much.
 */
export function responseTimeMs(p: number, traits: StudentTraits, items: ItemTraits, item: number, rng: Prng): number {
	const base = expectedSecondsOf(items, item) * 1000 * traits.speed * (1 + traits.extraTimePercent / 100);
	return base * (0.55 + 1.3 * (1 - p)) * rng.logNormal(0.25);
}
