/**
 * The rules of a path's steps, without a database: turning what a teacher sends into stored steps (ids,
 * prerequisites, completion criteria, evaluation settings), refusing what cannot work (a prerequisite
 * cycle, an availability window that closes before it opens), and deciding whether a student may open a step.
 */
import { randomBytes } from "node:crypto";
import { invalid } from "../../shared/errors.js";
import { ID } from "../../shared/params.js";
import { textRule } from "../../shared/text-rules.js";

export type StepKind = "revision" | "evaluation";
export type Completion = { type: "mastery"; threshold: number } | { type: "all_reviewed" } | { type: "passed" };

export interface EvaluationSettings {
	timeLimitSeconds: number;
	maxAttempts: number;
	/** The share of points (0..1) that passes. */
	passScore: number;
}

export interface Step {
	id: string;
	title: string;
	kind: StepKind;
	itemIds: string[];
	prerequisites: string[];
	availableFrom: Date | null;
	availableUntil: Date | null;
	completion: Completion;
	evaluation: EvaluationSettings | null;
}

/** A step as a client sends it. Prerequisites name steps by id, or by their position (0-based) in the list sent. */
export interface StepInput {
	id?: string;
	title: string;
	kind?: StepKind;
	itemIds?: string[];
	prerequisites?: (string | number)[];
	availableFrom?: string | Date | null;
	availableUntil?: string | Date | null;
	completion?: { type: "mastery"; threshold?: number } | { type: "all_reviewed" } | { type: "passed" };
	evaluation?: Partial<EvaluationSettings>;
}

export const DEFAULT_MASTERY_THRESHOLD = 0.8;
export const DEFAULT_EVALUATION: EvaluationSettings = { timeLimitSeconds: 900, maxAttempts: 1, passScore: 0.5 };
export const MAX_STEPS = 100;
export const MAX_ITEMS_PER_STEP = 500;

/** fastest-validator rule for one step (the semantic checks are `buildSteps`). */
export const STEP_RULE = {
	type: "object",
	strict: "remove",
	props: {
		id: { ...ID, optional: true },
		title: textRule({ max: 200 }),
		kind: { type: "enum", values: ["revision", "evaluation"], optional: true },
		itemIds: { type: "array", items: ID, max: MAX_ITEMS_PER_STEP, unique: true, optional: true },
		prerequisites: {
			type: "array",
			max: MAX_STEPS,
			optional: true,
			items: { type: "multi", rules: [ID, { type: "number", integer: true, min: 0, max: MAX_STEPS }] },
		},
		availableFrom: { type: "date", convert: true, optional: true, nullable: true },
		availableUntil: { type: "date", convert: true, optional: true, nullable: true },
		completion: {
			type: "object",
			strict: "remove",
			optional: true,
			props: {
				type: { type: "enum", values: ["mastery", "all_reviewed", "passed"] },
				threshold: { type: "number", min: 0.05, max: 1, optional: true },
			},
		},
		evaluation: {
			type: "object",
			strict: "remove",
			optional: true,
			props: {
				timeLimitSeconds: { type: "number", integer: true, min: 30, max: 4 * 3600, optional: true },
				maxAttempts: { type: "number", integer: true, min: 1, max: 20, optional: true },
				passScore: { type: "number", min: 0, max: 1, optional: true },
			},
		},
	},
} as const;

export const STEPS_RULE = { type: "array", items: STEP_RULE, max: MAX_STEPS } as const;

export function newStepId(): string {
	return randomBytes(12).toString("hex");
}

const toDate = (v: string | Date | null | undefined): Date | null => (v === undefined || v === null ? null : new Date(v));

/**
 * The steps to store. Ids of known steps are kept (an unknown id is refused: a client cannot choose ids),
 * new steps get one. Throws 422 with the field at fault.
 */
