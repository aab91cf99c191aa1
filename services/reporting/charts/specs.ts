/**
 * One chart per dashboard figure worth a picture, each built from the dashboard's own answer: Vega-Lite specs
 * with titled axes and units, a subtitle stating the period and time zone, and a sentence describing the data
 * for screen readers. Pure: charts/render.ts draws them.
 */
import type { ChartDoc } from "./render.js";

const pct = (x: number | null | undefined) => (x === null || x === undefined ? "n/a" : `${Math.round(x * 100)}%`);
const periodLine = (p: { from: string | null; to: string | null; timeZone: string }) => `${p.from ?? "—"} to ${p.to ?? "—"}, ${p.timeZone}`;
const W = 640;
const H = 260;

const bars = (data: unknown[], x: Record<string, unknown>, y: Record<string, unknown>, color?: Record<string, unknown>) => ({
	width: W,
	height: H,
	data: { values: data },
	mark: { type: "bar", tooltip: true },
	encoding: { x, y, ...(color ? { color } : {}) },
});

const dayAxis = { field: "day", type: "ordinal", title: "Day (local date)", axis: { labelAngle: -45, labelOverlap: "greedy" } };

function busiest<T>(rows: readonly T[], value: (r: T) => number, label: (r: T) => string): string {
	const top = [...rows].sort((a, b) => value(b) - value(a))[0];
	return top && value(top) > 0 ? ` The busiest was ${label(top)} (${value(top)}).` : "";
}

export type ChartBuilder = (data: any) => ChartDoc;

export const STUDENT_CHARTS: Record<string, ChartBuilder> = {
	reviews: d => ({
		title: "Reviews per day",
		subtitle: periodLine(d.period),
		description: `${d.summary.reviews} reviews, ${d.summary.correct} right (${pct(d.summary.successRate)}), on ${d.summary.activeDays} active days.${busiest(d.reviewsPerDay, (r: any) => r.reviews, (r: any) => r.day)}`,
		spec: bars(
			d.reviewsPerDay.flatMap((r: any) => [
				{ day: r.day, answers: r.correct, result: "right" },
				{ day: r.day, answers: r.reviews - r.correct, result: "wrong" },
			]),
			dayAxis,
			{ field: "answers", type: "quantitative", title: "Reviews (count)", stack: true },
			{ field: "result", type: "nominal", title: "Answer", scale: { domain: ["right", "wrong"], range: ["#2e7d32", "#c62828"] } },
		),
	}),
	retention: d => ({
		title: "Predicted recall against actual answers",
		subtitle: periodLine(d.period),
		description: `Over ${d.retention.reviews} reviews the memory model predicted ${pct(d.retention.predicted)} recall; ${pct(d.retention.actual)} of the answers were right.`,
		spec: {
			width: W,
			height: H,
			data: { values: d.retention.perDay.flatMap((r: any) => [{ day: r.day, share: r.predicted, series: "predicted by the memory model" }, { day: r.day, share: r.actual, series: "actual answers" }]) },
			mark: { type: "line", point: true, tooltip: true },
			encoding: {
				x: dayAxis,
				y: { field: "share", type: "quantitative", title: "Recall (% of reviews)", axis: { format: "%" }, scale: { domain: [0, 1] } },
				color: { field: "series", type: "nominal", title: "Series" },
			},
		},
	}),
	progress: d => ({
		title: "Progress per path",
		subtitle: periodLine(d.period),
		description: d.paths.length ? d.paths.map((p: any) => `${p.name}: ${p.stepsCompleted} of ${p.stepCount} steps (${pct(p.completion)})`).join("; ") + "." : "No path yet.",
		spec: {
			width: W,
			height: H,
			data: { values: d.paths.flatMap((p: any) => p.perDay.map((r: any) => ({ day: r.day, completion: r.completion ?? 0, path: p.name }))) },
			mark: { type: "line", tooltip: true, interpolate: "step-after" },
			encoding: {
				x: dayAxis,
				y: { field: "completion", type: "quantitative", title: "Steps completed (% of the path)", axis: { format: "%" }, scale: { domain: [0, 1] } },
				color: { field: "path", type: "nominal", title: "Path" },
			},
		},
	}),
	time: d => ({
		title: "Time spent revising per day",
		subtitle: periodLine(d.period),
		description: `${d.summary.timeSpentMinutes} minutes in revision sessions.${busiest(d.reviewsPerDay, (r: any) => r.minutes, (r: any) => r.day)}`,
		spec: bars(d.reviewsPerDay, dayAxis, { field: "minutes", type: "quantitative", title: "Time (minutes)" }),
	}),
};

