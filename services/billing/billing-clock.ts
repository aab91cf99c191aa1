/**
 * The one clock the billing services read "now" from, so a test moves a month (or a dunning calendar)
 * forward for all of them at once: `billingClock.use(() => date)`, and `reset()` for the wall clock.
 */
let current: () => Date = () => new Date();

export const billingClock = {
	now: (): Date => current(),
	use(now: () => Date): void {
		current = now;
	},
	reset(): void {
		current = () => new Date();
	},
};
