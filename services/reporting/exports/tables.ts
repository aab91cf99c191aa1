/**
 * Every table of every dashboard as CSV (csv-stringify): one named table per download, each row opening with
 * the period and time zone it was computed over, so a spreadsheet pasted elsewhere still says what it is.
 */
import { stringify } from "csv-stringify/sync";

export interface Table {
	columns: string[];
	rows: unknown[][];
}

type TableBuilder = (d: any) => Table;

const periodCols = ["period_from", "period_to", "time_zone"];
const withPeriod = (p: { from: string | null; to: string | null; timeZone: string }, columns: string[], rows: unknown[][]): Table => ({
	columns: [...periodCols, ...columns],
	rows: rows.map(r => [p.from, p.to, p.timeZone, ...r]),
});

export const STUDENT_TABLES: Record<string, TableBuilder> = {
	"reviews-per-day": d => withPeriod(d.period, ["day", "reviews", "correct", "new_items", "minutes"], d.reviewsPerDay.map((r: any) => [r.day, r.reviews, r.correct, r.newItems, r.minutes])),
	retention: d => withPeriod(d.period, ["day", "predicted_recall", "actual_recall", "reviews"], d.retention.perDay.map((r: any) => [r.day, r.predicted, r.actual, r.reviews])),
	paths: d => withPeriod(d.period, ["path_id", "path", "subject", "steps", "steps_completed", "completion", "reviews", "success_rate", "minutes"], d.paths.map((p: any) => [p.pathId, p.name, p.subject, p.stepCount, p.stepsCompleted, p.completion, p.reviews, p.successRate, p.timeSpentMinutes])),
	"weakest-items": d =>
		withPeriod(
			{ from: null, to: d.streak.asOf, timeZone: d.period.timeZone },
			["item_id", "item", "reviews", "success_rate", "estimated_recall", "last_answer_at", "last_answer_correct", "failing_run"],
			d.weakestItems.map((w: any) => [w.itemId, w.title ?? "", w.reviews, w.successRate, w.estimatedRecall, w.lastAnswer?.at ?? "", w.lastAnswer?.correct ?? "", w.failingRun]),
		),
};

export const CLASS_TABLES: Record<string, TableBuilder> = {
	activity: d => withPeriod(d.period, ["day", "reviews", "correct", "sessions", "active_students", "ai_questions"], d.activityPerDay.map((r: any) => [r.day, r.reviews, r.correct, r.sessions, r.activeStudents, r.aiQuestions])),
	completion: d => withPeriod(d.period, ["path_id", "path", "subject", "steps", "students", "completed_students", "completion_rate", "mean_steps_share"], d.completion.map((c: any) => [c.pathId, c.name, c.subject, c.stepCount, c.students, c.completedStudents, c.completionRate, c.meanStepsShare])),
	"at-risk": d =>
		withPeriod(
			{ from: null, to: d.atRisk.asOf, timeZone: d.atRisk.timeZone },
			["student_id", "student", "reasons", "details", "last_active_day"],
			d.atRisk.students.map((s: any) => [s.studentId, s.name ?? "", s.reasons.map((r: any) => r.code).join(" "), s.reasons.map((r: any) => r.detail).join("; "), s.lastActiveDay ?? ""]),
		),
	"live-sessions": d => withPeriod(d.period, ["live_session_id", "day", "at", "path", "participants", "mean_score", "success_rate"], d.liveSessions.map((l: any) => [l.liveSessionId, l.day, l.at, l.pathName ?? l.pathId, l.participants, l.meanScore, l.successRate])),
	"ai-complexity": d =>
		withPeriod(d.period, ["week", "questions", "mean_level", "remember", "understand", "apply", "analyze", "evaluate", "create"], d.aiComplexity.perWeek.map((w: any) => [w.week, w.questions, w.meanLevel, w.remember, w.understand, w.apply, w.analyze, w.evaluate, w.create])),
	heatmap: d =>
		withPeriod(
			{ from: null, to: d.asOf.slice(0, 10), timeZone: "UTC" },
			["student_id", "student", "item_id", "item", "reviews", "success_rate", "estimated_recall", "last_correct"],
			d.cells.flatMap((row: any[], i: number) =>
				row.map((c: any, j: number) => [d.studentIds[i], d.studentLabels?.[i] ?? "", d.itemIds[j], d.itemLabels?.[j] ?? "", c?.reviews ?? 0, c?.successRate ?? "", c?.estimatedRecall ?? "", c?.lastCorrect ?? ""]),
			),
		),
};

