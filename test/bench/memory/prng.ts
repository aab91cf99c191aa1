/** A small seeded PRNG (mulberry32) with the draws the simulation needs. Same seed, same cohort, same run. */
export class Prng {
	private state: number;

	constructor(seed: number) {
		this.state = seed >>> 0;
	}

	/** Uniform in [0, 1). */
	next(): number {
		let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	}

	/** Standard normal (Box–Muller). */
	normal(): number {
		const u = 1 - this.next();
		const v = this.next();
		return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
	}

	/** exp(N(0, sigma)): a multiplicative variation around 1. */
	logNormal(sigma: number): number {
		return Math.exp(sigma * this.normal());
	}

	int(maxExclusive: number): number {
		return Math.floor(this.next() * maxExclusive);
	}
}

/** Derives independent seeds from a base seed and indices (so student 7 is the same student in every run). */
export function deriveSeed(...parts: number[]): number {
	let h = 0x811c9dc5;
	for (const part of parts) {
		h ^= part >>> 0;
		h = Math.imul(h, 0x01000193) >>> 0;
		h ^= h >>> 13;
		h = Math.imul(h, 0x5bd1e995) >>> 0;
	}
	return h >>> 0;
}
