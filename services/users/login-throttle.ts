/**
 * Login throttling: failed attempts counted per account and per client address over a fixed window.
 * When either count reaches its limit, further attempts are refused before any password is checked,
 * with the seconds left in the window. A successful login clears the account's count (not the
 * address's: one good password must not unlock guessing at other accounts from the same place).
 *
 * Counters live in a store: Redis when the deployment has one (every node sees the same counts),
 * memory otherwise (one process). Redis being down never fails a login: see failsafe-throttle-store.ts.
 */
import type { Redis } from "ioredis";

export interface Counter {
	count: number;
	/** Seconds until the window ends; 0 when there is no count. */
	ttlSeconds: number;
}

export interface ThrottleStore {
	/** False when the store is known to be unreachable right now (callers then need not wait for it to fail). */
	available?(): boolean;
	increment(key: string, windowSeconds: number): Promise<Counter>;
	get(key: string): Promise<Counter>;
	reset(key: string): Promise<void>;
	close(): Promise<void>;
}

export interface ThrottleLimits {
	maxFailures: number;
	windowSeconds: number;
	ipMaxFailures: number;
}

export type ThrottleVerdict = { allowed: true } | { allowed: false; retryAfter: number };

export class MemoryThrottleStore implements ThrottleStore {
	private readonly counters = new Map<string, { count: number; expiresAt: number }>();

	constructor(private readonly now: () => number = Date.now, private readonly maxKeys = 100_000) {}

	private live(key: string) {
		const entry = this.counters.get(key);
		if (entry && entry.expiresAt <= this.now()) {
			this.counters.delete(key);
			return undefined;
		}
		return entry;
	}

	private sweep(): void {
		const now = this.now();
		for (const [key, entry] of this.counters) if (entry.expiresAt <= now) this.counters.delete(key);
		// Still full of live keys (someone spraying addresses): drop the oldest rather than grow without bound.
		for (const key of this.counters.keys()) {
			if (this.counters.size < this.maxKeys) break;
			this.counters.delete(key);
		}
	}

	private view(entry: { count: number; expiresAt: number } | undefined): Counter {
		if (!entry) return { count: 0, ttlSeconds: 0 };
		return { count: entry.count, ttlSeconds: Math.max(1, Math.ceil((entry.expiresAt - this.now()) / 1000)) };
	}

	async increment(key: string, windowSeconds: number): Promise<Counter> {
		let entry = this.live(key);
		if (!entry) {
			if (this.counters.size >= this.maxKeys) this.sweep();
			entry = { count: 0, expiresAt: this.now() + windowSeconds * 1000 };
			this.counters.set(key, entry);
		}
		entry.count++;
		return this.view(entry);
	}

	async get(key: string): Promise<Counter> {
		return this.view(this.live(key));
	}

	async reset(key: string): Promise<void> {
		this.counters.delete(key);
	}

	async close(): Promise<void> {
		this.counters.clear();
	}
}

export class RedisThrottleStore implements ThrottleStore {
	constructor(private readonly redis: Redis, private readonly prefix: string) {}

	available(): boolean {
		return this.redis.status === "ready";
	}

	async increment(key: string, windowSeconds: number): Promise<Counter> {
		const k = this.prefix + key;
		// SET NX EX starts the window once; INCR keeps the TTL, so the window is fixed, not sliding.
		const replies = await this.redis.multi().set(k, "0", "EX", windowSeconds, "NX").incr(k).ttl(k).exec();
		if (!replies) throw new Error("login throttle: Redis transaction aborted");
		for (const [err] of replies) if (err) throw err;
		return { count: Number(replies[1][1]), ttlSeconds: Math.max(1, Number(replies[2][1])) };
	}

	async get(key: string): Promise<Counter> {
		const k = this.prefix + key;
		const replies = await this.redis.multi().get(k).ttl(k).exec();
		if (!replies) throw new Error("login throttle: Redis transaction aborted");
		const count = Number(replies[0][1] ?? 0);
		const ttl = Number(replies[1][1]);
		return count > 0 ? { count, ttlSeconds: ttl > 0 ? ttl : 1 } : { count: 0, ttlSeconds: 0 };
	}

	async reset(key: string): Promise<void> {
		await this.redis.del(this.prefix + key);
	}

	async close(): Promise<void> {
		// QUIT would wait in the offline queue of a client that is not connected.
		if (this.redis.status !== "ready") return this.redis.disconnect();
		await this.redis.quit().catch(() => this.redis.disconnect());
	}
}

const accountCounter = (accountKey: string) => `acct:${accountKey}`;
const ipCounter = (ip: string) => `ip:${ip}`;

export class LoginThrottle {
	constructor(readonly store: ThrottleStore, private readonly limits: () => ThrottleLimits) {}

	async check(accountKey: string, ip?: string): Promise<ThrottleVerdict> {
		const { maxFailures, ipMaxFailures } = this.limits();
		const [account, address] = await Promise.all([
			this.store.get(accountCounter(accountKey)),
			ip ? this.store.get(ipCounter(ip)) : Promise.resolve({ count: 0, ttlSeconds: 0 }),
		]);
		const waits = [
			account.count >= maxFailures ? account.ttlSeconds : 0,
			address.count >= ipMaxFailures ? address.ttlSeconds : 0,
		];
		const retryAfter = Math.max(...waits);
		return retryAfter > 0 ? { allowed: false, retryAfter } : { allowed: true };
	}

	async recordFailure(accountKey: string, ip?: string): Promise<void> {
		const { windowSeconds } = this.limits();
		await Promise.all([
			this.store.increment(accountCounter(accountKey), windowSeconds),
			ip ? this.store.increment(ipCounter(ip), windowSeconds) : undefined,
		]);
	}

	async recordSuccess(accountKey: string): Promise<void> {
		await this.store.reset(accountCounter(accountKey));
	}

	/** Forgets an address's failures (operators, and tests that share one address). */
	async clearAddress(ip: string): Promise<void> {
		await this.store.reset(ipCounter(ip));
	}
}
