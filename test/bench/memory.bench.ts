/**
 * `npm run bench:memory`: the product's memory model against Leitner boxes, SM-2 and an oracle, at EQUAL retention, on
 * a simulated cohort whose forgetting is NOT FSRS (exponential, half-life regression style, with spread between
 * students and items: test/bench/memory/ground-truth.ts).
 *
 * Each scheduler runs at several settings of its knob (FSRS: desired retention; Leitner: a multiplier of its box
 * intervals; SM-2: the interval modifier; the oracle: the true-recall threshold at which it reviews), and its reviews
 * are interpolated at the measured retentions 0.85, 0.90 and 0.95 (retention: the mean true recall of the introduced
 * items before each day's session). FSRS runs the shipped profile (platform defaults, learning steps 1m/10m and
 * relearning 10m, served again within the session) with default parameters ("default"), with parameters fitted per
 * student by the product's optimiser, adopted only when they beat the ones in use on held-out reviews ("optimised"),
 * and, for comparison, with the steps off ("no steps"). Per target: reviews of each, ratio_vs_leitner and
 * ratio_vs_oracle (optimised ÷ Leitner, ÷ oracle), and the log loss and RMSE(bins) of the model's predicted
 * retrievability against the simulated outcomes of its long-term reviews.
 *
 * Sizes: 200 students × 300 items × 120 days (BENCH_SMALL=1: 20 × 50 × 30; BENCH_STUDENTS, BENCH_ITEMS, BENCH_DAYS
 * override). Seed 20250901 (BENCH_SEED). Progress goes to stderr; stdout ends with one JSON line.
 */
import { DEFAULT_CONFIG, simulateCohort, type CohortConfig, type CohortResult } from "./memory/simulator.js";
import type { SchedulerKind } from "./memory/schedulers.js";