export const CLASS_CHARTS: Record<string, ChartBuilder> = {
	activity: d => ({
		title: `${d.name}: reviews per day`,
		subtitle: periodLine(d.period),
		description: `${d.summary.reviews} reviews by ${d.summary.activeStudents} of ${d.summary.students} students, ${pct(d.summary.successRate)} right.${busiest(d.activityPerDay, (r: any) => r.reviews, (r: any) => r.day)}`,
		spec: bars(
			d.activityPerDay.flatMap((r: any) => [
				{ day: r.day, answers: r.correct, result: "right" },
				{ day: r.day, answers: r.reviews - r.correct, result: "wrong" },
			]),
			dayAxis,
			{ field: "answers", type: "quantitative", title: "Reviews (count)", stack: true },
			{ field: "result", type: "nominal", title: "Answer", scale: { domain: ["right", "wrong"], range: ["#2e7d32", "#c62828"] } },
		),
	}),
	completion: d => ({
		title: `${d.name}: completion per path`,
		subtitle: periodLine(d.period),
		description: d.completion.length ? d.completion.map((c: any) => `${c.name}: ${c.completedStudents} of ${c.students} students completed (${pct(c.completionRate)})`).join("; ") + "." : "No path assigned to this class.",
		spec: bars(
			d.completion.map((c: any) => ({ path: c.name, completed: c.completionRate ?? 0, steps: c.meanStepsShare ?? 0 })),
			{ field: "path", type: "nominal", title: "Path", sort: null },
			{ field: "completed", type: "quantitative", title: "Students who completed every step (%)", axis: { format: "%" }, scale: { domain: [0, 1] } },
		),
	}),
	live: d => ({
		title: `${d.name}: live sessions`,
		subtitle: periodLine(d.period),
		description: d.liveSessions.length ? `${d.liveSessions.length} live sessions; ` + d.liveSessions.map((l: any) => `${l.day}: ${l.participants} students, mean score ${pct(l.meanScore)}`).join("; ") + "." : "No live session in this period.",
		spec: {
			width: W,
			height: H,
			data: { values: d.liveSessions.map((l: any) => ({ at: l.at, score: l.meanScore ?? 0, participants: l.participants, path: l.pathName ?? l.pathId })) },
			mark: { type: "line", point: { size: 60 }, tooltip: true },
			encoding: {
				x: { field: "at", type: "temporal", title: "Session (date)" },
				y: { field: "score", type: "quantitative", title: "Mean score (%)", axis: { format: "%" }, scale: { domain: [0, 1] } },
				color: { field: "path", type: "nominal", title: "Path" },
			},
		},
	}),
	"ai-complexity": d => ({
		title: `${d.name}: questions asked to the AI tutor`,
		subtitle: `${periodLine(d.period)}; Bloom levels`,
		description: `${d.aiComplexity.questions} questions, mean Bloom level ${d.aiComplexity.meanLevel ?? "n/a"} (1 remember … 6 create): ${d.aiComplexity.byLevel.map((l: any) => `${l.name} ${l.questions}`).join(", ")}.`,
		spec: bars(
			d.aiComplexity.perWeek.flatMap((w: any) => ["remember", "understand", "apply", "analyze", "evaluate", "create"].map((level, i) => ({ week: w.week, level: `${i + 1} ${level}`, questions: w[level] ?? 0 }))),
			{ field: "week", type: "ordinal", title: "Week starting (Monday)" },
			{ field: "questions", type: "quantitative", title: "Questions (count)", stack: true },
			{ field: "level", type: "ordinal", title: "Bloom level", scale: { scheme: "viridis" } },
		),
	}),
	heatmap: d => ({
		title: `${d.name}: mastery heatmap`,
		subtitle: `as of ${d.asOf.slice(0, 10)}, estimated recall now`,
		description: `${d.studentIds.length} students × ${d.itemIds.length} items; ${d.cells.flat().filter((c: any) => c).length} cells with reviews, mean estimated recall ${pct(mean(d.cells.flat().filter((c: any) => c && c.estimatedRecall !== null).map((c: any) => c.estimatedRecall)))}.`,
		spec: {
			width: Math.max(200, Math.min(900, d.itemIds.length * 18)),
			height: Math.max(120, Math.min(900, d.studentIds.length * 18)),
			data: {
				values: d.cells.flatMap((row: any[], i: number) =>
					row.map((c: any, j: number) => ({ student: d.studentLabels?.[i] ?? d.studentIds[i], item: d.itemLabels?.[j] ?? d.itemIds[j], recall: c?.estimatedRecall ?? null, reviews: c?.reviews ?? 0 })),
				),
			},
			mark: { type: "rect", tooltip: true },
			encoding: {
				x: { field: "item", type: "nominal", title: "Item", sort: null, axis: { labelAngle: -45, labelLimit: 90 } },
				y: { field: "student", type: "nominal", title: "Student", sort: null },
				color: { field: "recall", type: "quantitative", title: "Estimated recall (%)", scale: { domain: [0, 1], scheme: "redyellowgreen" }, legend: { format: "%" } },
			},
		},
	}),
};

