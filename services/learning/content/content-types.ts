/**
 * What a content item is: a lesson, a flashcard, or one of five kinds of question. The question
 * kinds are flattened into `kind` (as Moodle's qtype does) so that every item is one discriminated
 * union and the CSV needs a single `kind` column.
 *
 * The answer key of a question (correct flags, the true/false answer, accepted answers, the numeric
 * value and tolerance, the explanation) and the back of a flashcard never leave the server before the
 * student answers: see redact.ts.
 */

import { textRule } from "../../shared/text-rules.js";

export const CONTENT_KINDS = [
	"lesson",
	"flashcard",
	"single_choice",
	"multiple_choice",
	"true_false",
	"short_answer",
	"numeric",
] as const;
export type ContentKind = (typeof CONTENT_KINDS)[number];

export const QUESTION_KINDS = ["single_choice", "multiple_choice", "true_false", "short_answer", "numeric"] as const;
export type QuestionKind = (typeof QUESTION_KINDS)[number];

export function isQuestionKind(kind: unknown): kind is QuestionKind {
	return (QUESTION_KINDS as readonly unknown[]).includes(kind);
}

export const CONTENT_STATUSES = ["draft", "validated", "archived"] as const;
export type ContentStatus = (typeof CONTENT_STATUSES)[number];

/**
 * Allowed status changes. `validated → draft` lets a teacher take an item back to edit it, and
 * `archived → draft` restores an archived one; the service still decides whether an item used by an
 * active path may leave `validated`.
 */
export const STATUS_TRANSITIONS: Readonly<Record<ContentStatus, readonly ContentStatus[]>> = {
	draft: ["validated", "archived"],
	validated: ["archived", "draft"],
	archived: ["draft"],
};

export const CONTENT_ORIGINS = ["teacher", "imported", "ai_generated"] as const;
export type ContentOrigin = (typeof CONTENT_ORIGINS)[number];

export const MC_SCORING = ["all_or_nothing", "partial"] as const;
/**
 * Multiple choice scoring. `all_or_nothing` (the default): 1 when the selected set is exactly the
 * correct set, else 0. `partial`: (correct selected / correct choices) − (wrong selected / wrong
 * choices), floored at 0, so ticking everything scores 0 and a guess is not rewarded.
 */
export type MultipleChoiceScoring = (typeof MC_SCORING)[number];

export type Difficulty = 1 | 2 | 3 | 4 | 5;
export const DEFAULT_DIFFICULTY: Difficulty = 3;

/**
 * Expected answer (or reading) time by kind, used when a teacher gives none. The revision rule
 * compares the response time with it to tell a slow right answer (Hard) from a fast one (Easy).
 */
export const DEFAULT_EXPECTED_SECONDS: Readonly<Record<ContentKind, number>> = {
	lesson: 180,
	flashcard: 10,
	true_false: 10,
	single_choice: 20,
	multiple_choice: 30,
	short_answer: 25,
	numeric: 40,
};

/** Size limits, shared by the params schemas, the semantic checks and the import. */
export const CONTENT_LIMITS = {
	title: 200,
	subject: 100,
	tag: 50,
	tags: 20,
	markdown: 50_000,
	front: 2_000,
	back: 2_000,
	prompt: 2_000,
	explanation: 2_000,
	choiceText: 500,
	choiceId: 20,
	minChoices: 2,
	maxChoices: 10,
	acceptedText: 200,
	accepted: 20,
	unit: 20,
	minExpectedSeconds: 1,
	maxExpectedSeconds: 3_600,
	/** Bounds a numeric answer key, so a typo like 1e308 is caught and arithmetic stays exact enough. */
	maxNumericMagnitude: 1e15,
} as const;

export const CHOICE_ID_PATTERN = /^[A-Za-z0-9_-]+$/;

export interface ContentCommon {
	title: string;
	subject: string;
	tags: string[];
	difficulty: Difficulty;
	/** Expected time to answer (or read, for a lesson), in seconds. */
	expectedSeconds: number;
	status: ContentStatus;
	origin: ContentOrigin;
}

export interface Choice {
	/** Stable within the item; what a student sends back. Never encodes correctness. */
	id: string;
	text: string;
	correct: boolean;
}

export interface LessonBody {
	kind: "lesson";
	/** Markdown, rendered by the client. */
	markdown: string;
}

export interface FlashcardBody {
	kind: "flashcard";
	front: string;
	back: string;
}

interface QuestionBase {
	prompt: string;
	/** Shown after the student answers (part of the answer key). */
	explanation?: string;
}

export interface SingleChoiceBody extends QuestionBase {
	kind: "single_choice";
	/** 2..10 choices, exactly one correct. */
	choices: Choice[];
}

