/**
 * Login throttling, decided atomically BEFORE any password is checked: every attempt first takes a point
 * from three limiters (rate-limits.ts; one atomic Redis operation each), and is refused (429, Retry-After)
 * as soon as one has none left, so N parallel guesses get at most the configured number of verdicts.
 *
 * - per (account, client address), LOGIN_MAX_FAILURES per LOGIN_WINDOW_SECONDS, with backoff: each time
 *   the pair runs out it is blocked, for the window the first time, then twice as long each time within a
 *   day (at most LOGIN_MAX_BLOCK_SECONDS). Someone guessing a student's (guessable) username from their
 *   address blocks only themselves: the student, elsewhere, still gets in.
 * - per client address, LOGIN_IP_MAX_FAILURES per window: one address spraying many accounts.
 * - per account from all addresses together, LOGIN_ACCOUNT_MAX_FAILURES per LOGIN_ACCOUNT_WINDOW_SECONDS:
 *   a generous ceiling against guessing spread over many addresses. It is the one limit that does lock
 *   the account for everyone (until the window ends); set high enough that only a distributed attack
 *   reaches it.
 *
 * A successful login gives its points back to the address and account limiters and clears the pair
 * (its lockout count stays for the day), so only failures are counted in the end: a school behind one
 * address where hundreds of students log in each morning is not throttled for their successes.
 */
import type { RateLimiterAbstract } from "rate-limiter-flexible";
import { retryAfterOf, type RateLimits } from "./rate-limits.js";

export interface LoginLimits {
	/** Failures per (account, address) per window. */
	maxFailures: number;
	windowSeconds: number;
	/** Failures per address per window. */
	ipMaxFailures: number;
	/** Failures per account from all addresses per account window. */
	accountMaxFailures: number;
	accountWindowSeconds: number;
	/** The longest block of a pair as its lockouts double. */
	maxBlockSeconds: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfter: number };

/** Lockouts of a pair are counted over a day. */
const LOCKOUT_MEMORY_SECONDS = 86_400;
const NO_ADDRESS = "unknown";

export class LoginThrottle {
	constructor(readonly limits: RateLimits, private readonly settings: () => LoginLimits) {}

	private get address(): RateLimiterAbstract {
		const s = this.settings();
		return this.limits.limiter("login-ip", s.ipMaxFailures, s.windowSeconds);
	}
	private get pair(): RateLimiterAbstract {
		const s = this.settings();
		return this.limits.limiter("login-pair", s.maxFailures, s.windowSeconds);
	}
	private get account(): RateLimiterAbstract {
		const s = this.settings();
		return this.limits.limiter("login-account", s.accountMaxFailures, s.accountWindowSeconds);
	}
	private get lockouts(): RateLimiterAbstract {
		return this.limits.limiter("login-lockouts", 1_000_000, LOCKOUT_MEMORY_SECONDS);
	}

	/**
	 * Takes one attempt for `accountKey` from `ip`, before its password is checked, pair first. A refusal by
	 * one limiter leaves the later ones untouched: someone hammering one account from a shared address (a
	 * school's) uses up their pair only, not the address; an address blocked for spraying does not eat into
	 * its victims' account ceilings.
	 */
	async attempt(accountKey: string, ip?: string): Promise<ThrottleVerdict> {
		const address = ip || NO_ADDRESS;
		const pairKey = `${accountKey}|${address}`;
		try {
			await this.pair.consume(pairKey);
		} catch (refusal) {
			return { allowed: false, retryAfter: await this.backOff(pairKey, refusal) };
		}
		try {
			await this.address.consume(address);
		} catch (refusal) {
			return { allowed: false, retryAfter: retryAfterOf(refusal) };
		}
		try {
			await this.account.consume(accountKey);
		} catch (refusal) {
			return { allowed: false, retryAfter: retryAfterOf(refusal) };
		}
		return { allowed: true };
	}

	/** The password was right: the attempt is given back, and the pair starts afresh. */
	async succeeded(accountKey: string, ip?: string): Promise<void> {
		const address = ip || NO_ADDRESS;
		await Promise.all([this.address.reward(address), this.account.reward(accountKey), this.pair.delete(`${accountKey}|${address}`)]);
	}

	/** Forgets an address's failures (operators, and tests that share one address). */
	async clearAddress(ip: string): Promise<void> {
		await this.address.delete(ip);
	}

	/**
	 * The attempt that first finds the pair exhausted (exactly one: the counts are atomic) blocks it for the
	 * window × 2^(lockouts today − 1); later ones just wait for that block to end.
	 */
	private async backOff(pairKey: string, refusal: unknown): Promise<number> {
		const retryAfter = retryAfterOf(refusal);
		const { consumedPoints } = refusal as { consumedPoints: number };
		const pair = this.pair;
		if (consumedPoints !== pair.points + 1) return retryAfter;
		const s = this.settings();
		const lockout = await this.lockouts.consume(pairKey);
		const seconds = Math.min(s.maxBlockSeconds, s.windowSeconds * 2 ** Math.min(20, lockout.consumedPoints - 1));
		await pair.block(pairKey, seconds);
		return seconds;
	}
}

/** The limits as configured (config/env.ts). */
export function configuredLoginLimits(s: {
	loginMaxFailures: number;
	loginWindowSeconds: number;
	ipMaxFailures: number;
	loginAccountMaxFailures: number;
	loginAccountWindowSeconds: number;
	loginMaxBlockSeconds: number;
}): LoginLimits {
	return {
		maxFailures: s.loginMaxFailures,
		windowSeconds: s.loginWindowSeconds,
		ipMaxFailures: s.ipMaxFailures,
		accountMaxFailures: s.loginAccountMaxFailures,
		accountWindowSeconds: s.loginAccountWindowSeconds,
		maxBlockSeconds: s.loginMaxBlockSeconds,
	};
}
