/**
 * How demanding a student's question is, as a level of Bloom's revised taxonomy (Anderson & Krathwohl,
 * 2001): 1 remember, 2 understand, 3 apply, 4 analyse, 5 evaluate, 6 create. The model states a level
 * when one answers (a `[[bloom:N]]` tag it is asked to append, removed before delivery); otherwise, and
 * in extractive mode, this heuristic decides from the question's verbs and cues in French and English:
 * the highest level whose cue appears wins, and a question with no cue is "remember" if it asks for a
 * fact (what, who, when, quel, qui, quand…) and "understand" otherwise.
 */
import { foldAccents } from "../retrieval/terms.js";

export const BLOOM_LEVELS = ["remember", "understand", "apply", "analyze", "evaluate", "create"] as const;
export type BloomName = (typeof BLOOM_LEVELS)[number];

export interface Complexity {
	level: number;
	name: BloomName;
	source: "model" | "heuristic";
}

/** Cues per level (folded: lower case, no accents), checked from the highest level down. */
const CUES: Record<number, RegExp> = {
	6: /\b(design|invent|create|compose|devise|propose a|imagine|write a (?:story|poem|plan)|build a|concevoir|inventer|creer|composer|imaginer|rediger|elaborer|proposer un)/,
	5: /\b(judge|justify|evaluate|assess|critique|criticize|argue|defend|is it better|should we|do you think|worth|juger|justifier|evaluer|critiquer|argumenter|defendre|vaut-il mieux|faut-il|est-ce mieux|pensez-vous|selon toi)/,
	4: /\b(compare|contrast|differ|difference|distinguish|analy[sz]e|relationship|relation between|cause of|why does .* (?:lead|cause)|categori[sz]e|comparer|differencier|distinguer|analyser|difference entre|lien entre|rapport entre|les causes)/,
	3: /\b(calculate|compute|solve|apply|use .* to|how (?:much|many|do i)|find the value|convert|demonstrate|calculer|resoudre|appliquer|utiliser .* pour|combien|trouver la valeur|convertir|demontrer|\d+\s*[-+*/x×÷=]\s*\d+)/,
	2: /\b(explain|why|how does|how do|describe|summari[sz]e|interpret|what does .* mean|in your own words|expliquer|explique|pourquoi|comment (?:fonctionne|marche|se fait)|decrire|decris|resumer|interpreter|que signifie|qu'est-ce que .* veut dire)/,
};
const FACT = /^(what|who|when|where|which|list|name|define|quel|quelle|quels|quelles|qui|quand|ou|cite|citer|nommer|definir|donne|qu'est-ce qu)/;

export function bloomHeuristic(question: string): Complexity {
	const q = foldAccents(question.toLowerCase()).replace(/\s+/g, " ").trim();
	for (const level of [6, 5, 4, 3, 2]) {
		if (CUES[level].test(q)) return { level, name: BLOOM_LEVELS[level - 1], source: "heuristic" };
	}
	const level = FACT.test(q) ? 1 : 2;
	return { level, name: BLOOM_LEVELS[level - 1], source: "heuristic" };
}

const TAG = /\[\[\s*bloom\s*:\s*([1-6])\s*\]\]/i;

/** The model's own level, if it appended the tag; the reply is returned without it. */
export function modelBloom(reply: string): { reply: string; complexity: Complexity | null } {
	const m = TAG.exec(reply);
	if (!m) return { reply, complexity: null };
	const level = Number(m[1]);
	return { reply: reply.replace(TAG, "").trimEnd(), complexity: { level, name: BLOOM_LEVELS[level - 1], source: "model" } };
}

export const BLOOM_INSTRUCTION =
	"After your reply, on its own line, append the Bloom level of the student's question as [[bloom:N]] (1 remember, 2 understand, 3 apply, 4 analyse, 5 evaluate, 6 create).";