export interface MultipleChoiceBody extends QuestionBase {
	kind: "multiple_choice";
	/** 2..10 choices, at least one correct. */
	choices: Choice[];
	scoring: MultipleChoiceScoring;
}

export interface TrueFalseBody extends QuestionBase {
	kind: "true_false";
	answer: boolean;
}

export interface ShortAnswerBody extends QuestionBase {
	kind: "short_answer";
	/** 1..20 accepted answers. Matching trims and collapses spaces; see grading.ts `normalizeAnswer`. */
	accepted: string[];
	/** Default false: "Paris" matches "paris". */
	caseSensitive: boolean;
	/** Default false: "Eleve" matches "élève". */
	accentSensitive: boolean;
}

export interface NumericBody extends QuestionBase {
	kind: "numeric";
	value: number;
	/** Absolute tolerance, ≥ 0: an answer a is right when |a − value| ≤ tolerance. */
	tolerance: number;
	/** Shown to the student (e.g. "m/s"); the student types the number only. */
	unit?: string;
}

export type ContentBody =
	| LessonBody
	| FlashcardBody
	| SingleChoiceBody
	| MultipleChoiceBody
	| TrueFalseBody
	| ShortAnswerBody
	| NumericBody;

/** A complete item as stored (the service adds id, schoolId, ownerId and timestamps). */
export type ContentItem = ContentCommon & ContentBody;
export type LessonItem = ContentCommon & LessonBody;
export type FlashcardItem = ContentCommon & FlashcardBody;
export type SingleChoiceItem = ContentCommon & SingleChoiceBody;
export type MultipleChoiceItem = ContentCommon & MultipleChoiceBody;
export type TrueFalseItem = ContentCommon & TrueFalseBody;
export type ShortAnswerItem = ContentCommon & ShortAnswerBody;
export type NumericItem = ContentCommon & NumericBody;
export type QuestionItem = SingleChoiceItem | MultipleChoiceItem | TrueFalseItem | ShortAnswerItem | NumericItem;
export type ChoiceItem = SingleChoiceItem | MultipleChoiceItem;

/** A complete item not yet stored, e.g. one import row. */
export type ContentDraft = ContentItem;

/**
 * What a client sends to create an item (after the params schema): defaults fill the rest in
 * `prepareItem` (validate-item.ts). Fields of another kind are refused by `validateItem`.
 */
export interface ContentInput {
	kind: ContentKind;
	title: string;
	subject: string;
	tags?: string[];
	difficulty?: number;
	expectedSeconds?: number;
	status?: ContentStatus;
	origin?: ContentOrigin;
	markdown?: string;
	front?: string;
	back?: string;
	prompt?: string;
	explanation?: string;
	choices?: { id?: string; text: string; correct?: boolean }[];
	scoring?: MultipleChoiceScoring;
	answer?: boolean;
	accepted?: string[];
	caseSensitive?: boolean;
	accentSensitive?: boolean;
	value?: number;
	tolerance?: number;
	unit?: string;
}

/** What a client sends to update an item: any field but kind, status and origin. */
export type ContentPatch = Partial<Omit<ContentInput, "kind" | "status" | "origin">>;

/** Fields that belong to each kind besides the common ones (used to refuse foreign fields). */
export const KIND_FIELDS: Readonly<Record<ContentKind, readonly string[]>> = {
	lesson: ["markdown"],
	flashcard: ["front", "back"],
	single_choice: ["prompt", "explanation", "choices"],
	multiple_choice: ["prompt", "explanation", "choices", "scoring"],
	true_false: ["prompt", "explanation", "answer"],
	short_answer: ["prompt", "explanation", "accepted", "caseSensitive", "accentSensitive"],
	numeric: ["prompt", "explanation", "value", "tolerance", "unit"],
};
export const COMMON_FIELDS = ["kind", "title", "subject", "tags", "difficulty", "expectedSeconds", "status", "origin"] as const;
export const ALL_BODY_FIELDS = [...new Set(Object.values(KIND_FIELDS).flat())];

// ---------------------------------------------------------------------------------------------------
// fastest-validator params schemas. The shape is checked here; what needs several fields at once
// (fields required by the kind, unique choice ids, …) is `validateItem`, which the service runs next.
// ---------------------------------------------------------------------------------------------------

const L = CONTENT_LIMITS;
const text = (max: number, optional = true) => ({ type: "string", trim: true, min: 1, max, optional }) as const;
/** Titles, subjects and tags are names people see: cleaned like every name (text-hygiene.ts). */
const name = (max: number, optional = true) => textRule({ max, optional });

/**
 * Counts the correct choices against the kind: exactly one for single choice, at least one for
 * multiple choice. It hangs on the (required) `kind` rule and reads the choices from the validated
 * params (`context.data`): a custom check on the optional `choices` rule would run on an absent value
 * and leave `choices: undefined` in the params. Where the schema is nested, or in an update (no kind),
 * this stays silent and `validateItem` makes the same check.
 */
