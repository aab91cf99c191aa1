/**
 * Estimated probability of recall now, from the stability the memory model gave an item at its last review and
 * the time since: FSRS-6's forgetting curve with its default decay. The memory block fits each student's own
 * decay; reporting does not read its collections, so this is an estimate, labelled as such, good enough to
 * colour a heatmap and rank weak items (the exact figure is on the student's progress page).
 */
import { forgetting_curve, FSRS6_DEFAULT_DECAY } from "ts-fsrs";
import type { ItemRecord } from "./read.js";

export function recallNow(record: ItemRecord, now: Date): number | null {
	const last = record.h?.[record.h.length - 1];
	if (!last || typeof last.s !== "number" || last.s <= 0) return null;
	const elapsedDays = Math.max(0, (now.getTime() - new Date(last.t).getTime()) / 86_400_000);
	return forgetting_curve(FSRS6_DEFAULT_DECAY, elapsedDays, last.s);
}

/** The last `count` answers were all wrong. */
export function failingRun(record: ItemRecord, count = 3): boolean {
	const h = record.h ?? [];
	return h.length >= count && h.slice(-count).every(e => e.k === 0);
}
