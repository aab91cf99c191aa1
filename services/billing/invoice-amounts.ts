/**
 * What a school owes for one period, from its subscription's terms over the month: the plan and the
 * add-on modules prorated by day (a change counts from the local day it happened on), the seats in use
 * at the end of the period beyond what the plan includes, and metered usage beyond what it includes.
 * Pure: the monthly run feeds it documents, the tests feed it literals.
 */
import { METERED_PRICES, MODULE_PRICES, planById, type Metric, type Module, type Plan } from "../../config/plans.js";
import { mulDiv, sumCents } from "./money.js";
import { dayIndex, type PeriodBounds } from "./period.js";
import { decideVat, vatAmount, type VatDecision, type VatRules } from "./vat.js";

export type LineKind = "plan" | "module" | "extra_seats" | "usage";

export interface InvoiceLine {
	kind: LineKind;
	/** Plan id, module name or metric. */
	code: string;
	description: string;
	quantity: number;
	unitAmountCents: number;
	amountCents: number;
	/** Days billed out of the period's days, for prorated lines. */
	days?: number;
	periodDays?: number;
}

/** The terms in force from `at` until the next entry. */
export interface Terms {
	at: Date;
	plan: string;
	/** Modules added beyond the plan. */
	modules: readonly Module[];
}

export interface BillingSubject {
	createdAt: Date;
	canceledAt?: Date | null;
	history: readonly Terms[];
	/** Seats in use when the period is invoiced (docs/BILLING.md: end of period). */
	seatsUsed: number;
}

export interface Buyer {
	legalName: string;
	country: string;
	vatNumber?: string | null;
}

export interface InvoiceAmounts {
	lines: InvoiceLine[];
	subtotalCents: number;
	vat: VatDecision & { amountCents: number };
	totalCents: number;
	/** What the run checked, kept on the invoice. */
	checks: { plan: string | null; modules: Module[]; seatsUsed: number; seatsIncluded: number; daysBilled: number };
}

const MONTHS_FR = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"];

export function periodLabel(period: string): string {
	const [y, m] = period.split("-").map(Number);
	return `${MONTHS_FR[m - 1]} ${y}`;
}

function dayLabel(bounds: PeriodBounds, index: number): string {
	const [y, m] = bounds.period.split("-");
	return `${String(index + 1).padStart(2, "0")}/${m}/${y}`;
}

interface Segment {
	from: number;
	to: number;
	plan: Plan;
	modules: readonly Module[];
}

/** Day ranges [from, to) of the period and the terms in force over each. */
export function segmentsOf(subject: BillingSubject, bounds: PeriodBounds, timeZone: string): Segment[] {
	const history = [...subject.history].sort((a, b) => a.at.getTime() - b.at.getTime());
	const open = dayIndex(subject.createdAt, bounds, timeZone);
	const close = subject.canceledAt ? dayIndex(subject.canceledAt, bounds, timeZone) : bounds.days;
	const segments: Segment[] = [];
	history.forEach((terms, i) => {
		const plan = planById(terms.plan);
		if (!plan) throw new RangeError(`unknown plan ${terms.plan} in the subscription's history`);
		const from = Math.max(open, dayIndex(terms.at, bounds, timeZone));
		const next = history[i + 1];
		const to = Math.min(close, next ? dayIndex(next.at, bounds, timeZone) : bounds.days);
		if (to > from) segments.push({ from, to, plan, modules: terms.modules });
	});
	return segments;
}

/** Adjacent ranges merged for one key (a plan, or a module being on). */
function ranges(segments: Segment[], keyOf: (s: Segment) => string | null): { key: string; from: number; to: number; segment: Segment }[] {
	const out: { key: string; from: number; to: number; segment: Segment }[] = [];
	for (const s of segments) {
		const key = keyOf(s);
		if (key === null) continue;
		const last = out[out.length - 1];
		if (last && last.key === key && last.to === s.from) last.to = s.to;
		else out.push({ key, from: s.from, to: s.to, segment: s });
	}
	return out;
}

function prorated(priceCents: number, days: number, periodDays: number): number {
	return days === periodDays ? priceCents : mulDiv(priceCents, days, periodDays);
}

