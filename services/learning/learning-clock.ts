/**
 * The one clock every learning service reads "now" from. Services hold it as `this.clock` (a test may
 * also replace one service's `this.clock`), so a test or a simulation moves time for all of them at
 * once with `learningClock.use(new ManualClock(...))` and puts the wall clock back with `reset()`.
 */
import { systemClock, type Clock } from "./memory/clock.js";

export interface LearningClock extends Clock {
	/** Makes every learning service read time from `clock`. */
	use(clock: Clock): void;
	/** Back to the wall clock. */
	reset(): void;
}

let current: Clock = systemClock;

export const learningClock: LearningClock = {
	now: () => current.now(),
	use(clock: Clock) {
		current = clock;
	},
	reset() {
		current = systemClock;
	},
};
