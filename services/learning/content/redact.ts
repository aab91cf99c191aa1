/**
 * What a student may see of an item. `forStudent` builds the view from an allow-list (never by deleting
 * fields from the stored document), so a field added to ContentItem later stays server-side until
 * someone decides to show it. The view of a question is the same whatever its answer key is: no
 * correct flag, accepted answer, true/false answer, numeric value or tolerance, explanation, nor a
 * flashcard's back. `revealed` is the feedback once the student has answered (or turned the card).
 */
import type { ContentItem, ContentKind, Difficulty } from "./content-types.js";
import { expectedAnswer, type ExpectedAnswer } from "./grading.js";
import { lessonHtml } from "./lesson-html.js";

export interface StudentCommon {
	id?: string;
	kind: ContentKind;
	title: string;
	subject: string;
	tags: string[];
	difficulty: Difficulty;
	expectedSeconds: number;
}

export type StudentItem = StudentCommon &
	(
		| { kind: "lesson"; markdown: string; html: string }
		| { kind: "flashcard"; front: string }
		| { kind: "single_choice" | "multiple_choice"; prompt: string; choices: { id: string; text: string }[] }
		| { kind: "true_false" | "short_answer"; prompt: string }
		| { kind: "numeric"; prompt: string; unit?: string }
	);

export interface Feedback {
	id?: string;
	kind: ContentKind;
	/** The answer key in the shape of an answer (questions). */
	expected?: ExpectedAnswer;
	explanation?: string;
	/** The flashcard's back. */
	back?: string;
}

/** The id of a stored item, whether it is a plain object with `id` or a document with `_id`. */
function idOf(item: object): string | undefined {
	const doc = item as { id?: unknown; _id?: unknown };
	if (typeof doc.id === "string") return doc.id;
	if (doc._id !== undefined && doc._id !== null) return String(doc._id);
	return undefined;
}

/** The item as a student sees it before answering. */
export function forStudent(item: ContentItem & { id?: unknown; _id?: unknown }): StudentItem {
	const id = idOf(item);
	const common: StudentCommon = {
		...(id === undefined ? {} : { id }),
		kind: item.kind,
		title: item.title,
		subject: item.subject,
		tags: [...item.tags],
		difficulty: item.difficulty,
		expectedSeconds: item.expectedSeconds,
	};
	switch (item.kind) {
		case "lesson":
			return { ...common, kind: item.kind, markdown: item.markdown, html: lessonHtml(item.markdown) };
		case "flashcard":
			return { ...common, kind: item.kind, front: item.front };
		case "single_choice":
		case "multiple_choice":
			return { ...common, kind: item.kind, prompt: item.prompt, choices: item.choices.map(c => ({ id: c.id, text: c.text })) };
		case "true_false":
		case "short_answer":
			return { ...common, kind: item.kind, prompt: item.prompt };
		case "numeric":
			return item.unit ? { ...common, kind: item.kind, prompt: item.prompt, unit: item.unit } : { ...common, kind: item.kind, prompt: item.prompt };
	}
}

/** What the student learns once they have answered: the answer key, the explanation, the card's back. */
export function revealed(item: ContentItem & { id?: unknown; _id?: unknown }): Feedback {
	const id = idOf(item);
	const base = { ...(id === undefined ? {} : { id }), kind: item.kind };
	switch (item.kind) {
		case "lesson":
			return base;
		case "flashcard":
			return { ...base, back: item.back };
		default:
			return {
				...base,
				expected: expectedAnswer(item),
				...(item.explanation ? { explanation: item.explanation } : {}),
			};
	}
}
