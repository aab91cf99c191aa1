/**
 * A school admin's dashboard, what a head teacher brings to a staff meeting: active users per day and week,
 * completion per path, engagement per class and per teacher, seats used, invoices and whether they are paid.
 */
import { ReportingInvoice } from "../../../models/reporting-invoice.model.js";
import { localDay, weekOf } from "../feed/local-time.js";
import { completionOf } from "./class.js";
import { minutes, rate } from "./figures.js";
import { stated, type Period } from "./period.js";
import { activeOf, classesOf, liveSessionsOf, n, oneSeries, pathsOf, peopleOf, seriesOf, total, type Projection } from "./read.js";

const SEAT_ROLES = ["teacher", "student"];
const OPEN = ["pending", "payment_failed"];

export async function schoolDashboard(p: Projection, period: Period, now: Date, seatLimit: number | null) {
	const [series, active, classes, paths, people, invoices, live] = await Promise.all([
		oneSeries(p, "sch", "-", period.days),
		activeOf(p, "day", period.days),
		classesOf(p),
		pathsOf(p),
		peopleOf(p),
		ReportingInvoice.find({ schoolId: p.schoolId }).sort({ period: -1, createdAt: -1 }).limit(24).lean(),
		liveSessionsOf(p, {}),
	]);
	const teacherIds = people.filter(x => x.roles.includes("teacher")).map(x => x.userId);
	const [byClass, byTeacher, completion] = await Promise.all([
		seriesOf(p, "cls", classes.map(c => c.classId), period.days),
		seriesOf(p, "tch", teacherIds, period.days),
		completionOf(p, paths.filter(x => x.status !== "draft"), classes),
	]);
	const sum = total(series);
	const weeks = [...new Set(period.days.map(weekOf))];
	const perWeek = weeks.map(week => {
		const st = new Set<string>();
		const te = new Set<string>();
		for (const day of period.days.filter(d => weekOf(d) === week)) {
			for (const s of active.get(day)?.st ?? []) st.add(s);
			for (const t of active.get(day)?.te ?? []) te.add(t);
		}
		return { week, students: st.size, teachers: te.size, total: st.size + te.size, partial: !period.days.includes(week) || !period.days.includes(weekEnd(week)) };
	});
	const allActive = { st: new Set<string>(), te: new Set<string>() };
	for (const a of active.values()) {
		a.st.forEach(s => allActive.st.add(s));
		a.te.forEach(t => allActive.te.add(t));
	}
	const seated = people.filter(x => x.status === "active" && x.roles.some(r => SEAT_ROLES.includes(r)));
	const assigned = completion.reduce((a, c) => a + c.students, 0);
	const completed = completion.reduce((a, c) => a + c.completedStudents, 0);
	const today = localDay(now, period.timeZone);
	const liveInPeriod = live.filter(l => l.at && period.days.includes(localDay(new Date(l.at), period.timeZone)));

	return {
		schoolId: p.schoolId,
		period: stated(period),
		summary: {
			activeStudents: allActive.st.size,
			activeTeachers: allActive.te.size,
			reviews: n(sum, "rv"),
			successRate: rate(n(sum, "ok"), n(sum, "rv")),
			sessionsCompleted: n(sum, "ss"),
			timeSpentMinutes: minutes(n(sum, "tm")),
			aiQuestions: n(sum, "aq"),
			aiTokens: n(sum, "tk"),
			messages: n(sum, "ms"),
			visioMinutes: minutes(n(sum, "vm") * 1000),
		},
		activeUsers: {
			perDay: period.days.map(day => {
				const a = active.get(day);
				return { day, students: a?.st.length ?? 0, teachers: a?.te.length ?? 0, total: (a?.st.length ?? 0) + (a?.te.length ?? 0) };
			}),
			perWeek,
			weekStarts: "Monday",
		},
		completion: { overallRate: rate(completed, assigned), assignments: assigned, completed, paths: completion },
		engagementByClass: classes
			.map(c => {
				const t = total(byClass.get(c.classId));
				const roster = new Set(c.studentIds);
				return {
					classId: c.classId,
					name: c.name,
					students: c.studentIds.length,
					activeStudents: [...allActive.st].filter(s => roster.has(s)).length,
					reviews: n(t, "rv"),
					successRate: rate(n(t, "ok"), n(t, "rv")),
					sessionsCompleted: n(t, "ss"),
					timeSpentMinutes: minutes(n(t, "tm")),
					aiQuestions: n(t, "aq"),
					messages: n(t, "ms"),
				};
			})
			.sort((a, b) => a.name.localeCompare(b.name)),
		engagementByTeacher: teacherIds
			.map(teacherId => {
				const t = total(byTeacher.get(teacherId));
				return {
					teacherId,
					classes: classes.filter(c => c.teacherIds.includes(teacherId)).length,
					paths: paths.filter(x => x.ownerId === teacherId).length,
					active: allActive.te.has(teacherId),
					studentReviewsOnTheirPaths: n(t, "rv"),
					studentSessionsOnTheirPaths: n(t, "ss"),
					liveSessions: liveInPeriod.filter(l => l.teacherId === teacherId).length,
					messages: n(t, "ms"),
					aiGenerations: n(t, "ag"),
					visioMinutes: minutes(n(t, "vm") * 1000),
				};
			})
			.sort((a, b) => b.studentReviewsOnTheirPaths - a.studentReviewsOnTheirPaths || a.teacherId.localeCompare(b.teacherId)),
		seats: {
			asOf: today,
			used: seated.length,
			limit: seatLimit,
			students: seated.filter(x => x.roles.includes("student")).length,
			teachers: seated.filter(x => x.roles.includes("teacher") && !x.roles.includes("student")).length,
			suspendedAccounts: people.filter(x => x.status === "suspended").length,
		},
		invoices: {
			asOf: now.toISOString(),
			outstandingCents: invoices.filter((i: any) => OPEN.includes(i.status)).reduce((a: number, i: any) => a + (i.amountDueCents ?? 0), 0),
			overdue: invoices.filter((i: any) => OPEN.includes(i.status) && i.dueDate && new Date(i.dueDate) < now).length,
			rows: invoices.map(invoiceRow),
		},
	};
}

export function invoiceRow(i: any) {
	return {
		invoiceId: String(i._id),
		number: i.number,
		period: i.period,
		currency: i.currency,
		totalCents: i.totalCents,
		amountDueCents: i.amountDueCents,
		dueDate: i.dueDate,
		status: i.status,
		paidAt: i.paidAt,
		paymentAttempts: i.attempts ?? 0,
		overdue: !!i.overdueAt || (OPEN.includes(i.status) && !!i.dueDate && new Date(i.dueDate) < new Date()),
	};
}

const weekEnd = (week: string) => {
	const d = new Date(`${week}T00:00:00Z`);
	d.setUTCDate(d.getUTCDate() + 6);
	return d.toISOString().slice(0, 10);
};
