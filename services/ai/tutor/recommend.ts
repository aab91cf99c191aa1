/**
 * What a student should revise next on a path, from their memory states and the topics of their questions
 * to the tutor: the items they recall worst (lowest retrievability; items never seen count as new), the
 * weakest step, and the topics they asked about most (headings of the passages cited to them).
 */
export interface ItemState {
	itemId: string;
	retrievability: number;
}

export interface PathItem {
	itemId: string;
	title: string;
	kind: string;
	stepId: string;
	stepTitle: string;
}

export interface Recommendation {
	revise: { itemId: string; title: string; kind: string; stepId: string; stepTitle: string; retrievability: number; reason: string }[];
	newItems: number;
	weakestStep: { stepId: string; title: string; meanRetrievability: number } | null;
	topics: { topic: string; questions: number }[];
}

export function recommend(items: readonly PathItem[], states: readonly ItemState[], askedTopics: readonly string[][], limit = 5): Recommendation {
	const byItem = new Map(states.map(s => [s.itemId, s.retrievability]));
	const seen = items.filter(i => byItem.has(i.itemId));
	const revise = seen
		.map(i => ({ ...i, retrievability: byItem.get(i.itemId)! }))
		.sort((a, b) => a.retrievability - b.retrievability)
		.slice(0, limit)
		.map(i => ({ ...i, reason: `you would now recall it with probability ${Math.round(i.retrievability * 100)} %` }));
	const steps = new Map<string, { title: string; sum: number; n: number }>();
	for (const i of seen) {
		const s = steps.get(i.stepId) ?? { title: i.stepTitle, sum: 0, n: 0 };
		s.sum += byItem.get(i.itemId)!;
		s.n++;
		steps.set(i.stepId, s);
	}
	const weakest = [...steps.entries()].map(([stepId, s]) => ({ stepId, title: s.title, meanRetrievability: s.sum / s.n })).sort((a, b) => a.meanRetrievability - b.meanRetrievability)[0] ?? null;
	const counts = new Map<string, number>();
	for (const path of askedTopics) {
		const topic = path.filter(Boolean).join(" › ");
		if (topic) counts.set(topic, (counts.get(topic) ?? 0) + 1);
	}
	const topics = [...counts.entries()].map(([topic, questions]) => ({ topic, questions })).sort((a, b) => b.questions - a.questions || a.topic.localeCompare(b.topic)).slice(0, limit);
	return { revise, newItems: items.length - seen.length, weakestStep: weakest, topics };
}
