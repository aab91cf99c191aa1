/**
 * A student's standing on a path, from the memory model, without a database.
 *
 * - Mastery of a step: the mean probability of recall now over its answerable items (lessons take no
 *   answer and are left out); an item never reviewed counts 0. Mastery of a path: the same over all its items.
 * - A step is completed once its criterion was met: "all_reviewed" (every answerable item reviewed at least
 *   once), "mastery" (mastery ≥ threshold), "passed" (an evaluation attempt reached the pass score, recorded by
 *   the evaluation). Progress keeps a step completed once it was (stored), so forgetting later does not lock
 *   the steps after it again.
 */
import { State } from "ts-fsrs";
import type { Completion } from "../paths/path-rules.js";

export interface ItemMemoryNow {
	itemId: string;
	state: number;
	due: Date;
	retrievability: number;
}

export interface StepFacts {
	id: string;
	completion: Completion;
	/** The step's answerable items (no lessons). */
	itemIds: readonly string[];
}

export interface StepStanding {
	mastery: number;
	reviewed: number;
	total: number;
	/** Whether the criterion holds now (for "passed", never: only a passed attempt completes it). */
	criterionMet: boolean;
	nextDueAt: Date | null;
	dueNow: number;
}

const round = (x: number) => Math.round(x * 10_000) / 10_000;

export function standing(itemIds: readonly string[], memory: ReadonlyMap<string, ItemMemoryNow>, now: Date): Omit<StepStanding, "criterionMet"> {
	let sum = 0;
	let reviewed = 0;
	let dueNow = 0;
	let nextDue: number | null = null;
	for (const id of new Set(itemIds)) {
		const m = memory.get(id);
		if (!m || m.state === State.New) continue;
		reviewed++;
		sum += m.retrievability;
		const due = new Date(m.due).getTime();
		if (due <= now.getTime()) dueNow++;
		if (nextDue === null || due < nextDue) nextDue = due;
	}
	const total = new Set(itemIds).size;
	return { mastery: total === 0 ? 0 : round(sum / total), reviewed, total, nextDueAt: nextDue === null ? null : new Date(nextDue), dueNow };
}

export function stepStanding(step: StepFacts, memory: ReadonlyMap<string, ItemMemoryNow>, now: Date): StepStanding {
	const s = standing(step.itemIds, memory, now);
	let criterionMet: boolean;
	switch (step.completion.type) {
		case "passed":
			criterionMet = false;
			break;
		case "all_reviewed":
			criterionMet = s.reviewed === s.total;
			break;
		case "mastery":
			criterionMet = s.total === 0 || s.mastery >= step.completion.threshold;
			break;
	}
	return { ...s, criterionMet };
}
