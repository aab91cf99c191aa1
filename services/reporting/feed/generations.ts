/**
 * Generations of a school's projections. Dashboards read `current`; a rebuild fills `building` from the owners'
 * exports while the live feed writes to both, then makes it current. Every node caches a school's state for
 * CACHE_MS, so a rebuild waits SETTLE_MS after each change before relying on every node having seen it.
 */
import { ReportingGeneration } from "../../../models/reporting-generation.model.js";

export const CACHE_MS = 2000;
/** Long enough for every node's cache to have expired once. */
export const SETTLE_MS = 2 * CACHE_MS + 500;

export interface GenerationState {
	current: number;
	building: number | null;
}

const FIRST: GenerationState = { current: 1, building: null };
const cache = new Map<string, { state: GenerationState; until: number }>();

export async function generationOf(schoolId: string): Promise<GenerationState> {
	const hit = cache.get(schoolId);
	if (hit && hit.until > Date.now()) return hit.state;
	const doc: any = await ReportingGeneration.findById(schoolId).lean();
	const state = doc ? { current: doc.current, building: doc.building ?? null } : FIRST;
	cache.set(schoolId, { state, until: Date.now() + CACHE_MS });
	return state;
}

/** The generations a live fact of this school is written to. */
export async function liveGenerations(schoolId: string): Promise<number[]> {
	const { current, building } = await generationOf(schoolId);
	return building === null ? [current] : [current, building];
}

export function forgetGeneration(schoolId?: string): void {
	if (schoolId) cache.delete(schoolId);
	else cache.clear();
}

/** Opens a new generation for a rebuild; refuses while another rebuild of the school runs (unless forced). */
export async function openBuilding(schoolId: string, force = false): Promise<{ current: number; building: number }> {
	const doc: any = (await ReportingGeneration.findById(schoolId).lean()) ?? { current: 1, building: null };
	if (doc.building !== null && doc.building !== undefined && !force) {
		throw new Error(`A rebuild of school ${schoolId} is already running (generation ${doc.building}, started ${doc.startedAt?.toISOString?.() ?? "?"}); pass --force if it died`);
	}
	const building = Math.max(doc.current, doc.building ?? 0) + 1;
	await ReportingGeneration.updateOne({ _id: schoolId }, { $set: { current: doc.current, building, startedAt: new Date() } }, { upsert: true });
	forgetGeneration(schoolId);
	return { current: doc.current, building };
}

export async function switchTo(schoolId: string, building: number): Promise<void> {
	await ReportingGeneration.updateOne({ _id: schoolId, building }, { $set: { current: building, building: null, startedAt: null } });
	forgetGeneration(schoolId);
}

export async function abandonBuilding(schoolId: string, building: number): Promise<void> {
	await ReportingGeneration.updateOne({ _id: schoolId, building }, { $set: { building: null, startedAt: null } });
	forgetGeneration(schoolId);
}
