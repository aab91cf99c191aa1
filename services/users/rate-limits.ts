/**
 * Named rate limiters (rate-limiter-flexible) on one store: Redis when the deployment has one, so every
 * node counts together, each count taken by one atomic Redis operation (a Lua script: SET NX EX, INCRBY,
 * PTTL); memory otherwise (one process).
 *
 * Redis down: a limit never turns into failed requests (500s). Each limiter has a memory limiter as its
 * insurance: while Redis is unreachable (not connected, or a command failing or taking over 2 s) that
 * node counts alone, with a warning at most every 30 s. The limits then hold per node instead of per
 * platform, and what was counted in memory is forgotten once Redis answers again.
 *
 * Limits are read at each use (`limiter(name, points, seconds)`), so a changed setting applies at once;
 * the counts live under the name, whatever the limit.
 */
import { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type IRateLimiterOptions, type RateLimiterAbstract } from "rate-limiter-flexible";
import { settings } from "../../config/env.js";

export type Warn = (message: string, detail?: unknown) => void;

/** One warning per this many milliseconds at most: an outage must not flood the log with one line per request. */
const WARN_EVERY_MS = 30_000;
/** Bounds on how long a request may wait for Redis before the memory insurance answers instead. */
const REDIS_OPTIONS = {
	connectTimeout: 1000,
	// Long enough that a loaded but working Redis keeps answering (a timed-out count falls back to memory,
	// which counts apart); a Redis that is down is not waited for at all (rejectIfRedisNotReady).
	commandTimeout: 2000,
	maxRetriesPerRequest: 1,
	enableOfflineQueue: true,
	// Reconnects in the background for ever, but no request waits for it (rejectIfRedisNotReady).
	retryStrategy: (attempt: number) => Math.min(attempt * 200, 5000),
} as const;

type Options = { [key: string]: any };

/** The memory limiter that answers while Redis cannot: says so (rate-limited), and counts its uses. */
class InsuranceLimiter extends RateLimiterMemory {
	constructor(opts: IRateLimiterOptions, private readonly used: () => void) {
		super(opts);
	}
	override consume(key: string | number, points?: number, options?: Options): Promise<RateLimiterRes> {
		this.used();
		return super.consume(key, points, options);
	}
	override reward(key: string | number, points?: number, options?: Options): Promise<RateLimiterRes> {
		this.used();
		return super.reward(key, points, options);
	}
	override get(key: string | number, options?: Options): Promise<RateLimiterRes | null> {
		this.used();
		return super.get(key, options);
	}
	override delete(key: string | number, options?: Options): Promise<boolean> {
		this.used();
		return super.delete(key, options);
	}
	override block(key: string | number, secDuration: number, options?: Options): Promise<RateLimiterRes> {
		this.used();
		return super.block(key, secDuration, options);
	}
}

export class RateLimits {
	private readonly limiters = new Map<string, { main: RateLimiterAbstract; insurance?: RateLimiterAbstract }>();
	private lastWarning = -Infinity;
	private fallbacks = 0;

	constructor(
		private readonly redis: Redis | undefined,
		private readonly prefix: string,
		private readonly warn: Warn,
	) {}

	/** How many operations the memory insurance answered because Redis could not (tests, diagnostics). */
	get fallbackCount(): number {
		return this.fallbacks;
	}

	get shared(): boolean {
		return this.redis !== undefined;
	}

	/** The limiter `name`, allowing `points` per `durationSeconds` per key. */
	limiter(name: string, points: number, durationSeconds: number): RateLimiterAbstract {
		let entry = this.limiters.get(name);
		if (!entry) {
			const opts = { points, duration: durationSeconds, keyPrefix: `${this.prefix}${name}` };
			if (this.redis) {
				const insurance = new InsuranceLimiter(opts, () => this.noteFallback());
				entry = { main: new RateLimiterRedis({ ...opts, storeClient: this.redis, rejectIfRedisNotReady: true, insuranceLimiter: insurance }), insurance };
			} else {
				entry = { main: new RateLimiterMemory(opts) };
			}
			this.limiters.set(name, entry);
		}
		for (const limiter of [entry.main, entry.insurance]) {
			if (!limiter) continue;
			limiter.points = points;
			limiter.duration = durationSeconds;
		}
		return entry.main;
	}

	async close(): Promise<void> {
		this.limiters.clear();
		if (!this.redis) return;
		// QUIT would wait in the offline queue of a client that is not connected.
		if (this.redis.status !== "ready") return this.redis.disconnect();
		await this.redis.quit().catch(() => this.redis!.disconnect());
	}

	private noteFallback(): void {
		this.fallbacks++;
		const now = Date.now();
		if (now - this.lastWarning < WARN_EVERY_MS) return;
		this.lastWarning = now;
		this.warn("Rate limits: Redis unavailable, counting in this process only", this.redis?.status);
	}
}

/** Seconds to wait from a limiter's refusal; anything else (a bug, not a refusal) is thrown. */
export function retryAfterOf(refusal: unknown): number {
	if (refusal instanceof RateLimiterRes) return Math.max(1, Math.ceil(refusal.msBeforeNext / 1000));
	throw refusal;
}

/** Counts belong to one deployment's data: the database name keeps test runs and stagings apart. */
export function limitsPrefix(): string {
	let db = "default";
	try {
		db = new URL(settings().mongoUrl ?? "mongodb://x/default").pathname.slice(1) || "default";
	} catch {
		/* keep the default */
	}
	return `lp:${db}:limit:`;
}

/** Limits on REDIS_URL (waiting up to `waitMs` for the first connection), or in memory without it. */
export async function openRateLimits(warn: Warn, opts: { redisUrl?: string; prefix?: string; waitMs?: number } = {}): Promise<RateLimits> {
	const url = "redisUrl" in opts ? opts.redisUrl : settings().redisUrl;
	const prefix = opts.prefix ?? limitsPrefix();
	if (!url) return new RateLimits(undefined, prefix, warn);
	const redis = new Redis(url, REDIS_OPTIONS);
	let lastError = "";
	// Without a listener ioredis prints every failed reconnection; one warning per new kind of error is enough.
	redis.on("error", (err: Error) => {
		if (err.message !== lastError) warn("Rate limits: Redis error", err.message);
		lastError = err.message;
	});
	redis.on("ready", () => (lastError = ""));
	await new Promise<void>(resolve => {
		const timer = setTimeout(resolve, opts.waitMs ?? 1000);
		redis.once("ready", () => {
			clearTimeout(timer);
			resolve();
		});
	});
	return new RateLimits(redis, prefix, warn);
}
