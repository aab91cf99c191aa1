/**
 * A student's dashboard: what they did in the period (reviews per day, time, sessions), how the memory model's
 * predicted recall compared with their actual answers, their progress on each path over time, their weakest
 * items now, and their streak.
 */
import { addDays, dayStartMs, daysBetween } from "../feed/local-time.js";
import { lastActiveDay, minutes, rate, round, streak } from "./figures.js";
import type { Period } from "./period.js";
import { stated } from "./period.js";
import { masteryOf, n, oneSeries, pathSeries, pathsOf, progressOf, total, type Projection } from "./read.js";
import { failingRun, recallNow } from "./recall.js";

/** Days read back for the streak (longer streaks show as "at least" this). */
const STREAK_LOOKBACK = 366;
const WEAKEST = 10;

export async function studentDashboard(p: Projection, studentId: string, period: Period, today: string, now: Date) {
	const streakDays = daysBetween(addDays(today, -(STREAK_LOOKBACK - 1)), today);
	const [series, history, paths, mastery] = await Promise.all([
		oneSeries(p, "stu", studentId, period.days),
		oneSeries(p, "stu", studentId, streakDays),
		pathsOf(p),
		masteryOf(p, [studentId]),
	]);
	const items = mastery.get(studentId) ?? {};
	const sum = total(series);
	const mine = paths.filter(path => path.studentIds.includes(studentId) || Object.values(items).some(r => r.ps?.includes(path.pathId)));
	const progress = await progressOf(p, mine.map(path => ({ studentId, pathId: path.pathId })));
	const streakNow = streak(history, today);

	const weakest = Object.entries(items)
		.map(([itemId, r]) => ({ itemId, reviews: r.n, successRate: rate(r.k, r.n), estimatedRecall: recallNow(r, now), lastAnswer: r.h.length ? { at: r.h[r.h.length - 1].t, correct: r.h[r.h.length - 1].k === 1 } : null, failingRun: failingRun(r) }))
		.sort((a, b) => (a.estimatedRecall ?? 0) - (b.estimatedRecall ?? 0) || (a.successRate ?? 0) - (b.successRate ?? 0) || b.reviews - a.reviews)
		.slice(0, WEAKEST)
		.map(w => ({ ...w, estimatedRecall: w.estimatedRecall === null ? null : round(w.estimatedRecall, 3) }));

	return {
		studentId,
		period: stated(period),
		summary: {
			reviews: n(sum, "rv"),
			correct: n(sum, "ok"),
			successRate: rate(n(sum, "ok"), n(sum, "rv")),
			newItems: n(sum, "nw"),
			sessionsCompleted: n(sum, "ss"),
			sessionsAbandoned: n(sum, "sa"),
			liveSessions: n(sum, "gs"),
			evaluations: n(sum, "ev"),
			evaluationsPassed: n(sum, "ep"),
			stepsCompleted: n(sum, "st"),
			aiQuestions: n(sum, "aq"),
			timeSpentMinutes: minutes(n(sum, "tm")),
			activeDays: period.days.filter(d => (series.get(d)?.rv ?? 0) + (series.get(d)?.ss ?? 0) + (series.get(d)?.ev ?? 0) + (series.get(d)?.aq ?? 0) > 0).length,
		},
		streak: { days: streakNow, asOf: today, timeZone: period.timeZone, lastActiveDay: lastActiveDay(history), atLeast: streakNow >= STREAK_LOOKBACK },
		reviewsPerDay: period.days.map(day => {
			const c = series.get(day);
			return { day, reviews: n(c, "rv"), correct: n(c, "ok"), newItems: n(c, "nw"), minutes: minutes(n(c, "tm")) };
		}),
		retention: {
			predicted: rate(n(sum, "pr"), n(sum, "pn")),
			actual: rate(n(sum, "pk"), n(sum, "pn")),
			reviews: n(sum, "pn"),
			perDay: period.days
				.filter(day => n(series.get(day), "pn") > 0)
				.map(day => {
					const c = series.get(day);
					return { day, predicted: rate(n(c, "pr"), n(c, "pn")), actual: rate(n(c, "pk"), n(c, "pn")), reviews: n(c, "pn") };
				}),
		},
		paths: mine.map(path => {
			const done = progress.get(`${studentId}|${path.pathId}`) ?? {};
			const completions = Object.values(done).map(d => new Date(d).getTime()).sort((a, b) => a - b);
			const s = pathSeries(series, path.pathId);
			const t = total(s);
			let before = completions.filter(t => t < dayStartMs(period.days[0], period.timeZone)).length;
			const perDay = period.days.map(day => {
				before += n(s.get(day), "st");
				return { day, stepsCompleted: before, completion: path.stepCount ? round(Math.min(1, before / path.stepCount), 4) : null, reviews: n(s.get(day), "rv") };
			});
			return {
				pathId: path.pathId,
				name: path.name,
				subject: path.subject,
				stepCount: path.stepCount,
				stepsCompleted: Object.keys(done).length,
				completion: path.stepCount ? round(Math.min(1, Object.keys(done).length / path.stepCount), 4) : null,
				reviews: n(t, "rv"),
				successRate: rate(n(t, "ok"), n(t, "rv")),
				timeSpentMinutes: minutes(n(t, "tm")),
				perDay,
			};
		}),
		weakestItems: weakest,
		timeSpent: { minutes: minutes(n(sum, "tm")), basis: "revision sessions, from start to last activity" },
	};
}