export const SCHOOL_TABLES: Record<string, TableBuilder> = {
	"active-users": d => withPeriod(d.period, ["day", "students", "teachers", "total"], d.activeUsers.perDay.map((r: any) => [r.day, r.students, r.teachers, r.total])),
	"active-users-weekly": d => withPeriod(d.period, ["week", "students", "teachers", "total", "partial_week"], d.activeUsers.perWeek.map((r: any) => [r.week, r.students, r.teachers, r.total, r.partial])),
	"engagement-classes": d =>
		withPeriod(d.period, ["class_id", "class", "students", "active_students", "reviews", "success_rate", "sessions", "minutes", "ai_questions", "messages"], d.engagementByClass.map((c: any) => [c.classId, c.name, c.students, c.activeStudents, c.reviews, c.successRate, c.sessionsCompleted, c.timeSpentMinutes, c.aiQuestions, c.messages])),
	"engagement-teachers": d =>
		withPeriod(
			d.period,
			["teacher_id", "teacher", "classes", "paths", "active", "student_reviews_on_their_paths", "student_sessions_on_their_paths", "live_sessions", "messages", "ai_generations", "visio_minutes"],
			d.engagementByTeacher.map((t: any) => [t.teacherId, t.name ?? "", t.classes, t.paths, t.active, t.studentReviewsOnTheirPaths, t.studentSessionsOnTheirPaths, t.liveSessions, t.messages, t.aiGenerations, t.visioMinutes]),
		),
	completion: d => withPeriod(d.period, ["path_id", "path", "subject", "status", "students", "completed_students", "completion_rate"], d.completion.paths.map((c: any) => [c.pathId, c.name, c.subject, c.status, c.students, c.completedStudents, c.completionRate])),
	invoices: d =>
		withPeriod(
			{ from: null, to: d.invoices.asOf.slice(0, 10), timeZone: "UTC" },
			["invoice_id", "number", "period", "currency", "total_cents", "amount_due_cents", "due_date", "status", "paid_at", "payment_attempts", "overdue"],
			d.invoices.rows.map((i: any) => [i.invoiceId, i.number, i.period, i.currency, i.totalCents, i.amountDueCents, i.dueDate, i.status, i.paidAt, i.paymentAttempts, i.overdue]),
		),
};

export const PLATFORM_TABLES: Record<string, TableBuilder> = {
	mrr: d => withPeriod(d.period, ["month", "mrr_cents", "invoices", "schools"], d.mrr.perMonth.map((m: any) => [m.month, m.cents, m.invoices, m.schools])),
	schools: d => withPeriod(d.period, ["month", "new_schools", "lost_schools"], d.schools.perMonth.map((m: any) => [m.month, m.new, m.lost])),
	usage: d => ({
		columns: [...periodCols, "school_id", "school", "status", "active_students", "reviews", "success_rate", "ai_questions", "ai_tokens", "messages"],
		rows: d.usage.map((u: any) => [u.period.from, u.period.to, u.period.timeZone, u.schoolId, u.name ?? "", u.status, u.activeStudents, u.reviews, u.successRate, u.aiQuestions, u.aiTokens, u.messages]),
	}),
};

export const PUBLIC_TABLES: Record<string, TableBuilder> = {
	weeks: d => withPeriod(d.period, ["week", "active_students", "reviews", "success_rate", "sessions", "ai_questions"], d.weeks.map((w: any) => [w.week, w.activeStudents, w.reviews, w.successRate, w.sessions, w.aiQuestions])),
	subjects: d => withPeriod(d.period, ["subject", "students", "reviews", "success_rate"], d.subjects.map((s: any) => [s.subject, s.students, s.reviews, s.successRate])),
};

/** Cells that a spreadsheet would run as a formula are written as text (CSV injection). */
const safe = (v: unknown) => {
	if (v === null || v === undefined) return "";
	if (v instanceof Date) return v.toISOString();
	if (typeof v === "string" && /^[=+\-@\t\r]/.test(v)) return `'${v}`;
	return v;
};

export function toCsv(table: Table): string {
	return stringify([table.columns, ...table.rows.map(r => r.map(safe))], { record_delimiter: "\r\n", cast: { boolean: b => (b ? "true" : "false"), date: d => d.toISOString() } });
}
