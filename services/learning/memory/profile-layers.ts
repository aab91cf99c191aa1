/**
 * Scheduling profile in layers. Each layer may set any subset of the values; the most specific layer that sets a
 * value wins:
 *
 *   platform default → school → subject (school-wide) → teacher (owner of the path) → student → student:subject
 *
 * Layers are ranked by kind, not by their position in the input array, so a caller cannot get the order wrong.
 * Non-student layers may also set `studentBounds`: limits on what the student's own layers may choose (and whether
 * practice mode is allowed). Bounds resolve like values (most specific non-student layer wins, per field), and a
 * student value outside the resolved bounds is clamped into them at resolution time (reported in `adjustments`), so
 * a teacher tightening the bounds takes effect at once without rewriting every student's layer.
 */
import { CLAMP_PARAMETERS, default_w, W17_W18_Ceiling } from "ts-fsrs";

export interface ProfileValues {
	/** Target probability of recall when an item comes due (FSRS request_retention). */
	desiredRetention: number;
	/** No interval longer than this, in days. */
	maximumIntervalDays: number;
	/** How many never-seen items a revision session may introduce per local day. */
	newItemsPerDay: number;
	/** Same-day steps for new items, ts-fsrs syntax: "1m", "10m", "1h", "1d". Empty: FSRS schedules in days. */
	learningSteps: string[];
	/** Same-day steps after a lapse. */
	relearningSteps: string[];
	/** The 21 FSRS-6 weights. */
	fsrsParameters: number[];
}
export type ProfileField = keyof ProfileValues;
export const PROFILE_FIELDS: readonly ProfileField[] = [
	"desiredRetention",
	"maximumIntervalDays",
	"newItemsPerDay",
	"learningSteps",
	"relearningSteps",
	"fsrsParameters",
];

export interface Range {
	min?: number;
	max?: number;
}
/** Limits a teacher (or school, or subject) puts on what a student may set. */
export interface StudentBounds {
	desiredRetention?: Range;
	newItemsPerDay?: Range;
	maximumIntervalDays?: Range;
	/** May students review ahead of time ("practice" mode)? Default false. */
	practiceAllowed?: boolean;
}
type BoundsField = keyof StudentBounds;
const BOUNDS_FIELDS: readonly BoundsField[] = ["desiredRetention", "newItemsPerDay", "maximumIntervalDays", "practiceAllowed"];
type RangeField = Exclude<BoundsField, "practiceAllowed">;
const RANGE_FIELDS: readonly RangeField[] = ["desiredRetention", "newItemsPerDay", "maximumIntervalDays"];

/** What a student may set on their own layer. FSRS weights are written there by the optimiser (a system job), not by the student. */
export const STUDENT_EDITABLE_FIELDS: readonly ProfileField[] = ["desiredRetention", "newItemsPerDay", "maximumIntervalDays"];

export type ProfileLayer =
	| { kind: "school"; values: Partial<ProfileValues>; studentBounds?: StudentBounds }
	| { kind: "subject"; subject: string; values: Partial<ProfileValues>; studentBounds?: StudentBounds }
	| { kind: "teacher"; teacherId: string; values: Partial<ProfileValues>; studentBounds?: StudentBounds }
	| { kind: "student"; subject?: string; values: Partial<ProfileValues> };

/** "platform default" | "school" | "subject:<s>" | "teacher:<id>" | "student" | "student:subject:<s>" */
export type LayerSource = string;
export const PLATFORM_DEFAULT = "platform default";

export const PLATFORM_DEFAULTS: Readonly<ProfileValues> = Object.freeze({
	desiredRetention: 0.9,
	maximumIntervalDays: 365,
	newItemsPerDay: 10,
	learningSteps: ["1m", "10m"],
	relearningSteps: ["10m"],
	fsrsParameters: [...default_w],
});

/** Legal ranges for every layer (what validateLayer checks). */
export const LIMITS = {
	desiredRetention: { min: 0.7, max: 0.99 },
	maximumIntervalDays: { min: 1, max: 36500 },
	newItemsPerDay: { min: 0, max: 1000 },
	maxSteps: 10,
	fsrsParameterCount: 21,
} as const;

export interface FieldProblem {
	field: string;
	message: string;
}

export interface ResolvedProfile {
	values: ProfileValues;
	sources: Record<ProfileField, LayerSource>;
	/** Bounds in force for the student's layers, merged from the non-student layers. */
	studentBounds: StudentBounds;
	boundsSources: Partial<Record<BoundsField, LayerSource>>;
	/** Convenience: studentBounds.practiceAllowed ?? false. */
	practiceAllowed: boolean;
	/** Student values clamped into the bounds, one entry per clamped field. */
	adjustments: FieldProblem[];
}

