/**
 * A class's dashboard for its teachers (and the school's admins): activity over the period, completion per path,
 * students at risk, live-session results over time, how demanding the questions its students asked the AI tutor
 * were (Bloom levels), and the mastery heatmap (students × items).
 */
import { BLOOM_LEVELS } from "../../ai/tutor/complexity.js";
import { addDays, daysBetween, localDay, weekOf } from "../feed/local-time.js";
import { minutes, rate, riskReasons, RISK_RULES, round, lastActiveDay } from "./figures.js";
import { stated, type Period } from "./period.js";
import { activeOf, assignedStudents, classesOf, liveSessionsOf, masteryOf, n, oneSeries, pathsOf, progressOf, seriesOf, total, type ClassInfo, type PathInfo, type Projection } from "./read.js";
import { recallNow } from "./recall.js";

export interface ClassRoster {
	id: string;
	name: string;
	studentIds: string[];
	teacherIds: string[];
}

/** The paths a class works on: those assigned to the class, or to one of its students directly. */
export function pathsOfClass(paths: readonly PathInfo[], cls: ClassRoster): PathInfo[] {
	const roster = new Set(cls.studentIds);
	return paths.filter(p => p.classIds.includes(cls.id) || p.studentIds.some(s => roster.has(s)));
}

export async function classDashboard(p: Projection, cls: ClassRoster, period: Period, today: string) {
	const riskDays = daysBetween(addDays(today, -(RISK_RULES.recentDays + RISK_RULES.baselineDays - 1)), today);
	const [series, students, paths, classes, live, active, mastery] = await Promise.all([
		oneSeries(p, "cls", cls.id, period.days),
		seriesOf(p, "stu", cls.studentIds, [...new Set([...period.days, ...riskDays])].sort()),
		pathsOf(p),
		classesOf(p),
		liveSessionsOf(p, { classId: cls.id }),
		activeOf(p, "day", period.days),
		masteryOf(p, cls.studentIds),
	]);
	const roster = new Set(cls.studentIds);
	const sum = total(series);
	const ofClass = pathsOfClass(paths, cls);
	const completion = await completionOf(p, ofClass, classes, roster);
	const activeStudents = new Set<string>();
	for (const day of period.days) for (const s of active.get(day)?.st ?? []) if (roster.has(s)) activeStudents.add(s);

	const atRisk = cls.studentIds
		.map(studentId => {
			const s = students.get(studentId)!;
			return { studentId, reasons: riskReasons(s, mastery.get(studentId) ?? {}, today), lastActiveDay: lastActiveDay(s) };
		})
		.filter(r => r.reasons.length > 0)
		.sort((a, b) => b.reasons.length - a.reasons.length || (a.lastActiveDay ?? "").localeCompare(b.lastActiveDay ?? ""));

	const inPeriod = live.filter(l => l.at && period.days.includes(dayOf(l.at, period.timeZone)));
	const levels = BLOOM_LEVELS.map((name, i) => ({ level: i + 1, name, questions: n(sum, `a${i + 1}`) }));
	const weeks = [...new Set(period.days.map(weekOf))];

	return {
		classId: cls.id,
		name: cls.name,
		period: stated(period),
		summary: {
			students: cls.studentIds.length,
			activeStudents: activeStudents.size,
			reviews: n(sum, "rv"),
			successRate: rate(n(sum, "ok"), n(sum, "rv")),
			sessionsCompleted: n(sum, "ss"),
			timeSpentMinutes: minutes(n(sum, "tm")),
			stepsCompleted: n(sum, "st"),
			aiQuestions: n(sum, "aq"),
			messages: n(sum, "ms"),
		},
		activityPerDay: period.days.map(day => {
			const c = series.get(day);
			return { day, reviews: n(c, "rv"), correct: n(c, "ok"), sessions: n(c, "ss"), activeStudents: (active.get(day)?.st ?? []).filter(s => roster.has(s)).length, aiQuestions: n(c, "aq") };
		}),
		completion,
		atRisk: { asOf: today, timeZone: period.timeZone, rules: RISK_RULES, students: atRisk },
		liveSessions: inPeriod.map(l => ({
			liveSessionId: l.liveSessionId,
			at: l.at,
			day: dayOf(l.at, period.timeZone),
			pathId: l.pathId,
			pathName: paths.find(x => x.pathId === l.pathId)?.name ?? null,
			participants: l.n,
			meanScore: l.n ? round(l.sc / l.n, 4) : null,
			successRate: rate(l.ok, l.an),
		})),
		aiComplexity: {
			questions: n(sum, "aq"),
			rated: n(sum, "acn"),
			meanLevel: n(sum, "acn") ? round(n(sum, "ac") / n(sum, "acn"), 2) : null,
			flagged: n(sum, "af"),
			byLevel: levels,
			perWeek: weeks.map(week => {
				const w = total(new Map([...series].filter(([day]) => weekOf(day) === week)));
				return { week, questions: n(w, "aq"), meanLevel: n(w, "acn") ? round(n(w, "ac") / n(w, "acn"), 2) : null, ...Object.fromEntries(BLOOM_LEVELS.map((name, i) => [name, n(w, `a${i + 1}`)])) };
			}),
			scale: "Bloom's revised taxonomy: 1 remember … 6 create",
		},
	};
}