function checkCorrectCount(
	kind: unknown,
	errors: { type: string; field: string; message: string; actual?: unknown }[],
	_schema: unknown,
	_path: string,
	_parent: unknown,
	context?: { data?: unknown },
) {
	const data = context?.data;
	const choices = data && typeof data === "object" && (data as { kind?: unknown }).kind === kind ? (data as { choices?: unknown }).choices : undefined;
	if (!Array.isArray(choices)) return kind;
	const correct = choices.filter(c => c && typeof c === "object" && (c as { correct?: unknown }).correct === true).length;
	if (kind === "single_choice" && correct !== 1) {
		errors.push({ type: "correctCount", field: "choices", message: `A single choice question needs exactly one correct choice (found ${correct}).`, actual: correct });
	} else if (kind === "multiple_choice" && correct < 1) {
		errors.push({ type: "correctCount", field: "choices", message: "A multiple choice question needs at least one correct choice.", actual: correct });
	}
	return kind;
}

const CHOICE_RULE = {
	type: "object",
	strict: "remove",
	props: {
		id: { type: "string", trim: true, min: 1, max: L.choiceId, pattern: CHOICE_ID_PATTERN, optional: true },
		text: text(L.choiceText, false),
		correct: { type: "boolean", optional: true },
	},
} as const;

/** Fields any update may change (kind-specific ones are checked against the kind by validateItem). */
const EDITABLE_PROPS = {
	title: name(L.title),
	subject: name(L.subject),
	tags: { type: "array", max: L.tags, optional: true, items: name(L.tag, false) },
	difficulty: { type: "number", integer: true, min: 1, max: 5, optional: true },
	expectedSeconds: { type: "number", integer: true, min: L.minExpectedSeconds, max: L.maxExpectedSeconds, optional: true },
	markdown: {
		...text(L.markdown),
		description:
			"A lesson's content, in Markdown (GitHub flavour), stored as written. Answers also carry `html`: the same lesson rendered and sanitised (no script, style, iframe, event handler; http(s) links and images only) for clients that render HTML.",
	},
	front: text(L.front),
	back: text(L.back),
	prompt: text(L.prompt),
	explanation: { type: "string", trim: true, max: L.explanation, optional: true },
	choices: {
		type: "array",
		min: L.minChoices,
		max: L.maxChoices,
		optional: true,
		items: CHOICE_RULE,
	},
	scoring: { type: "enum", values: [...MC_SCORING], optional: true },
	answer: { type: "boolean", optional: true },
	accepted: { type: "array", min: 1, max: L.accepted, optional: true, items: text(L.acceptedText, false) },
	caseSensitive: { type: "boolean", optional: true },
	accentSensitive: { type: "boolean", optional: true },
	value: { type: "number", min: -L.maxNumericMagnitude, max: L.maxNumericMagnitude, optional: true },
	tolerance: { type: "number", min: 0, max: L.maxNumericMagnitude, optional: true },
	unit: { type: "string", trim: true, max: L.unit, optional: true },
} as const;

/**
 * `content.create` params. Unknown fields are dropped. Follow with `checkItem(params)` (validate-item.ts),
 * which refuses fields of another kind and missing kind-specific fields, and fills the defaults.
 * The service should force `origin` for callers that may not choose it (an HTTP teacher → "teacher").
 */
export const CREATE_ITEM_PARAMS = {
	$$strict: "remove",
	kind: { type: "enum", values: [...CONTENT_KINDS], custom: checkCorrectCount },
	...EDITABLE_PROPS,
	title: name(L.title, false),
	subject: name(L.subject, false),
	status: { type: "enum", values: ["draft", "validated"], optional: true },
	origin: { type: "enum", values: [...CONTENT_ORIGINS], optional: true },
} as const;

/**
 * `content.update` params without the item's id: spread it and add yours,
 * `{ id: "string", ...UPDATE_ITEM_PARAMS }`. Kind, status and origin cannot be patched (status moves
 * through `canTransition`). Follow with `applyUpdate(existing, patch)` then `checkItem`.
 */
export const UPDATE_ITEM_PARAMS = {
	$$strict: "remove",
	...EDITABLE_PROPS,
} as const;

/** The schema each imported item goes through: the create schema, where status and origin are not the file's to choose. */
export const IMPORT_ITEM_SCHEMA = (() => {
	const { status: _status, origin: _origin, ...rest } = CREATE_ITEM_PARAMS;
	return rest;
})();

/** `content.transition` params (id added by the service). */
export const TRANSITION_PARAMS = {
	status: { type: "enum", values: [...CONTENT_STATUSES] },
} as const;