export const SCHOOL_CHARTS: Record<string, ChartBuilder> = {
	"active-users": d => ({
		title: "Active users per day",
		subtitle: periodLine(d.period),
		description: `${d.summary.activeStudents} students and ${d.summary.activeTeachers} teachers were active.${busiest(d.activeUsers.perDay, (r: any) => r.total, (r: any) => r.day)}`,
		spec: {
			width: W,
			height: H,
			data: { values: d.activeUsers.perDay.flatMap((r: any) => [{ day: r.day, users: r.students, role: "students" }, { day: r.day, users: r.teachers, role: "teachers" }]) },
			mark: { type: "line", point: true, tooltip: true },
			encoding: { x: dayAxis, y: { field: "users", type: "quantitative", title: "Active users (distinct, count)" }, color: { field: "role", type: "nominal", title: "Role" } },
		},
	}),
	engagement: d => ({
		title: "Engagement per class",
		subtitle: periodLine(d.period),
		description: d.engagementByClass.length ? d.engagementByClass.map((c: any) => `${c.name}: ${c.reviews} reviews, ${c.activeStudents} of ${c.students} students active`).join("; ") + "." : "No class yet.",
		spec: bars(d.engagementByClass.map((c: any) => ({ class: c.name, reviews: c.reviews })), { field: "class", type: "nominal", title: "Class", sort: null }, { field: "reviews", type: "quantitative", title: "Reviews (count)" }),
	}),
	completion: d => ({
		title: "Completion per path",
		subtitle: periodLine(d.period),
		description: `Overall ${pct(d.completion.overallRate)} of ${d.completion.assignments} assignments completed. ` + d.completion.paths.map((c: any) => `${c.name}: ${pct(c.completionRate)}`).join("; "),
		spec: bars(
			d.completion.paths.map((c: any) => ({ path: c.name, rate: c.completionRate ?? 0 })),
			{ field: "path", type: "nominal", title: "Path", sort: null },
			{ field: "rate", type: "quantitative", title: "Students who completed it (%)", axis: { format: "%" }, scale: { domain: [0, 1] } },
		),
	}),
	invoices: d => ({
		title: "Invoices",
		subtitle: `as of ${d.invoices.asOf.slice(0, 10)}`,
		description: d.invoices.rows.length ? `${d.invoices.rows.length} invoices; ${(d.invoices.outstandingCents / 100).toFixed(2)} outstanding, ${d.invoices.overdue} overdue.` : "No invoice yet.",
		spec: bars(
			d.invoices.rows.map((i: any) => ({ period: i.period ?? "?", amount: (i.totalCents ?? 0) / 100, status: i.status })),
			{ field: "period", type: "ordinal", title: "Billing period (month)", sort: "ascending" },
			{ field: "amount", type: "quantitative", title: "Amount (currency units)" },
			{ field: "status", type: "nominal", title: "Status" },
		),
	}),
};

