/**
 * The platform admin's view: money (monthly recurring revenue as invoiced, outstanding and overdue amounts),
 * schools won and lost per month, and usage across schools. Months are calendar months; invoice periods are
 * billing's (YYYY-MM in its billing time zone); activity is counted in each school's own local days.
 */
import { DateTime } from "luxon";
import { ReportingInvoice } from "../../../models/reporting-invoice.model.js";
import { ReportingSchool } from "../../../models/reporting-school.model.js";
import { generationOf } from "../feed/generations.js";
import { today } from "../feed/local-time.js";
import { rate } from "./figures.js";
import { activeOf, n, seriesOf, total } from "./read.js";

const OPEN = ["pending", "payment_failed"];

export function lastMonths(count: number, now: Date): string[] {
	const end = DateTime.fromJSDate(now, { zone: "UTC" }).startOf("month");
	return Array.from({ length: count }, (_, i) => end.minus({ months: count - 1 - i }).toFormat("yyyy-MM"));
}

export async function platformDashboard(months: string[], now: Date) {
	const [schools, invoices] = await Promise.all([
		ReportingSchool.find({}, { name: 1, timezone: 1, createdAt: 1, status: 1, lostAt: 1 }).lean(),
		ReportingInvoice.find({}, { schoolId: 1, period: 1, totalCents: 1, subtotalCents: 1, amountDueCents: 1, currency: 1, status: 1, dueDate: 1 }).lean(),
	]);
	const monthOf = (d: Date | null | undefined) => (d ? DateTime.fromJSDate(new Date(d), { zone: "UTC" }).toFormat("yyyy-MM") : null);
	const billed = invoices.filter((i: any) => i.status !== "void");
	const mrr = months.map(month => {
		const of = billed.filter((i: any) => i.period === month);
		// Excluding VAT when billing says it (subtotalCents), else the invoice total.
		return { month, cents: of.reduce((a: number, i: any) => a + (i.subtotalCents ?? i.totalCents ?? 0), 0), invoices: of.length, schools: new Set(of.map((i: any) => i.schoolId)).size };
	});
	const open = invoices.filter((i: any) => OPEN.includes(i.status));
	const overdue = open.filter((i: any) => i.dueDate && new Date(i.dueDate) < now);

	// Usage over each school's last 30 local days.
	const usage = await Promise.all(
		(schools as any[]).map(async s => {
			const schoolId = String(s._id);
			const g = (await generationOf(schoolId)).current;
			const zone = s.timezone ?? "UTC";
			const end = today(zone, now);
			const days = Array.from({ length: 30 }, (_, i) => DateTime.fromISO(end, { zone: "UTC" }).minus({ days: 29 - i }).toFormat("yyyy-MM-dd"));
			const p = { schoolId, g };
			const [series, active] = await Promise.all([seriesOf(p, "sch", ["-"], days), activeOf(p, "day", days)]);
			const t = total(series.get("-"));
			const students = new Set<string>();
			for (const a of active.values()) a.st.forEach(x => students.add(x));
			return {
				schoolId,
				name: s.name ?? null,
				status: s.status,
				period: { from: days[0], to: end, days: 30, timeZone: zone },
				activeStudents: students.size,
				reviews: n(t, "rv"),
				successRate: rate(n(t, "ok"), n(t, "rv")),
				aiQuestions: n(t, "aq"),
				aiTokens: n(t, "tk"),
				messages: n(t, "ms"),
			};
		}),
	);

	return {
		period: { months, from: months[0], to: months[months.length - 1], timeZone: "UTC (calendar months); invoice periods as billing states them" },
		mrr: { currentMonth: mrr[mrr.length - 1], perMonth: mrr, basis: "invoiced amounts of the period, voided invoices excluded, VAT excluded when billing gives it" },
		schools: {
			total: schools.length,
			active: (schools as any[]).filter(s => s.status !== "lost").length,
			perMonth: months.map(month => ({
				month,
				new: (schools as any[]).filter(s => monthOf(s.createdAt) === month).length,
				lost: (schools as any[]).filter(s => s.status === "lost" && monthOf(s.lostAt) === month).length,
			})),
		},
		outstanding: {
			asOf: now.toISOString(),
			cents: open.reduce((a: number, i: any) => a + (i.amountDueCents ?? 0), 0),
			invoices: open.length,
			overdueCents: overdue.reduce((a: number, i: any) => a + (i.amountDueCents ?? 0), 0),
			overdueInvoices: overdue.length,
			currencies: [...new Set(invoices.map((i: any) => i.currency).filter(Boolean))],
		},
		usage: usage.sort((a, b) => b.activeStudents - a.activeStudents || b.reviews - a.reviews),
	};
}