function spanLabel(bounds: PeriodBounds, from: number, to: number): string {
	if (from === 0 && to === bounds.days) return periodLabel(bounds.period);
	return `du ${dayLabel(bounds, from)} au ${dayLabel(bounds, to - 1)} (${to - from}/${bounds.days} jours)`;
}

const thousands = (n: number) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, " ");

export function computeInvoice(input: {
	subject: BillingSubject;
	bounds: PeriodBounds;
	timeZone: string;
	usage: Partial<Record<Metric, number>>;
	buyer: Buyer;
	vatRules: VatRules;
}): InvoiceAmounts {
	const { subject, bounds, timeZone } = input;
	const segments = segmentsOf(subject, bounds, timeZone);
	const lines: InvoiceLine[] = [];

	for (const r of ranges(segments, s => s.plan.id)) {
		const plan = r.segment.plan;
		const days = r.to - r.from;
		const amount = prorated(plan.monthlyPriceCents, days, bounds.days);
		if (amount === 0) continue;
		lines.push({
			kind: "plan",
			code: plan.id,
			description: `Abonnement ${plan.name} — ${spanLabel(bounds, r.from, r.to)}`,
			quantity: 1,
			unitAmountCents: amount,
			amountCents: amount,
			days,
			periodDays: bounds.days,
		});
	}

	const addOns = [...new Set(segments.flatMap(s => s.modules))].sort();
	for (const module of addOns) {
		for (const r of ranges(segments, s => (s.modules.includes(module) && !s.plan.modules.includes(module) ? module : null))) {
			const days = r.to - r.from;
			const amount = prorated(MODULE_PRICES[module], days, bounds.days);
			if (amount === 0) continue;
			lines.push({
				kind: "module",
				code: module,
				description: `Module ${module} — ${spanLabel(bounds, r.from, r.to)}`,
				quantity: 1,
				unitAmountCents: amount,
				amountCents: amount,
				days,
				periodDays: bounds.days,
			});
		}
	}

	// Seats and usage are billed on the terms in force at the end of the period.
	const last = segments[segments.length - 1];
	const endPlan = last && last.to === bounds.days ? last.plan : null;
	const seatsIncluded = endPlan?.seats ?? 0;
	if (endPlan && subject.seatsUsed > endPlan.seats && endPlan.extraSeatPriceCents > 0) {
		const extra = subject.seatsUsed - endPlan.seats;
		lines.push({
			kind: "extra_seats",
			code: "extra_seats",
			description: `Sièges au-delà des ${endPlan.seats} inclus (${subject.seatsUsed} utilisés en fin de période)`,
			quantity: extra,
			unitAmountCents: endPlan.extraSeatPriceCents,
			amountCents: extra * endPlan.extraSeatPriceCents,
		});
	}
	const planForUsage = endPlan ?? last?.plan ?? null;
	for (const [metric, quantity] of Object.entries(input.usage) as [Metric, number][]) {
		const price = METERED_PRICES[metric];
		if (!price || !quantity || quantity <= 0) continue;
		const included = planForUsage?.includedUsage[metric] ?? 0;
		const over = quantity - included;
		if (over <= 0) continue;
		const units = Math.ceil(over / price.unitSize);
		lines.push({
			kind: "usage",
			code: metric,
			description: `${price.label} : ${thousands(quantity)} utilisés, ${thousands(included)} inclus — ${units} × ${thousands(price.unitSize)}`,
			quantity: units,
			unitAmountCents: price.unitPriceCents,
			amountCents: units * price.unitPriceCents,
		});
	}

	const subtotalCents = sumCents(lines.map(l => l.amountCents));
	const decision = decideVat(input.buyer, input.vatRules);
	const vat = { ...decision, amountCents: vatAmount(subtotalCents, decision.rateBps) };
	const endModules = last ? [...new Set([...last.plan.modules, ...last.modules])].sort() : [];
	return {
		lines,
		subtotalCents,
		vat,
		totalCents: subtotalCents + vat.amountCents,
		checks: {
			plan: last?.plan.id ?? null,
			modules: endModules,
			seatsUsed: subject.seatsUsed,
			seatsIncluded,
			daysBilled: segments.reduce((n, s) => n + s.to - s.from, 0),
		},
	};
}
