/**
 * The login throttle must not turn a Redis outage into failed logins (500s): the throttle protects
 * logins, it is not a reason to refuse them. Each operation goes to the shared store and, when that
 * is unreachable or fails, to a memory store for that call, with a warning. While Redis is down every
 * node therefore throttles on its own: the limits hold per node instead of per platform.
 */
import { Redis } from "ioredis";
import { MemoryThrottleStore, RedisThrottleStore, type Counter, type ThrottleStore } from "./login-throttle.js";

export type Warn = (message: string, detail?: unknown) => void;

/** One warning per this many milliseconds at most: an outage must not flood the log with one line per login. */
const WARN_EVERY_MS = 30_000;
/** Bounds on how long a login may wait for Redis before the memory store answers instead. */
const REDIS_OPTIONS = {
	connectTimeout: 1000,
	commandTimeout: 500,
	maxRetriesPerRequest: 1,
	enableOfflineQueue: true,
	// Reconnects in the background for ever, but no request waits for it (see `available`).
	retryStrategy: (attempt: number) => Math.min(attempt * 200, 5000),
} as const;

export class FailSafeThrottleStore implements ThrottleStore {
	private lastWarning = -Infinity;
	private fallbacks = 0;

	constructor(
		private readonly primary: ThrottleStore,
		private readonly warn: Warn,
		private readonly fallback: ThrottleStore = new MemoryThrottleStore(),
	) {}

	/** How many operations the memory store answered (for tests and diagnostics). */
	get fallbackCount(): number {
		return this.fallbacks;
	}

	private async run<T>(op: (store: ThrottleStore) => Promise<T>): Promise<T> {
		if (this.primary.available?.() !== false) {
			try {
				return await op(this.primary);
			} catch (err) {
				this.noteFallback(err);
				return op(this.fallback);
			}
		}
		this.noteFallback(new Error("the shared throttle store is not connected"));
		return op(this.fallback);
	}

	private noteFallback(err: unknown): void {
		this.fallbacks++;
		const now = Date.now();
		if (now - this.lastWarning < WARN_EVERY_MS) return;
		this.lastWarning = now;
		this.warn("Login throttle: shared store unavailable, counting in this process only", err instanceof Error ? err.message : String(err));
	}

	increment(key: string, windowSeconds: number): Promise<Counter> {
		return this.run(store => store.increment(key, windowSeconds));
	}

	get(key: string): Promise<Counter> {
		return this.run(store => store.get(key));
	}

	reset(key: string): Promise<void> {
		// Both: a count kept in memory during an outage must not outlive a successful login either.
		return this.run(store => store.reset(key)).then(() => this.fallback.reset(key));
	}

	async close(): Promise<void> {
		await Promise.allSettled([this.primary.close(), this.fallback.close()]);
	}
}

/** A Redis-backed throttle store that falls back to memory; waits briefly for the first connection. */
export async function openFailSafeRedisStore(url: string, prefix: string, warn: Warn, waitMs = 1000): Promise<FailSafeThrottleStore> {
	const redis = new Redis(url, REDIS_OPTIONS);
	let lastError = "";
	// Without a listener ioredis prints every failed reconnection; one warning per new kind of error is enough.
	redis.on("error", (err: Error) => {
		if (err.message !== lastError) warn("Login throttle: Redis error", err.message);
		lastError = err.message;
	});
	redis.on("ready", () => (lastError = ""));
	await new Promise<void>(resolve => {
		const timer = setTimeout(resolve, waitMs);
		redis.once("ready", () => {
			clearTimeout(timer);
			resolve();
		});
	});
	return new FailSafeThrottleStore(new RedisThrottleStore(redis, prefix), warn);
}