export function buildSteps(inputs: readonly StepInput[], existing: readonly Pick<Step, "id">[] = []): Step[] {
	const known = new Set(existing.map(s => s.id));
	const ids: string[] = [];
	inputs.forEach((input, i) => {
		if (input.id !== undefined && !known.has(input.id)) throw invalid(`steps[${i}].id`, "is not a step of this path (leave it out for a new step)");
		const id = input.id ?? newStepId();
		if (ids.includes(id)) throw invalid(`steps[${i}].id`, "appears twice");
		ids.push(id);
	});

	const steps = inputs.map((input, i): Step => {
		const field = (name: string) => `steps[${i}].${name}`;
		const kind: StepKind = input.kind ?? "revision";
		const prerequisites = [
			...new Set(
				(input.prerequisites ?? []).map(ref => {
					const id = typeof ref === "number" ? ids[ref] : ref;
					if (id === undefined || !ids.includes(id)) throw invalid(field("prerequisites"), `${String(ref)} is not a step of this path`);
					if (id === ids[i]) throw invalid(field("prerequisites"), "a step cannot require itself");
					return id;
				}),
			),
		];
		const availableFrom = toDate(input.availableFrom);
		const availableUntil = toDate(input.availableUntil);
		if (availableFrom && availableUntil && availableUntil.getTime() <= availableFrom.getTime()) {
			throw invalid(field("availableUntil"), "must be after availableFrom");
		}
		let completion: Completion;
		if (kind === "evaluation") {
			if (input.completion && input.completion.type !== "passed") throw invalid(field("completion"), "an evaluation step is completed by passing it");
			completion = { type: "passed" };
		} else if (!input.completion || input.completion.type === "all_reviewed") {
			completion = { type: "all_reviewed" };
		} else if (input.completion.type === "mastery") {
			completion = { type: "mastery", threshold: input.completion.threshold ?? DEFAULT_MASTERY_THRESHOLD };
		} else {
			throw invalid(field("completion"), "\"passed\" is for evaluation steps");
		}
		if (kind !== "evaluation" && input.evaluation) throw invalid(field("evaluation"), "only an evaluation step has evaluation settings");
		return {
			id: ids[i],
			title: input.title,
			kind,
			itemIds: [...(input.itemIds ?? [])],
			prerequisites,
			availableFrom,
			availableUntil,
			completion,
			evaluation: kind === "evaluation" ? { ...DEFAULT_EVALUATION, ...stripUndefined(input.evaluation ?? {}) } : null,
		};
	});
	const cycle = findCycle(steps);
	if (cycle) throw invalid("steps", `the prerequisites go round in a circle (${cycle.join(" → ")})`);
	return steps;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
	return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A prerequisite cycle as a list of step titles, or null. */
export function findCycle(steps: readonly Pick<Step, "id" | "title" | "prerequisites">[]): string[] | null {
	const byId = new Map(steps.map(s => [s.id, s]));
	const state = new Map<string, "visiting" | "done">();
	const trail: string[] = [];
	const visit = (id: string): string[] | null => {
		if (state.get(id) === "done") return null;
		if (state.get(id) === "visiting") return [...trail.slice(trail.indexOf(id)), id].map(s => byId.get(s)?.title ?? s);
		state.set(id, "visiting");
		trail.push(id);
		for (const pre of byId.get(id)?.prerequisites ?? []) {
			const found = visit(pre);
			if (found) return found;
		}
		trail.pop();
		state.set(id, "done");
		return null;
	};
	for (const s of steps) {
		const found = visit(s.id);
		if (found) return found;
	}
	return null;
}

/** The steps in the order given; `order` must name every step exactly once. */
export function reorder<T extends { id: string }>(steps: readonly T[], order: readonly string[]): T[] {
	const byId = new Map(steps.map(s => [s.id, s]));
	if (order.length !== steps.length || new Set(order).size !== order.length || order.some(id => !byId.has(id))) {
		throw invalid("order", "must list every step of the path exactly once");
	}
	return order.map(id => byId.get(id)!);
}

export function allItemIds(steps: readonly Pick<Step, "itemIds">[]): string[] {
	return [...new Set(steps.flatMap(s => s.itemIds))];
}

export interface AssignablePath {
	studentIds: string[];
	classIds: string[];
}

/** Assigned directly, or through a class the student attends. */
export function isAssigned(path: AssignablePath, studentId: string, attendedClassIds: readonly string[]): boolean {
	return path.studentIds.includes(studentId) || path.classIds.some(c => attendedClassIds.includes(c));
}

export type StepAccess =
	| { ok: true }
	| { ok: false; reason: "not_yet_open" | "closed"; at: Date }
	| { ok: false; reason: "locked"; missing: string[] };

/** Whether a student may work on a step now: its window is open and every prerequisite step is completed. */
export function stepAccess(
	step: Pick<Step, "availableFrom" | "availableUntil" | "prerequisites">,
	now: Date,
	completedStepIds: ReadonlySet<string>,
): StepAccess {
	if (step.availableFrom && now.getTime() < new Date(step.availableFrom).getTime()) return { ok: false, reason: "not_yet_open", at: new Date(step.availableFrom) };
	if (step.availableUntil && now.getTime() >= new Date(step.availableUntil).getTime()) return { ok: false, reason: "closed", at: new Date(step.availableUntil) };
	const missing = step.prerequisites.filter(id => !completedStepIds.has(id));
	return missing.length > 0 ? { ok: false, reason: "locked", missing } : { ok: true };
}
