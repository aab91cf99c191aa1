/**
 * The one clock the communication services read "now" from (join windows, cut-offs, reminders, the tick),
 * so a test moves time for all of them with `commClock.use(...)` and puts the wall clock back with `reset()`.
 */
export interface Clock {
	now(): Date;
}

const wall: Clock = { now: () => new Date() };
let current: Clock = wall;

export const commClock = {
	now: (): Date => current.now(),
	use(clock: Clock): void {
		current = clock;
	},
	/** Time shifted by `ms` from the wall clock (tests: "an hour from now"). */
	shift(ms: number): void {
		current = { now: () => new Date(Date.now() + ms) };
	},
	reset(): void {
		current = wall;
	},
};
