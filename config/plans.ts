/**
 * The plan catalogue. A school's subscription points at one of these; entitlements are read from here,
 * so changing a plan's limits changes every school on it without a migration.
 */
export const MODULES = ["ai", "live_sessions", "visio", "reporting", "import"] as const;
export type Module = (typeof MODULES)[number];

/** What a metered module records for billing (services/billing/usage). */
export const METRICS = ["ai_tokens"] as const;
export type Metric = (typeof METRICS)[number];

export interface Plan {
	id: string;
	name: string;
	/** Teachers and students, active or invited. */
	seats: number;
	modules: readonly Module[];
	/** Monthly price per school, in cents excluding VAT, for the billing block. */
	monthlyPriceCents: number;
	/** Monthly price of each seat in use beyond `seats` (cents excluding VAT): a limit raised by a platform admin. */
	extraSeatPriceCents: number;
	/** Metered usage the plan includes each month before it is billed (see METERED_PRICES). */
	includedUsage: Readonly<Partial<Record<Metric, number>>>;
	/** Limits a plan puts on a school's content. */
	maxActivePaths: number;
	/** Tokens (prompt + completion) the school's AI tutors and generators may use per calendar month (UTC). */
	aiMonthlyTokens: number;
}

export const PLANS: Readonly<Record<string, Plan>> = {
	trial: { id: "trial", name: "Trial", seats: 30, modules: ["import"], monthlyPriceCents: 0, extraSeatPriceCents: 0, includedUsage: {}, maxActivePaths: 5, aiMonthlyTokens: 0 },
	essential: {
		id: "essential",
		name: "Essential",
		seats: 300,
		modules: ["import", "reporting", "live_sessions"],
		monthlyPriceCents: 29900,
		extraSeatPriceCents: 100,
		includedUsage: {},
		maxActivePaths: 200,
		aiMonthlyTokens: 0,
	},
	campus: {
		id: "campus",
		name: "Campus",
		seats: 3000,
		modules: ["import", "reporting", "live_sessions", "ai", "visio"],
		monthlyPriceCents: 149900,
		extraSeatPriceCents: 80,
		includedUsage: { ai_tokens: 2_000_000 },
		maxActivePaths: 5000,
		aiMonthlyTokens: 5_000_000,
	},
};

export function planById(id: string): Plan | undefined {
	return Object.prototype.hasOwnProperty.call(PLANS, id) ? PLANS[id] : undefined;
}

/**
 * Monthly price (cents excluding VAT) of a module a platform admin adds to a school beyond its plan.
 * A module the plan already includes is never charged again.
 */
export const MODULE_PRICES: Readonly<Record<Module, number>> = {
	ai: 49900,
	live_sessions: 9900,
	visio: 14900,
	reporting: 4900,
	import: 0,
};

/** Metered usage beyond what the plan includes: `unitPriceCents` per started block of `unitSize`. */
export const METERED_PRICES: Readonly<Record<Metric, { unitSize: number; unitPriceCents: number; label: string; module: Module }>> = {
	ai_tokens: { unitSize: 1000, unitPriceCents: 2, label: "AI tokens", module: "ai" },
};
