/**
 * Where the memory model gets "now" from. Services take a Clock instead of calling `new Date()`, so tests and
 * simulations can move time (days of spaced repetition in milliseconds of test time).
 */
export interface Clock {
	now(): Date;
}

/** The wall clock. */
export const systemClock: Clock = {
	now: () => new Date(),
};

const MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
export type DurationUnit = keyof typeof MS;

/** A clock that only moves when told to. Returns a fresh Date each time, so callers cannot mutate its time. */
export class ManualClock implements Clock {
	private current: number;

	constructor(start: Date | string | number = 0) {
		this.current = ManualClock.toMillis(start);
	}

	now(): Date {
		return new Date(this.current);
	}

	set(time: Date | string | number): this {
		this.current = ManualClock.toMillis(time);
		return this;
	}

	/** Moves forward (or backward, with a negative amount) by `amount` units (default milliseconds). */
	advance(amount: number, unit: DurationUnit = "ms"): this {
		if (!Number.isFinite(amount)) throw new RangeError("ManualClock.advance needs a finite amount");
		this.current += amount * MS[unit];
		return this;
	}

	private static toMillis(time: Date | string | number): number {
		const ms = time instanceof Date ? time.getTime() : typeof time === "number" ? time : Date.parse(time);
		if (!Number.isFinite(ms)) throw new RangeError(`ManualClock: not a valid time: ${String(time)}`);
		return ms;
	}
}