/** Per path: students assigned (among `among`, if given), how many completed every step, mean share of steps completed. */
export async function completionOf(p: Projection, paths: readonly PathInfo[], classes: readonly ClassInfo[], among?: ReadonlySet<string>) {
	const assigned = paths.map(path => [...assignedStudents(path, classes)].filter(s => !among || among.has(s)));
	const progress = await progressOf(p, paths.flatMap((path, i) => assigned[i].map(studentId => ({ studentId, pathId: path.pathId }))));
	return paths.map((path, i) => {
		const shares = assigned[i].map(studentId => {
			const done = Object.keys(progress.get(`${studentId}|${path.pathId}`) ?? {}).length;
			return path.stepCount ? Math.min(1, done / path.stepCount) : 0;
		});
		const completed = shares.filter(s => s >= 1).length;
		return {
			pathId: path.pathId,
			name: path.name,
			subject: path.subject,
			status: path.status,
			stepCount: path.stepCount,
			students: assigned[i].length,
			completedStudents: completed,
			completionRate: rate(completed, assigned[i].length),
			meanStepsShare: shares.length ? round(shares.reduce((a, b) => a + b, 0) / shares.length, 4) : null,
		};
	});
}

/** The mastery heatmap: rows are the class's students, columns the items (of one path, or of the class's paths). */
export async function classHeatmap(p: Projection, cls: ClassRoster, pathId: string | undefined, now: Date, maxItems = 60) {
	const [paths, mastery] = await Promise.all([pathsOf(p), masteryOf(p, cls.studentIds)]);
	const chosen = pathId ? paths.filter(x => x.pathId === pathId) : pathsOfClass(paths, cls);
	let itemIds = [...new Set(chosen.flatMap(x => x.itemIds))];
	if (itemIds.length === 0) itemIds = [...new Set([...mastery.values()].flatMap(m => Object.keys(m)))].sort();
	const truncated = itemIds.length > maxItems;
	itemIds = itemIds.slice(0, maxItems);
	const cells = cls.studentIds.map(studentId => {
		const records = mastery.get(studentId) ?? {};
		return itemIds.map(itemId => {
			const r = records[itemId];
			if (!r) return null;
			const recall = recallNow(r, now);
			return { reviews: r.n, successRate: rate(r.k, r.n), estimatedRecall: recall === null ? null : round(recall, 3), lastCorrect: r.h.length ? r.h[r.h.length - 1].k === 1 : null };
		});
	});
	return { classId: cls.id, name: cls.name, pathIds: chosen.map(x => x.pathId), asOf: now.toISOString(), studentIds: cls.studentIds, itemIds, truncated, cells };
}

const dayOf = (at: Date | string, timeZone: string) => localDay(new Date(at), timeZone);