export const PLATFORM_CHARTS: Record<string, ChartBuilder> = {
	mrr: d => ({
		title: "Monthly recurring revenue (invoiced)",
		subtitle: `${d.period.from} to ${d.period.to}, calendar months`,
		description: `${d.mrr.perMonth.map((m: any) => `${m.month}: ${(m.cents / 100).toFixed(2)} from ${m.invoices} invoices`).join("; ")}.`,
		spec: bars(d.mrr.perMonth.map((m: any) => ({ month: m.month, amount: m.cents / 100 })), { field: "month", type: "ordinal", title: "Month" }, { field: "amount", type: "quantitative", title: "MRR (currency units, VAT excluded when known)" }),
	}),
	schools: d => ({
		title: "Schools won and lost",
		subtitle: `${d.period.from} to ${d.period.to}, calendar months (UTC)`,
		description: `${d.schools.total} schools, ${d.schools.active} active. ` + d.schools.perMonth.map((m: any) => `${m.month}: +${m.new} −${m.lost}`).join("; "),
		spec: bars(
			d.schools.perMonth.flatMap((m: any) => [{ month: m.month, schools: m.new, change: "new" }, { month: m.month, schools: -m.lost, change: "lost" }]),
			{ field: "month", type: "ordinal", title: "Month" },
			{ field: "schools", type: "quantitative", title: "Schools (count)" },
			{ field: "change", type: "nominal", title: "Change", scale: { domain: ["new", "lost"], range: ["#2e7d32", "#c62828"] } },
		),
	}),
	usage: d => ({
		title: "Active students per school (last 30 days)",
		subtitle: "each school's own last 30 local days",
		description: d.usage.length ? d.usage.slice(0, 20).map((u: any) => `${u.name ?? u.schoolId}: ${u.activeStudents} students, ${u.reviews} reviews`).join("; ") + "." : "No school yet.",
		spec: bars(d.usage.slice(0, 20).map((u: any) => ({ school: u.name ?? u.schoolId, students: u.activeStudents })), { field: "school", type: "nominal", title: "School", sort: "-y" }, { field: "students", type: "quantitative", title: "Active students (distinct, count)" }),
	}),
};

export const PUBLIC_CHARTS: Record<string, ChartBuilder> = {
	activity: d => ({
		title: "Reviews per week across schools",
		subtitle: `${d.period.from ?? "—"} to ${d.period.to ?? "—"}, ${d.period.timeZone}`,
		description: d.weeks.length ? d.weeks.map((w: any) => `week of ${w.week}: ${w.reviews} reviews by ${w.activeStudents} students`).join("; ") + `. Weeks with fewer than ${d.minGroup} students are left out.` : `No week with at least ${d.minGroup} active students yet.`,
		spec: bars(d.weeks.map((w: any) => ({ week: w.week, reviews: w.reviews })), { field: "week", type: "ordinal", title: "Week starting (Monday)" }, { field: "reviews", type: "quantitative", title: "Reviews (count)" }),
	}),
	subjects: d => ({
		title: "Success rate per subject across schools",
		subtitle: `${d.period.from ?? "—"} to ${d.period.to ?? "—"}, ${d.period.timeZone}`,
		description: d.subjects.length ? d.subjects.map((s: any) => `${s.subject}: ${pct(s.successRate)} right over ${s.reviews} reviews by ${s.students} students`).join("; ") + "." : `No subject with at least ${d.minGroup} students yet.`,
		spec: bars(d.subjects.map((s: any) => ({ subject: s.subject, rate: s.successRate ?? 0 })), { field: "subject", type: "nominal", title: "Subject" }, { field: "rate", type: "quantitative", title: "Right answers (%)", axis: { format: "%" }, scale: { domain: [0, 1] } }),
	}),
};

function mean(xs: number[]): number | null {
	return xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : null;
}
