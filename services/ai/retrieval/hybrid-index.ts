/**
 * An in-memory retrieval index over the chunks of one scope (a path with its agent's sources): BM25
 * (MiniSearch, BM25+ scoring) and exact cosine over unit vectors (a flat Float32Array; 10,000 × 384
 * dot products take a few milliseconds), fused by reciprocal rank fusion.
 *
 * Relevance is decided apart from the ranking: a chunk counts as relevant when its cosine to the question
 * reaches `minCosine`, or when it holds at least `minTermCoverage` of the question's content words.
 * Ranks say which chunk is best, not whether any is good enough (e5 cosines of unrelated texts sit around
 * 0.75), so the tutor uses this to say "the course material does not cover it".
 */
import MiniSearch from "minisearch";
import { reciprocalRankFusion } from "./fusion.js";
import { contentTerms, processTerm, tokenize } from "./terms.js";

export interface IndexedChunk {
	id: string;
	schoolId: string;
	sourceId: string;
	sourceVersion: number;
	sourceTitle: string;
	position: number;
	headingPath: string[];
	text: string;
	embedding: Float32Array;
}

export interface Hit {
	chunk: IndexedChunk;
	/** Fused (RRF) score. */
	score: number;
	cosine: number;
	bm25: number;
	bm25Rank: number | null;
	denseRank: number;
	termCoverage: number;
	relevant: boolean;
}

export interface SearchOptions {
	k: number;
	/** How many of each ranking enter the fusion. */
	depth?: number;
	minCosine: number;
	minTermCoverage: number;
	method?: "hybrid" | "bm25" | "dense";
}

export class HybridIndex {
	private readonly lexical: MiniSearch<{ id: number; text: string }>;
	private readonly vectors: Float32Array;
	readonly dimensions: number;

	constructor(readonly chunks: readonly IndexedChunk[]) {
		this.dimensions = chunks[0]?.embedding.length ?? 0;
		this.vectors = new Float32Array(chunks.length * this.dimensions);
		chunks.forEach((c, i) => this.vectors.set(c.embedding, i * this.dimensions));
		this.lexical = new MiniSearch({ fields: ["text"], idField: "id", tokenize, processTerm });
		// Headings belong to the passage's meaning ("Photosynthesis > Light reactions").
		this.lexical.addAll(chunks.map((c, i) => ({ id: i, text: `${c.headingPath.join(" ")} ${c.text}` })));
	}

	get size(): number {
		return this.chunks.length;
	}

	search(question: string, queryVector: Float32Array | null, opts: SearchOptions): Hit[] {
		const depth = opts.depth ?? Math.max(50, opts.k * 5);
		const method = opts.method ?? "hybrid";
		const lexicalHits = method === "dense" ? [] : this.lexical.search(question, { combineWith: "OR" }).slice(0, depth);
		const cosines = queryVector && this.dimensions === queryVector.length ? this.cosines(queryVector) : new Float32Array(this.chunks.length);
		const denseOrder = method === "bm25" || !queryVector ? [] : topK(cosines, depth);
		const lists: string[][] = [];
		if (lexicalHits.length > 0) lists.push(lexicalHits.map(h => String(h.id)));
		if (denseOrder.length > 0) lists.push(denseOrder.map(String));
		const bm25 = new Map(lexicalHits.map((h, r) => [Number(h.id), { score: h.score, rank: r + 1 }]));
		const denseRank = new Map(denseOrder.map((i, r) => [i, r + 1]));
		const terms = contentTerms(question);
		return reciprocalRankFusion(lists)
			.slice(0, opts.k)
			.map(({ id, score }) => {
				const i = Number(id);
				const chunk = this.chunks[i];
				const coverage = terms.length === 0 ? 0 : termCoverage(terms, chunk);
				const cosine = cosines[i];
				return {
					chunk,
					score,
					cosine,
					bm25: bm25.get(i)?.score ?? 0,
					bm25Rank: bm25.get(i)?.rank ?? null,
					denseRank: denseRank.get(i) ?? 0,
					termCoverage: coverage,
					relevant: (queryVector !== null && cosine >= opts.minCosine) || coverage >= opts.minTermCoverage,
				};
			});
	}

	private cosines(query: Float32Array): Float32Array {
		const d = this.dimensions;
		const out = new Float32Array(this.chunks.length);
		const v = this.vectors;
		for (let i = 0, off = 0; i < out.length; i++, off += d) {
			let s = 0;
			for (let j = 0; j < d; j++) s += v[off + j] * query[j];
			out[i] = s;
		}
		return out;
	}
}

/** Indexes of the `k` largest values, largest first. */
function topK(values: Float32Array, k: number): number[] {
	const n = Math.min(k, values.length);
	const best: number[] = [];
	for (let i = 0; i < values.length; i++) {
		if (best.length < n) {
			best.push(i);
			if (best.length === n) best.sort((a, b) => values[b] - values[a]);
			continue;
		}
		if (values[i] <= values[best[n - 1]]) continue;
		let pos = n - 1;
		while (pos > 0 && values[best[pos - 1]] < values[i]) pos--;
		best.splice(pos, 0, i);
		best.pop();
	}
	if (best.length < n || n < k) best.sort((a, b) => values[b] - values[a]);
	return best;
}

function termCoverage(terms: readonly string[], chunk: IndexedChunk): number {
	const words = new Set(contentTermsCached(chunk));
	return terms.filter(t => words.has(t)).length / terms.length;
}

const termCache = new WeakMap<IndexedChunk, string[]>();
function contentTermsCached(chunk: IndexedChunk): string[] {
	let terms = termCache.get(chunk);
	if (!terms) termCache.set(chunk, (terms = contentTerms(`${chunk.headingPath.join(" ")} ${chunk.text}`)));
	return terms;
}
