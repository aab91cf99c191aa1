/**
 * What a student's layer keeps of its last optimisation (scheduling.optimize), adopted or not, and what
 * `GET /scheduling-profiles/effective` shows of it: both parameter sets' figures on the held-out reviews (log loss and
 * srs-benchmark's RMSE(bins)), how many reviews were used, fitted on and held out, and whether the fit was adopted.
 */
import type { HoldoutResult, PredictionMetrics } from "./optimizer.js";

export interface OptimizationRecord {
	at: Date;
	/** "subject": fitted on the subject's reviews; "student": on all the student's reviews. */
	scope: "subject" | "student";
	adopted: boolean;
	reviewsUsed: number;
	/** The fitted set, stored for reference even when not adopted. */
	parameters: number[];
	evaluation: {
		fitted: PredictionMetrics;
		current: PredictionMetrics;
		trainedOn: number;
		heldOut: number;
		heldOutFrom: Date;
	};
}

export function optimizationRecord(result: HoldoutResult, scope: "subject" | "student", at: Date): OptimizationRecord {
	const round = (m: PredictionMetrics): PredictionMetrics => ({ logLoss: round6(m.logLoss), rmseBins: round6(m.rmseBins), predictions: m.predictions });
	return {
		at: new Date(at),
		scope,
		adopted: result.adopted,
		reviewsUsed: result.reviewsUsed,
		parameters: [...result.parameters],
		evaluation: {
			fitted: round(result.evaluation.fitted),
			current: round(result.evaluation.current),
			trainedOn: result.evaluation.trainedOn,
			heldOut: result.evaluation.heldOut,
			heldOutFrom: new Date(result.evaluation.heldOutFrom),
		},
	};
}

/**
 * The optimisation to show for a resolved profile: the last one of its student layers, the subject's before the
 * general one, with the layer it is on. `docs` are the stored layers the profile was resolved from.
 */
export function optimizationShown(
	docs: readonly { kind?: string; subject?: string | null; lastOptimization?: OptimizationRecord | null }[],
	fsrsParametersSource: string,
): (Omit<OptimizationRecord, "parameters"> & { layer: string; inUse: boolean }) | null {
	const students = docs.filter(d => d.kind === "student" && d.lastOptimization);
	const chosen = students.find(d => d.subject) ?? students.find(d => !d.subject);
	if (!chosen?.lastOptimization) return null;
	const layer = chosen.subject ? `student:subject:${chosen.subject}` : "student";
	const { parameters: _fitted, ...shown } = chosen.lastOptimization;
	// In use: adopted, and that layer is where the profile's weights come from.
	return { ...shown, layer, inUse: shown.adopted && fsrsParametersSource === layer };
}

function round6(x: number): number {
	return Number.isFinite(x) ? Math.round(x * 1e6) / 1e6 : x;
}
