/**
 * One notion of a day: the scheduler (ts-fsrs fed local wall-clock times), the session queue (spacing.ts) and the
 * optimiser (optimizer.ts) count the same local days, in Los Angeles, Paris and Auckland, across both DST changes
 * of each (Auckland's are the other way round: it leaves summer time in April and enters it in September).
 */
import { expect } from "chai";
import { State } from "ts-fsrs";
import { instantOfWallClock, localDaysBetween, wallClock } from "../../services/shared/local-time.js";
import { buildTrainingItems, type OptimizerReview } from "../../services/learning/memory/optimizer.js";
import { PLATFORM_DEFAULTS } from "../../services/learning/memory/profile-layers.js";
import { review, type Grade, type MemoryCard, type SchedulerProfile } from "../../services/learning/memory/scheduler.js";
import { addDays, buildQueue, localDay, startOfLocalDay } from "../../services/learning/memory/spacing.js";

const HOUR = 3_600_000;
const MINUTE = 60_000;

/** The instant a zone's clocks show `day` at `hh:mm`. */
const at = (day: string, time: string, timeZone: string) => instantOfWallClock(new Date(`${day}T${time}:00Z`), timeZone);

const ZONES: Record<string, { springForward: string; fallBack: string }> = {
	"America/Los_Angeles": { springForward: "2026-03-08", fallBack: "2026-11-01" },
	"Europe/Paris": { springForward: "2026-03-29", fallBack: "2026-10-25" },
	"Pacific/Auckland": { springForward: "2026-09-27", fallBack: "2026-04-05" },
};

const noSteps: SchedulerProfile = { ...PLATFORM_DEFAULTS, learningSteps: [], relearningSteps: [] };

/** Is the card in a queue built at `now`? */
function queued(card: MemoryCard, now: Date, timeZone: string): boolean {
	const queue = buildQueue({
		states: [{ itemId: "x", card }],
		unseen: [],
		now,
		timeZone,
		newIntroducedToday: 0,
		profile: { newItemsPerDay: 0, fsrsParameters: PLATFORM_DEFAULTS.fsrsParameters },
	});
	return queue.some(e => e.itemId === "x");
}

describe("local days (scheduler, queue and optimiser agree)", () => {
	it("two Good answers an hour apart on one Los Angeles afternoon are the same day for the scheduler", () => {
		const tz = "America/Los_Angeles";
		const first = at("2026-06-10", "16:30", tz); // 23:30 UTC
		const second = new Date(first.getTime() + HOUR); // 00:30 UTC the next day
		expect(localDaysBetween(first, second, tz)).to.equal(0);
		const a = review(null, 3, first, noSteps, { timeZone: tz }).after;
		const b = review(a, 3, second, noSteps, { timeZone: tz }).after;
		expect(b.elapsed_days).to.equal(0);
		// a same-day review barely moves stability (FSRS's short-term formula), and the next interval stays short
		expect(b.stability).to.be.lessThan(3.5);
		expect(b.scheduled_days).to.be.at.most(3);
		// what counting UTC days did: a day apart, stability 2.3 → 7.3, a week's interval
		const utc = review(review(null, 3, first, noSteps).after, 3, second, noSteps).after;
		expect(utc.elapsed_days).to.equal(1);
		expect(utc.stability).to.be.greaterThan(7);
		expect(utc.scheduled_days).to.be.at.least(7);
		// the optimiser sees the same 0 days
		const items = buildTrainingItems(
			[
				{ cardId: "c", rating: 3, reviewedAt: first },
				{ cardId: "c", rating: 3, reviewedAt: second },
				{ cardId: "c", rating: 3, reviewedAt: new Date(b.due) },
			],
			tz,
		);
		expect(items.map(i => i.map(r => r.deltaT))).to.deep.equal([[0, 0, localDaysBetween(second, b.due, tz)]]);
	});

	for (const [tz, changes] of Object.entries(ZONES)) {
		for (const [name, day] of Object.entries(changes)) {
			for (const profile of [noSteps, { ...PLATFORM_DEFAULTS }]) {
				const steps = profile.learningSteps.length > 0 ? "steps on" : "no steps";
				it(`${tz}, across the ${name === "springForward" ? "spring" : "autumn"} DST change of ${day} (${steps})`, () => {
					// a history of late-evening and early-morning answers straddling the change, some lapses
					const ratings: Grade[] = [3, 3, 3, 1, 3, 3, 2, 3, 3, 3];
					const times = ["23:40", "00:20", "07:15", "23:55", "00:05", "21:30", "23:59", "06:00", "23:10", "01:30"];
					let now = at(addDays(day, -3), "22:50", tz);
					let card: MemoryCard | null = null;
					const log: OptimizerReview[] = [];
					const elapsed: number[] = [];
					for (let i = 0; i < ratings.length; i++) {
						const outcome = review(card, ratings[i], now, profile, { timeZone: tz });
						const after = outcome.after;
						log.push({ cardId: "c", rating: ratings[i], reviewedAt: now });
						// the scheduler counts the local days since the last review
						const local = card?.last_review ? localDaysBetween(card.last_review, now, tz) : 0;
						expect(after.elapsed_days, `review ${i}: elapsed days`).to.equal(local);
						elapsed.push(local);
						if (after.state === State.Review && after.scheduled_days >= 1) {
							// a due date in days: N local days on, at the same local time of day
							expect(localDaysBetween(now, after.due, tz), `review ${i}: due day`).to.equal(after.scheduled_days);
							const w0 = wallClock(now, tz);
							const w1 = wallClock(after.due, tz);
							if (!(w0.h === 2 || w1.h === 2 || w1.h === 3)) expect([w1.h, w1.min], `review ${i}: time of day`).to.deep.equal([w0.h, w0.min]);
							// the queue: due from the first minute of its local day, not in the last minute of the day before
							const dueDay = localDay(after.due, tz);
							expect(queued(after, new Date(startOfLocalDay(dueDay, tz).getTime() + MINUTE), tz), `review ${i}: due on ${dueDay}`).to.equal(true);
							expect(queued(after, new Date(startOfLocalDay(dueDay, tz).getTime() - MINUTE), tz), `review ${i}: not due the day before`).to.equal(false);
						} else {
							// a same-day step: its true length in minutes, whatever the clocks do
							expect(after.due.getTime() - now.getTime(), `review ${i}: step`).to.be.lessThan(HOUR);
						}
						card = after;
						// the next answer: on its due day at an awkward hour (a step: after it, the same local day or the next)
						const next = after.state === State.Review ? at(localDay(after.due, tz), times[i], tz) : new Date(after.due.getTime() + 5 * MINUTE);
						now = next.getTime() > now.getTime() ? next : new Date(after.due.getTime() + MINUTE);
					}
					// the optimiser's day gaps are the scheduler's
					const [history] = buildTrainingItems(log, tz).slice(-1);
					const full = buildTrainingItems(log, tz).find(item => item.length === log.length) ?? history;
					expect(full.map(r => r.deltaT)).to.deep.equal(elapsed.slice(0, full.length));
					expect(elapsed.filter(e => e > 0).length, "the history spans several days").to.be.greaterThan(3);
				});
			}
		}
	}
});
