/**
 * Optimistic concurrency for a read-modify-write of one document (a value computed in JS from what was read):
 * each attempt reads, computes, and writes with what it read in the filter (a version, a count, the previous
 * value); when another writer got there in between, the write matches nothing and the attempt answers
 * `RETRY`. Attempts run again after a short random pause, a bounded number of times, then 409 CONFLICT.
 * Single-document conditional updates are atomic on MongoDB, so no lock is needed around any of this.
 */
import { conflict } from "./errors.js";

export const RETRY: unique symbol = Symbol("retry");

export interface RetryOptions {
	/** Attempts in all (default 10): enough for a dozen writers racing on one document. */
	attempts?: number;
	/** The 409's message once every attempt met a concurrent change. */
	message?: string;
}

const pause = (attempt: number) => new Promise(resolve => setTimeout(resolve, Math.random() * Math.min(40, 2 + attempt * 4)));

export async function retryOnConflict<T>(attempt: (n: number) => Promise<T | typeof RETRY>, opts: RetryOptions = {}): Promise<T> {
	const attempts = opts.attempts ?? 10;
	for (let n = 0; n < attempts; n++) {
		if (n > 0) await pause(n);
		const result = await attempt(n);
		if (result !== RETRY) return result as T;
	}
	throw conflict(opts.message ?? "This changed meanwhile, try again");
}
