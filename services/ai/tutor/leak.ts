/**
 * Does a tutor's reply hand over the answer of the exercise the student is working on? Checked against
 * the item's answer key on the server, whatever the model was told:
 * - short answer: any accepted answer appearing as words (case and accents folded unless the item is
 *   sensitive to them);
 * - numeric: a number in the reply within the item's tolerance of its value;
 * - single/multiple choice: the text of a correct choice, or "answer is B"-style naming of its id;
 * - true/false: a verdict on the statement ("it is false", "c'est vrai", "the statement is true");
 * - flashcard: the back of the card (or its content words, when it is a phrase).
 * `redact` replaces what leaks with "[…]".
 */
import { foldAccents } from "../retrieval/terms.js";

export interface AnswerKey {
	kind: string;
	accepted?: string[];
	caseSensitive?: boolean;
	accentSensitive?: boolean;
	value?: number;
	tolerance?: number;
	choices?: { id: string; text: string; correct: boolean }[];
	answer?: boolean;
	back?: string;
}

export interface Leak {
	what: string;
	/** Spans [start, end) of the reply that give it away. */
	spans: [number, number][];
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Spans where `needle` occurs as whole words (folded as the item's matching rules say). */
function phraseSpans(reply: string, needle: string, caseSensitive = false, accentSensitive = false): [number, number][] {
	const fold = (c: string) => {
		let t = accentSensitive ? c : foldAccents(c);
		if (!caseSensitive) t = t.toLowerCase();
		// Keep every character's length, so positions in the folded copy are positions in the reply.
		return t.length === c.length ? t : c;
	};
	const hay = [...reply].map(fold).join("");
	const n = [...needle.trim().replace(/\s+/g, " ")].map(fold).join("");
	if (n.length === 0) return [];
	const pattern = new RegExp(`(?<![\\p{L}\\p{N}])${escape(n).replace(/ /g, "\\s+")}(?![\\p{L}\\p{N}])`, "gu");
	return [...hay.matchAll(pattern)].map(m => [m.index!, m.index! + m[0].length] as [number, number]);
}

const NUMBER = /-?\d+(?:[ \u00a0\u202f]\d{3})*(?:[.,]\d+)?/g;

function numberSpans(reply: string, value: number, tolerance: number): [number, number][] {
	const spans: [number, number][] = [];
	for (const m of reply.matchAll(NUMBER)) {
		const n = Number(m[0].replace(/[ \u00a0\u202f]/g, "").replace(",", "."));
		if (Number.isFinite(n) && Math.abs(n - value) <= Math.max(tolerance, 1e-9)) spans.push([m.index!, m.index! + m[0].length]);
	}
	return spans;
}

const TRUE_WORDS = "(?:true|correct|right|vrai|vraie|exacte?|juste)";
const FALSE_WORDS = "(?:false|wrong|incorrect|untrue|faux|fausse|inexacte?)";

function verdictSpans(reply: string, answer: boolean): [number, number][] {
	const word = answer ? TRUE_WORDS : FALSE_WORDS;
	const pattern = new RegExp(
		`(?:\\b(?:it|this|that|the statement|the answer|the claim)\\s+(?:is|was)\\s+(?:indeed\\s+)?${word}\\b|\\b(?:c'est|c’est|elle est|l'affirmation est|l’affirmation est|la réponse est|cette affirmation est)\\s+(?:bien\\s+)?${word}\\b|\\banswer\\s*:\\s*${word}\\b|\\bréponse\\s*:\\s*${word}\\b)`,
		"giu",
	);
	return [...reply.matchAll(pattern)].map(m => [m.index!, m.index! + m[0].length]);
}

function choiceIdSpans(reply: string, id: string): [number, number][] {
	const pattern = new RegExp(`\\b(?:answer|choice|option|réponse|choix)\\s*(?:is|est|:)?\\s*\\(?${escape(id)}\\)?(?![\\p{L}\\p{N}])`, "giu");
	return [...reply.matchAll(pattern)].map(m => [m.index!, m.index! + m[0].length]);
}

export function findLeaks(reply: string, key: AnswerKey): Leak[] {
	const leaks: Leak[] = [];
	const add = (what: string, spans: [number, number][]) => spans.length > 0 && leaks.push({ what, spans });
	switch (key.kind) {
		case "short_answer":
			for (const accepted of key.accepted ?? []) add(`accepted answer`, phraseSpans(reply, accepted, key.caseSensitive, key.accentSensitive));
			break;
		case "numeric":
			if (typeof key.value === "number") add("numeric value", numberSpans(reply, key.value, key.tolerance ?? 0));
			break;
		case "single_choice":
		case "multiple_choice":
			for (const choice of (key.choices ?? []).filter(c => c.correct)) {
				add("correct choice", phraseSpans(reply, choice.text));
				add("correct choice id", choiceIdSpans(reply, choice.id));
			}
			break;
		case "true_false":
			if (typeof key.answer === "boolean") add("true/false verdict", verdictSpans(reply, key.answer));
			break;
		case "flashcard":
			if (key.back) add("flashcard back", phraseSpans(reply, key.back));
			break;
	}
	return leaks;
}

export function redact(reply: string, leaks: readonly Leak[]): string {
	const spans = leaks.flatMap(l => l.spans).sort((a, b) => a[0] - b[0]);
	let out = "";
	let at = 0;
	for (const [a, b] of spans) {
		if (b <= at) continue;
		out += reply.slice(at, Math.max(a, at)) + "[…]";
		at = b;
	}
	return out + reply.slice(at);
}
