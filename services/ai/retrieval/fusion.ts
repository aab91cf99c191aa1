/**
 * Reciprocal rank fusion (Cormack, Clarke & Büttcher, 2009): each list gives a document 1 / (k + rank),
 * rank from 1; the sums order the fused list. It needs no calibration between BM25 scores and cosines,
 * which live on unrelated scales. k = 60 is the paper's value.
 */
export const RRF_K = 60;

export function reciprocalRankFusion(lists: readonly (readonly string[])[], k = RRF_K): { id: string; score: number }[] {
	const scores = new Map<string, number>();
	for (const list of lists) {
		list.forEach((id, i) => scores.set(id, (scores.get(id) ?? 0) + 1 / (k + i + 1)));
	}
	return [...scores.entries()].map(([id, score]) => ({ id, score })).sort((a, b) => b.score - a.score || (a.id < b.id ? -1 : 1));
}