export function layerSource(layer: ProfileLayer): LayerSource {
	switch (layer.kind) {
		case "school":
			return "school";
		case "subject":
			return `subject:${layer.subject}`;
		case "teacher":
			return `teacher:${layer.teacherId}`;
		case "student":
			return layer.subject === undefined ? "student" : `student:subject:${layer.subject}`;
	}
}

function layerRank(layer: ProfileLayer): number {
	switch (layer.kind) {
		case "school":
			return 1;
		case "subject":
			return 2;
		case "teacher":
			return 3;
		case "student":
			return layer.subject === undefined ? 4 : 5;
	}
}

/**
 * Resolves the layers into one profile. With `context.subject`, subject-specific layers of other subjects are
 * ignored; two layers of the same rank (say, two teachers) are a caller error.
 */
export function resolveProfile(layers: readonly ProfileLayer[], context: { subject?: string } = {}): ResolvedProfile {
	const relevant = layers.filter(
		(l) =>
			context.subject === undefined ||
			!((l.kind === "subject" || (l.kind === "student" && l.subject !== undefined)) && l.subject !== context.subject),
	);
	const ranked = relevant.map((layer, index) => ({ layer, rank: layerRank(layer), index })).sort((a, b) => a.rank - b.rank || a.index - b.index);
	for (let i = 1; i < ranked.length; i++) {
		if (ranked[i].rank === ranked[i - 1].rank) {
			throw new Error(`resolveProfile: two layers of the same kind (${layerSource(ranked[i - 1].layer)}, ${layerSource(ranked[i].layer)})`);
		}
	}

	const values: ProfileValues = clone(PLATFORM_DEFAULTS);
	const sources = Object.fromEntries(PROFILE_FIELDS.map((f) => [f, PLATFORM_DEFAULT])) as Record<ProfileField, LayerSource>;
	const studentBounds: StudentBounds = {};
	const boundsSources: Partial<Record<BoundsField, LayerSource>> = {};

	for (const { layer } of ranked) {
		const source = layerSource(layer);
		if (layer.kind !== "student" && layer.studentBounds) {
			for (const field of BOUNDS_FIELDS) {
				const bound = layer.studentBounds[field];
				if (bound === undefined) continue;
				(studentBounds as Record<string, unknown>)[field] = typeof bound === "object" ? { ...bound } : bound;
				boundsSources[field] = source;
			}
		}
		for (const field of PROFILE_FIELDS) {
			const value = layer.values[field];
			if (value === undefined) continue;
			(values as unknown as Record<string, unknown>)[field] = Array.isArray(value) ? [...value] : value;
			sources[field] = source;
		}
	}

	const adjustments: FieldProblem[] = [];
	for (const field of RANGE_FIELDS) {
		if (!sources[field].startsWith("student")) continue;
		const range = studentBounds[field];
		if (!range) continue;
		const before = values[field];
		const after = Math.min(range.max ?? Infinity, Math.max(range.min ?? -Infinity, before));
		if (after !== before) {
			values[field] = after;
			adjustments.push({ field, message: `${before} is outside the bounds set by ${boundsSources[field]}; using ${after}` });
		}
	}

	return { values, sources, studentBounds, boundsSources, practiceAllowed: studentBounds.practiceAllowed ?? false, adjustments };
}

/** Whole minutes, hours or days: ts-fsrs reads a step with parseInt, so "1.5m" would silently be 1 minute. */
const STEP = /^(\d+)(m|h|d)$/;

/** Checks a layer's values (and bounds, if any) against the legal ranges. Unknown fields are problems too. */
export function validateLayer(values: Record<string, unknown>, studentBounds?: Record<string, unknown>): FieldProblem[] {
	const problems: FieldProblem[] = [];
	for (const field of Object.keys(values)) {
		if (!(PROFILE_FIELDS as readonly string[]).includes(field)) problems.push({ field, message: "is not a scheduling setting" });
	}
	const v = values as Partial<Record<ProfileField, unknown>>;
	if (v.desiredRetention !== undefined) checkNumber(problems, "desiredRetention", v.desiredRetention, LIMITS.desiredRetention, false);
	if (v.maximumIntervalDays !== undefined) checkNumber(problems, "maximumIntervalDays", v.maximumIntervalDays, LIMITS.maximumIntervalDays, true);
	if (v.newItemsPerDay !== undefined) checkNumber(problems, "newItemsPerDay", v.newItemsPerDay, LIMITS.newItemsPerDay, true);
	for (const field of ["learningSteps", "relearningSteps"] as const) {
		const steps = v[field];
		if (steps === undefined) continue;
		if (!Array.isArray(steps)) {
			problems.push({ field, message: "must be a list of steps such as [\"1m\", \"10m\"]" });
			continue;
		}
		if (steps.length > LIMITS.maxSteps) problems.push({ field, message: `at most ${LIMITS.maxSteps} steps` });
		steps.forEach((step, i) => {
			const m = typeof step === "string" ? STEP.exec(step) : null;
			if (!m || Number(m[1]) <= 0) problems.push({ field: `${field}.${i}`, message: "must be a positive whole number of m, h or d, such as \"10m\"" });
		});
	}
	if (v.fsrsParameters !== undefined) problems.push(...checkFsrsParameters(v.fsrsParameters));
	if (studentBounds !== undefined) problems.push(...validateBounds(studentBounds));
	return problems;
}

