/**
 * The simulated students' memory: NOT FSRS. Half-life regression style exponential forgetting,
 *
 *   p(recall after Δt days) = 2^(−Δt / h)
 *
 * with a half-life h per (student, item) that changes at each review:
 * - learning rate k = ability(student) × fit(student, item) / difficulty(item), all log-normal around 1;
 * - first exposure: h = H0 × k;
 * - success at recall probability p: h ← h × (1 + GAIN × k × (1 − p)^SPACING_EXPONENT). The spacing effect: the
 *   harder the recall (lower p, longer gap), the more the memory grows; a review at p ≈ 1 barely helps;
 * - failure: h ← max(RELEARN_FLOOR × h0, LAPSE × h) (the answer is shown after a failure, so it is relearnt, weaker).
 */
import { Prng } from "./prng.js";

export const TRUTH = {
	/** Median initial half-life, days. */
	H0: 4,
	GAIN: 6,
	SPACING_EXPONENT: 0.6,
	LAPSE: 0.3,
	RELEARN_FLOOR: 0.5,
	/** Spread (σ of the log) of ability, item difficulty and the student–item fit. */
	SIGMA_ABILITY: 0.35,
	SIGMA_DIFFICULTY: 0.4,
	SIGMA_FIT: 0.15,
	/** Probability of answering right immediately after first seeing an item. */
	P_FIRST: 0.9,
	/** Expected answer time, seconds; extra-time students are this much slower, and get the accommodation. */
	EXPECTED_SECONDS: 10,
	EXTRA_TIME_SHARE: 0.1,
	EXTRA_TIME_PERCENT: 50,
} as const;

export interface StudentTraits {
	ability: number;
	extraTimePercent: number;
	/** per item: student–item fit */
	fit: Float64Array;
}

export function drawItemDifficulties(items: number, rng: Prng): Float64Array {
	const d = new Float64Array(items);
	for (let i = 0; i < items; i++) d[i] = rng.logNormal(TRUTH.SIGMA_DIFFICULTY);
	return d;
}

export function drawStudent(items: number, rng: Prng): StudentTraits {
	const ability = rng.logNormal(TRUTH.SIGMA_ABILITY);
	const extraTimePercent = rng.next() < TRUTH.EXTRA_TIME_SHARE ? TRUTH.EXTRA_TIME_PERCENT : 0;
	const fit = new Float64Array(items);
	for (let i = 0; i < items; i++) fit[i] = rng.logNormal(TRUTH.SIGMA_FIT);
	return { ability, extraTimePercent, fit };
}

/** One student's true memory of every item. Times are in days (fractional) since the simulation start. */
export class StudentMemory {
	readonly halfLife: Float64Array;
	readonly lastSeen: Float64Array;
	private readonly k: Float64Array;

	constructor(traits: StudentTraits, difficulty: Float64Array) {
		const n = difficulty.length;
		this.halfLife = new Float64Array(n);
		this.lastSeen = new Float64Array(n).fill(NaN);
		this.k = new Float64Array(n);
		for (let i = 0; i < n; i++) this.k[i] = (traits.ability * traits.fit[i]) / difficulty[i];
	}

	introduced(item: number): boolean {
		return !Number.isNaN(this.lastSeen[item]);
	}

	recallProbability(item: number, t: number): number {
		if (!this.introduced(item)) return 0;
		return Math.pow(2, -(t - this.lastSeen[item]) / this.halfLife[item]);
	}

	/** First exposure (study), then the student answers once. */
	learn(item: number, t: number): void {
		this.halfLife[item] = TRUTH.H0 * this.k[item];
		this.lastSeen[item] = t;
	}

	/** A review at time t with the given outcome; p is the recall probability just before it. */
	review(item: number, t: number, recalled: boolean, p: number): void {
		const h = this.halfLife[item];
		if (recalled) {
			this.halfLife[item] = h * (1 + TRUTH.GAIN * this.k[item] * Math.pow(1 - p, TRUTH.SPACING_EXPONENT));
		} else {
			this.halfLife[item] = Math.max(TRUTH.RELEARN_FLOOR * TRUTH.H0 * this.k[item], TRUTH.LAPSE * h);
		}
		this.lastSeen[item] = t;
	}
}

/**
 * Response time (ms) of a right answer: fluent recall (p near 1) is quick, a laboured one slow; log-normal noise;
 * students with an accommodation are slower by that much.
 */
export function responseTimeMs(p: number, extraTimePercent: number, rng: Prng): number {
	const base = TRUTH.EXPECTED_SECONDS * 1000 * (1 + extraTimePercent / 100);
	return base * (0.55 + 1.3 * (1 - p)) * rng.logNormal(0.25);
}
