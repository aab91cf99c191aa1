/**
 * The plan catalogue. A school's subscription points at one of these; entitlements are read from here,
 * so changing a plan's limits changes every school on it without a migration.
 */
export const MODULES = ["ai", "live_sessions", "visio", "reporting", "import"] as const;
export type Module = (typeof MODULES)[number];

export interface Plan {
	id: string;
	name: string;
	/** Teachers and students, active or invited. */
	seats: number;
	modules: readonly Module[];
	/** Monthly price per school, in cents, for the billing block. */
	monthlyPriceCents: number;
	/** Limits a plan puts on a school's content. */
	maxActivePaths: number;
	/** Tokens (prompt + completion) the school's AI tutors and generators may use per calendar month (UTC). */
	aiMonthlyTokens: number;
}

export const PLANS: Readonly<Record<string, Plan>> = {
	trial: { id: "trial", name: "Trial", seats: 30, modules: ["import"], monthlyPriceCents: 0, maxActivePaths: 5, aiMonthlyTokens: 0 },
	essential: {
		id: "essential",
		name: "Essential",
		seats: 300,
		modules: ["import", "reporting", "live_sessions"],
		monthlyPriceCents: 29900,
		maxActivePaths: 200,
		aiMonthlyTokens: 0,
	},
	campus: {
		id: "campus",
		name: "Campus",
		seats: 3000,
		modules: ["import", "reporting", "live_sessions", "ai", "visio"],
		monthlyPriceCents: 149900,
		maxActivePaths: 5000,
		aiMonthlyTokens: 5_000_000,
	},
};

export function planById(id: string): Plan | undefined {
	return Object.prototype.hasOwnProperty.call(PLANS, id) ? PLANS[id] : undefined;
}
