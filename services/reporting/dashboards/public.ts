/**
 * Public statistics, without authentication: aggregates across every school, never a figure about fewer than
 * `minGroup` people (k-anonymity, 10 at least). A group (a week, a subject) whose distinct students number less is
 * left out, and only counted as suppressed. Days are each school's local days; weeks start on Monday.
 */
import { DateTime } from "luxon";
import { ReportingActivity } from "../../../models/reporting-activity.model.js";
import { ReportingSchool } from "../../../models/reporting-school.model.js";
import { generationOf } from "../feed/generations.js";
import { today, weekOf } from "../feed/local-time.js";
import { rate } from "./figures.js";
import { activeOf, n, seriesOf, type Counters } from "./read.js";

export const PUBLIC_WEEKS = 12;

/** Keeps the groups of at least `min` people; says how many were left out. Pure. */
export function kAnonymous<T extends { people: number }>(groups: readonly T[], min: number): { published: T[]; suppressed: number } {
	const published = groups.filter(g => g.people >= min);
	return { published, suppressed: groups.length - published.length };
}

export async function publicStatistics(now: Date, minGroup: number) {
	const schools = (await ReportingSchool.find({ status: { $ne: "lost" } }, { timezone: 1 }).lean()) as any[];
	const weekly = new Map<string, { students: Set<string>; counters: Counters }>();
	const subjects = new Map<string, { students: Set<string>; counters: Counters }>();
	const add = (into: Counters, c: Counters | undefined) => {
		for (const k of ["rv", "ok", "ss", "tm", "aq"]) into[k] = (into[k] ?? 0) + n(c, k);
	};
	let firstDay = "9999-12-31";
	let lastDay = "0000-01-01";
	for (const s of schools) {
		const schoolId = String(s._id);
		const p = { schoolId, g: (await generationOf(schoolId)).current };
		const end = today(s.timezone ?? "UTC", now);
		const lastWeek = weekOf(end);
		const start = DateTime.fromISO(lastWeek, { zone: "UTC" }).minus({ weeks: PUBLIC_WEEKS - 1 });
		const days = Array.from({ length: PUBLIC_WEEKS * 7 }, (_, i) => start.plus({ days: i }).toFormat("yyyy-MM-dd")).filter(d => d <= end);
		firstDay = days[0] < firstDay ? days[0] : firstDay;
		lastDay = end > lastDay ? end : lastDay;
		const months = [...new Set(days.map(d => d.slice(0, 7)))];
		const [series, active] = await Promise.all([seriesOf(p, "sch", ["-"], days), activeOf(p, "day", days)]);
		for (const day of days) {
			const week = weekOf(day);
			const w = weekly.get(week) ?? { students: new Set(), counters: {} };
			// Students are per school: prefixing keeps two schools' ids apart (they never collide anyway).
			for (const st of active.get(day)?.st ?? []) w.students.add(`${schoolId}:${st}`);
			add(w.counters, series.get("-")?.get(day));
			weekly.set(week, w);
		}
		const subjectDocs = await subjectsOf(p, months, days);
		for (const [subject, { students, counters }] of subjectDocs) {
			const into = subjects.get(subject) ?? { students: new Set(), counters: {} };
			for (const st of students) into.students.add(`${schoolId}:${st}`);
			add(into.counters, counters);
			subjects.set(subject, into);
		}
	}
	const weeks = kAnonymous(
		[...weekly].sort(([a], [b]) => a.localeCompare(b)).map(([week, w]) => ({ week, people: w.students.size, activeStudents: w.students.size, reviews: n(w.counters, "rv"), successRate: rate(n(w.counters, "ok"), n(w.counters, "rv")), sessions: n(w.counters, "ss"), aiQuestions: n(w.counters, "aq") })),
		minGroup,
	);
	const bySubject = kAnonymous(
		[...subjects].sort(([a], [b]) => a.localeCompare(b)).map(([subject, s]) => ({ subject, people: s.students.size, students: s.students.size, reviews: n(s.counters, "rv"), successRate: rate(n(s.counters, "ok"), n(s.counters, "rv")) })),
		minGroup,
	);
	const strip = <T extends { people: number }>(rows: T[]) => rows.map(({ people: _people, ...rest }) => rest);
	return {
		period: { from: schools.length ? firstDay : null, to: schools.length ? lastDay : null, weeks: PUBLIC_WEEKS, timeZone: "each school's local days; weeks start on Monday" },
		generatedAt: now.toISOString(),
		minGroup,
		schools: schools.length,
		weeks: strip(weeks.published),
		subjects: strip(bySubject.published),
		suppressed: { weeks: weeks.suppressed, subjects: bySubject.suppressed, rule: `no figure about fewer than ${minGroup} distinct students` },
	};
}

/** Per subject, over these days: the distinct students (from the subject-month sets) and the counters. */
async function subjectsOf(p: { schoolId: string; g: number }, months: string[], days: string[]): Promise<Map<string, { students: Set<string>; counters: Counters }>> {
	const sets: any[] = await ReportingActivity.find({ schoolId: p.schoolId, g: p.g, span: "subject-month" }, { key: 1, st: 1 }).lean();
	const out = new Map<string, { students: Set<string>; counters: Counters }>();
	const wanted = new Set(months);
	for (const d of sets) {
		const at = String(d.key).lastIndexOf("|");
		const subject = String(d.key).slice(0, at);
		if (!wanted.has(String(d.key).slice(at + 1))) continue;
		const entry = out.get(subject) ?? { students: new Set(), counters: {} };
		for (const s of d.st ?? []) entry.students.add(s);
		out.set(subject, entry);
	}
	const series = await seriesOf(p, "sub", [...out.keys()], days);
	for (const [subject, entry] of out) {
		for (const c of series.get(subject)?.values() ?? []) for (const k of ["rv", "ok", "ss", "tm", "aq"]) entry.counters[k] = (entry.counters[k] ?? 0) + (c[k] ?? 0);
	}
	return out;
}