function envNumber(name: string, fallback: number): number {
	const raw = process.env[name];
	if (raw === undefined || raw === "") return fallback;
	const n = Number(raw);
	if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got ${raw}`);
	return n;
}

const benchStarted = performance.now();
const small = process.env.BENCH_SMALL === "1";
const config: CohortConfig = {
	...DEFAULT_CONFIG,
	students: envNumber("BENCH_STUDENTS", small ? 20 : DEFAULT_CONFIG.students),
	items: envNumber("BENCH_ITEMS", small ? 50 : DEFAULT_CONFIG.items),
	days: envNumber("BENCH_DAYS", small ? 30 : DEFAULT_CONFIG.days),
	seed: envNumber("BENCH_SEED", DEFAULT_CONFIG.seed),
};

const TARGETS = [0.85, 0.9, 0.95] as const;
/** Knob settings per scheduler, wide enough that their measured retentions bracket the targets at full size. */
const GRIDS: Record<SchedulerKind, readonly number[]> = {
	leitner: [0.35, 0.5, 0.7, 1, 1.4, 2, 3],
	sm2: [0.3, 0.45, 0.65, 1, 1.4],
	oracle: [0.6, 0.72, 0.8, 0.86, 0.9, 0.94, 0.97],
	fsrs: [0.8, 0.86, 0.9, 0.95, 0.975, 0.985],
	"fsrs-no-steps": [0.8, 0.86, 0.9, 0.95, 0.975, 0.985],
	"fsrs-optimised": [0.8, 0.86, 0.9, 0.95, 0.975, 0.985],
};
/** The settings the default-knob figures (and the old fields) come from. */
const DEFAULT_KNOB: Record<SchedulerKind, number> = { leitner: 1, sm2: 1, oracle: 0.9, fsrs: 0.9, "fsrs-no-steps": 0.9, "fsrs-optimised": 0.9 };
const ORDER: readonly SchedulerKind[] = ["leitner", "sm2", "oracle", "fsrs", "fsrs-no-steps", "fsrs-optimised"];

const log = (line: string) => process.stderr.write(`${line}\n`);
log(
	`bench:memory  seed ${config.seed}  ${config.students} students × ${config.items} items × ${config.days} days, ${config.newPerDay} new items/day, ` +
		`time zone ${config.timeZone}; equal retention at ${TARGETS.join(", ")}; FSRS: the shipped profile (steps on), optimised after ${config.optimizeAfterReviews} reviews`,
);

const runs = new Map<SchedulerKind, CohortResult[]>();
for (const kind of ORDER) {
	const results: CohortResult[] = [];
	for (const knob of GRIDS[kind]) {
		const r = await simulateCohort(kind, knob, config);
		results.push(r);
		const extra = r.prediction ? `  log loss ${r.prediction.logLoss.toFixed(4)}  RMSE(bins) ${r.prediction.rmseBins.toFixed(4)}` : "";
		const fits = kind === "fsrs-optimised" ? `  fits ${r.fits} (${r.adoptedFits} adopted, ${r.fitSeconds.toFixed(1)} s)` : "";
		log(`  ${kind.padEnd(14)} knob ${String(knob).padEnd(5)} reviews ${String(r.reviews).padStart(8)}  retention ${r.retention.toFixed(4)}${extra}${fits}  ${r.wallSeconds.toFixed(1)} s`);
	}
	runs.set(kind, results);
}

/** Linear interpolation of `value` at a measured retention between the two runs that bracket it; null if none does. */
function atRetention(results: readonly CohortResult[], target: number, value: (r: CohortResult) => number | undefined): number | null {
	const sorted = [...results].sort((a, b) => a.retention - b.retention);
	for (let i = 0; i + 1 < sorted.length; i++) {
		const [a, b] = [sorted[i], sorted[i + 1]];
		if (a.retention <= target && target <= b.retention) {
			const [va, vb] = [value(a), value(b)];
			if (va === undefined || vb === undefined) return null;
			const f = b.retention === a.retention ? 0 : (target - a.retention) / (b.retention - a.retention);
			return va + f * (vb - va);
		}
	}
	return null;
}

const round = (x: number | null, digits = 4) => (x === null || !Number.isFinite(x) ? null : Number(x.toFixed(digits)));
const ratio = (a: number | null, b: number | null) => (a === null || b === null || b === 0 ? null : round(a / b));
const reviewsAt = (kind: SchedulerKind, target: number) => {
	const r = atRetention(runs.get(kind)!, target, x => x.reviews);
	return r === null ? null : Math.round(r);
};

const targets: Record<string, Record<string, number | null>> = {};
log("");
log("at equal retention      default  optimised   no steps    Leitner       SM-2     oracle   opt/Leitner  opt/oracle  log loss default → optimised");
for (const target of TARGETS) {
	const reviews = {
		default: reviewsAt("fsrs", target),
		optimised: reviewsAt("fsrs-optimised", target),
		noSteps: reviewsAt("fsrs-no-steps", target),
		leitner: reviewsAt("leitner", target),
		sm2: reviewsAt("sm2", target),
		oracle: reviewsAt("oracle", target),
	};
	const metric = (kind: SchedulerKind, m: "logLoss" | "rmseBins") => round(atRetention(runs.get(kind)!, target, r => r.prediction?.[m]));
	const row = {
		reviews_default: reviews.default,
		reviews_optimised: reviews.optimised,
		reviews_no_steps: reviews.noSteps,
		reviews_leitner: reviews.leitner,
		reviews_sm2: reviews.sm2,
		reviews_oracle: reviews.oracle,
		ratio_vs_leitner: ratio(reviews.optimised, reviews.leitner),
		ratio_vs_oracle: ratio(reviews.optimised, reviews.oracle),
		ratio_default_vs_leitner: ratio(reviews.default, reviews.leitner),
		ratio_default_vs_oracle: ratio(reviews.default, reviews.oracle),
		optimised_vs_default: ratio(reviews.optimised, reviews.default),
		log_loss_default: metric("fsrs", "logLoss"),
		log_loss_optimised: metric("fsrs-optimised", "logLoss"),
		rmse_bins_default: metric("fsrs", "rmseBins"),
		rmse_bins_optimised: metric("fsrs-optimised", "rmseBins"),
	};
	targets[target.toFixed(2)] = row;
	const cell = (x: number | null, w = 10) => (x === null ? "—" : String(x)).padStart(w);
	log(
		`  retention ${target.toFixed(2)}  ${cell(row.reviews_default)} ${cell(row.reviews_optimised)} ${cell(row.reviews_no_steps)} ${cell(row.reviews_leitner)} ${cell(row.reviews_sm2)} ${cell(row.reviews_oracle)} ` +
			`${cell(row.ratio_vs_leitner, 13)} ${cell(row.ratio_vs_oracle, 11)}  ${row.log_loss_default ?? "—"} → ${row.log_loss_optimised ?? "—"}`,
	);
}

const at90 = targets["0.90"];
const aims = {
	optimised_le_085_leitner: at90.ratio_vs_leitner === null ? null : at90.ratio_vs_leitner <= 0.85,
	optimised_le_110_oracle: at90.ratio_vs_oracle === null ? null : at90.ratio_vs_oracle <= 1.1,
	optimised_better_than_default: TARGETS.every(t => {
		const row = targets[t.toFixed(2)];
		return row.reviews_optimised !== null && row.reviews_default !== null && row.reviews_optimised < row.reviews_default;
	}),
};
log(`aims at 0.90: optimised ≤ 0.85 × Leitner: ${aims.optimised_le_085_leitner}; ≤ 1.10 × oracle: ${aims.optimised_le_110_oracle}; optimised fewer reviews than default at every target: ${aims.optimised_better_than_default}`);

const knobRun = (kind: SchedulerKind) => runs.get(kind)!.find(r => r.knob === DEFAULT_KNOB[kind]) ?? runs.get(kind)![0];
const fsrs = knobRun("fsrs");
const optimised = knobRun("fsrs-optimised");
const leitner = knobRun("leitner");
const sm2 = knobRun("sm2");
const allOptimised = runs.get("fsrs-optimised")!;
log(`FSRS answers processed: ${Math.round(fsrs.answers / fsrs.reviewSeconds)}/s on one core; optimiser: ${allOptimised.reduce((s, r) => s + r.fits, 0)} fits, ${allOptimised.reduce((s, r) => s + r.adoptedFits, 0)} adopted`);

const summary = {
	// at each target retention (null where the runs did not bracket it)
	targets,
	ratio_vs_leitner: at90.ratio_vs_leitner,
	ratio_vs_oracle: at90.ratio_vs_oracle,
	aims,
	// at each scheduler's default setting (FSRS desired retention 0.9, Leitner and SM-2 as published): unequal retention
	reviews_fsrs: fsrs.reviews,
	reviews_fsrs_optimised: optimised.reviews,
	reviews_leitner: leitner.reviews,
	reviews_sm2: sm2.reviews,
	retention_fsrs: round(fsrs.retention),
	retention_fsrs_optimised: round(optimised.retention),
	retention_leitner: round(leitner.retention),
	retention_sm2: round(sm2.retention),
	final_recall_fsrs: round(fsrs.finalRecall),
	final_recall_leitner: round(leitner.finalRecall),
	final_recall_sm2: round(sm2.finalRecall),
	log_loss_fsrs: round(fsrs.prediction?.logLoss ?? null),
	log_loss_fsrs_optimised: round(optimised.prediction?.logLoss ?? null),
	rmse_bins_fsrs: round(fsrs.prediction?.rmseBins ?? null),
	rmse_bins_fsrs_optimised: round(optimised.prediction?.rmseBins ?? null),
	answers_per_s: Math.round(fsrs.answers / fsrs.reviewSeconds),
	desired_retention: DEFAULT_KNOB.fsrs,
	fsrs_profile: "shipped (learning steps 1m 10m, relearning 10m)",
	optimiser_fits: allOptimised.reduce((s, r) => s + r.fits, 0),
	optimiser_adopted: allOptimised.reduce((s, r) => s + r.adoptedFits, 0),
	students: config.students,
	items: config.items,
	days: config.days,
	new_per_day: config.newPerDay,
	seed: config.seed,
	seconds: round((performance.now() - benchStarted) / 1000, 1),
};
process.stdout.write(`${JSON.stringify(summary)}\n`);