/** FSRS-6 weights: 21 finite numbers, each inside the range ts-fsrs clamps to. */
export function checkFsrsParameters(w: unknown, field = "fsrsParameters"): FieldProblem[] {
	if (!Array.isArray(w) || w.length !== LIMITS.fsrsParameterCount) {
		return [{ field, message: `must be a list of ${LIMITS.fsrsParameterCount} numbers (FSRS-6)` }];
	}
	const clamps = CLAMP_PARAMETERS(W17_W18_Ceiling, true);
	const problems: FieldProblem[] = [];
	w.forEach((x, i) => {
		const [lo, hi] = clamps[i];
		// the optimiser works in float32, so its bounds come back a hair outside the float64 limits
		if (typeof x !== "number" || !Number.isFinite(x) || x < lo - 1e-6 || x > hi + 1e-6) {
			problems.push({ field: `${field}.${i}`, message: `must be a number between ${lo} and ${hi}` });
		}
	});
	return problems;
}

function validateBounds(bounds: Record<string, unknown>): FieldProblem[] {
	const problems: FieldProblem[] = [];
	for (const field of Object.keys(bounds)) {
		if (!(BOUNDS_FIELDS as readonly string[]).includes(field)) problems.push({ field: `studentBounds.${field}`, message: "is not a bound" });
	}
	if (bounds.practiceAllowed !== undefined && typeof bounds.practiceAllowed !== "boolean") {
		problems.push({ field: "studentBounds.practiceAllowed", message: "must be true or false" });
	}
	for (const field of RANGE_FIELDS) {
		const range = bounds[field];
		if (range === undefined) continue;
		const name = `studentBounds.${field}`;
		if (typeof range !== "object" || range === null) {
			problems.push({ field: name, message: "must be { min, max }" });
			continue;
		}
		const { min, max } = range as Record<string, unknown>;
		const limits = LIMITS[field];
		const integer = field !== "desiredRetention";
		if (min !== undefined) checkNumber(problems, `${name}.min`, min, limits, integer);
		if (max !== undefined) checkNumber(problems, `${name}.max`, max, limits, integer);
		if (typeof min === "number" && typeof max === "number" && min > max) problems.push({ field: name, message: "min must not exceed max" });
	}
	return problems;
}

/** What a student may put on their own layer: valid values, only the editable fields, within the bounds. */
export function validateStudentLayer(values: Record<string, unknown>, bounds: StudentBounds = {}): FieldProblem[] {
	const problems = validateLayer(values);
	for (const field of Object.keys(values)) {
		if ((PROFILE_FIELDS as readonly string[]).includes(field) && !(STUDENT_EDITABLE_FIELDS as readonly string[]).includes(field)) {
			problems.push({ field, message: "is not a setting a student may change" });
		}
	}
	for (const field of RANGE_FIELDS) {
		const value = values[field];
		const range = bounds[field];
		if (typeof value !== "number" || !range) continue;
		if (range.min !== undefined && value < range.min) problems.push({ field, message: `must be at least ${range.min} (set by your teacher)` });
		if (range.max !== undefined && value > range.max) problems.push({ field, message: `must be at most ${range.max} (set by your teacher)` });
	}
	return problems;
}

function checkNumber(problems: FieldProblem[], field: string, value: unknown, range: { min: number; max: number }, integer: boolean): void {
	if (typeof value !== "number" || !Number.isFinite(value)) {
		problems.push({ field, message: "must be a number" });
	} else if (integer && !Number.isInteger(value)) {
		problems.push({ field, message: "must be a whole number" });
	} else if (value < range.min || value > range.max) {
		problems.push({ field, message: `must be between ${range.min} and ${range.max}` });
	}
}

function clone(values: Readonly<ProfileValues>): ProfileValues {
	return {
		...values,
		learningSteps: [...values.learningSteps],
		relearningSteps: [...values.relearningSteps],
		fsrsParameters: [...values.fsrsParameters],
	};
}
