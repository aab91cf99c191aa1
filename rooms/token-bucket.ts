/**
 * Per-client message budget: `capacity` messages in a burst, refilled at `perSecond`. Pure (time is
 * passed in), so the rule is unit-tested without a room.
 */
export interface BucketRule {
	capacity: number;
	perSecond: number;
}

export class TokenBucket {
	private tokens: number;
	private last: number;

	constructor(private readonly rule: BucketRule, now: number = Date.now()) {
		this.tokens = rule.capacity;
		this.last = now;
	}

	/** Takes `cost` tokens if there are enough; a refused take costs nothing. */
	take(now: number = Date.now(), cost = 1): boolean {
		const elapsed = Math.max(0, now - this.last) / 1000;
		this.tokens = Math.min(this.rule.capacity, this.tokens + elapsed * this.rule.perSecond);
		this.last = now;
		if (this.tokens < cost) return false;
		this.tokens -= cost;
		return true;
	}
}
