/**
 * This process's retrieval indexes, one per scope (a path with its agent's sources, or an explicit set of
 * sources), built on demand from the stored chunks by whichever node answers. An entry is reused only
 * while its signature (the ready version of every selected source) still matches what the database
 * says; the durable `ai.index.invalidated` event drops entries as soon as sources or selections change,
 * so memory is given back and the next question rebuilds. Least recently used entries go past `max`.
 */
import type { HybridIndex } from "./hybrid-index.js";

interface Entry {
	schoolId: string;
	pathId: string | null;
	sourceIds: Set<string>;
	signature: string;
	index: HybridIndex;
}

export class IndexCache {
	private readonly entries = new Map<string, Entry>();
	constructor(private readonly max = 64) {}

	get(key: string, signature: string): HybridIndex | undefined {
		const entry = this.entries.get(key);
		if (!entry || entry.signature !== signature) return undefined;
		// Map order is insertion order: re-inserting marks it most recently used.
		this.entries.delete(key);
		this.entries.set(key, entry);
		return entry.index;
	}

	set(key: string, entry: Entry): void {
		this.entries.delete(key);
		this.entries.set(key, entry);
		while (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
	}

	/** Drops every index of the school that covers one of these paths or sources. */
	invalidate(change: { schoolId: string; pathIds?: string[]; sourceIds?: string[] }): number {
		let dropped = 0;
		for (const [key, e] of this.entries) {
			if (e.schoolId !== change.schoolId) continue;
			const byPath = e.pathId !== null && (change.pathIds ?? []).includes(e.pathId);
			const bySource = (change.sourceIds ?? []).some(id => e.sourceIds.has(id));
			if (byPath || bySource || (!change.pathIds?.length && !change.sourceIds?.length)) {
				this.entries.delete(key);
				dropped++;
			}
		}
		return dropped;
	}

	get size(): number {
		return this.entries.size;
	}
}
