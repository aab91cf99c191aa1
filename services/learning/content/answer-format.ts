/**
 * The answer a student sends, by item kind, as a validator rule that also documents itself in the
 * OpenAPI document (`openapi`). The validator takes any value here: the shape depends on the item,
 * which only the action knows, and grading.ts `validateAnswer` checks it against the item (422 with
 * `answer.<field>` otherwise). Keep this in step with grading.ts and docs/LEARNING.md.
 */
import { CONTENT_LIMITS } from "./content-types.js";
import { MAX_ANSWER_TEXT } from "./grading.js";

const choiceId = { type: "string", minLength: 1, maxLength: CONTENT_LIMITS.choiceId, pattern: "^[A-Za-z0-9_-]+$" };

/** JSON Schema of each kind's answer (OpenAPI 3.0 flavour). */
export const ANSWER_SCHEMAS = {
	single_choice: {
		title: "single_choice",
		type: "object",
		description: "The id of the chosen choice.",
		properties: { choiceId },
		required: ["choiceId"],
		additionalProperties: false,
	},
	multiple_choice: {
		title: "multiple_choice",
		type: "object",
		description: "The ids of every chosen choice, each once (may be empty).",
		properties: { choiceIds: { type: "array", items: choiceId, maxItems: CONTENT_LIMITS.maxChoices, uniqueItems: true } },
		required: ["choiceIds"],
		additionalProperties: false,
	},
	true_false: {
		title: "true_false",
		type: "object",
		description: "true or false.",
		properties: { value: { type: "boolean" } },
		required: ["value"],
		additionalProperties: false,
	},
	short_answer: {
		title: "short_answer",
		type: "object",
		description: `The typed answer, at most ${MAX_ANSWER_TEXT} characters; compared trimmed, spaces collapsed, by default without case or accents.`,
		properties: { text: { type: "string", maxLength: MAX_ANSWER_TEXT } },
		required: ["text"],
		additionalProperties: false,
	},
	numeric: {
		title: "numeric",
		type: "object",
		description: 'A number, or a decimal string ("3,14" and "3.14" both read as 3.14); the unit is not typed.',
		properties: { value: { oneOf: [{ type: "number" }, { type: "string", maxLength: 64 }] } },
		required: ["value"],
		additionalProperties: false,
	},
	flashcard: {
		title: "flashcard",
		type: "object",
		description: "The student's own rating of a flashcard: 1 Again, 2 Hard, 3 Good, 4 Easy (not graded).",
		properties: { rating: { type: "integer", minimum: 1, maximum: 4 } },
		required: ["rating"],
		additionalProperties: false,
	},
} as const;

export const ANSWER_DESCRIPTION =
	"The answer, shaped by the item's kind: single_choice `{choiceId}`, multiple_choice `{choiceIds}`, true_false `{value: boolean}`, " +
	"short_answer `{text}`, numeric `{value: number | decimal string}`, flashcard `{rating: 1..4}`. A lesson takes no answer. " +
	"A wrong shape is a 422 naming `answer.<field>`.";

/** The validator rule of an `answer` parameter. */
export const ANSWER_RULE = {
	type: "any",
	description: ANSWER_DESCRIPTION,
	openapi: { description: ANSWER_DESCRIPTION, anyOf: Object.values(ANSWER_SCHEMAS) },
} as const;
