/**
 * Server-side grading. A student's answer is untrusted input: `validateAnswer` checks its shape against
 * the item's kind before `grade` looks at it, and problems come back as `{ field, message }` for a 422.
 *
 * Answer shapes, by kind:
 *   single_choice    { choiceId: string }
 *   multiple_choice  { choiceIds: string[] }         (distinct ids of the item's choices; may be empty)
 *   true_false       { value: boolean }
 *   short_answer     { text: string }                (≤ 500 characters)
 *   numeric          { value: number | string }      ("3,14" and "3.14" both read as 3.14)
 *   flashcard        { rating: 1 | 2 | 3 | 4 }       (self-rated: Again, Hard, Good, Easy; not graded)
 * A lesson takes no answer.
 */
import { ClientError, ERR, badRequest, type FieldProblem } from "../../shared/errors.js";
import type {
	ContentItem,
	MultipleChoiceItem,
	NumericItem,
	QuestionItem,
	ShortAnswerItem,
} from "./content-types.js";
import { isQuestionKind } from "./content-types.js";

export const MAX_ANSWER_TEXT = 500;

export type SelfRating = 1 | 2 | 3 | 4;

export interface SingleChoiceAnswer {
	choiceId: string;
}
export interface MultipleChoiceAnswer {
	choiceIds: string[];
}
export interface TrueFalseAnswer {
	value: boolean;
}
export interface ShortAnswerAnswer {
	text: string;
}
export interface NumericAnswer {
	value: number;
}
export interface FlashcardAnswer {
	rating: SelfRating;
}
export type QuestionAnswer = SingleChoiceAnswer | MultipleChoiceAnswer | TrueFalseAnswer | ShortAnswerAnswer | NumericAnswer;
export type Answer = QuestionAnswer | FlashcardAnswer;

/** The answer key in the shape of an answer, shown once the student has answered. */
export type ExpectedAnswer =
	| { choiceId: string }
	| { choiceIds: string[] }
	| { value: boolean }
	| { accepted: string[] }
	| { value: number; tolerance: number; unit?: string };

export interface GradeResult {
	correct: boolean;
	/** 0..1; 0 or 1 except for a multiple choice question with partial scoring. */
	score: number;
	expected: ExpectedAnswer;
}

export type AnswerCheck<A = Answer> = { ok: true; answer: A } | { ok: false; problems: FieldProblem[] };

/**
 * The text a short answer is compared on: Unicode NFC, trimmed, inner spaces collapsed, final
 * sentence punctuation dropped ("Paris." = "Paris"); then, unless the item says otherwise, lower-cased
 * and without accents or ligatures ("Élève" = "eleve", "cœur" = "coeur").
 */
export function normalizeAnswer(text: string, opts: { caseSensitive?: boolean; accentSensitive?: boolean } = {}): string {
	let s = text.normalize("NFC").trim().replace(/\s+/gu, " ").replace(/[\s.!?;:…]+$/u, "");
	if (!opts.caseSensitive) s = s.toLowerCase();
	if (!opts.accentSensitive) {
		s = s
			.normalize("NFD")
			.replace(/\p{M}+/gu, "")
			.replace(/œ/g, "oe")
			.replace(/Œ/g, "OE")
			.replace(/æ/g, "ae")
			.replace(/Æ/g, "AE")
			.replace(/ß/g, "ss")
			.normalize("NFC");
	}
	return s;
}

/** Reads "3.14", "3,14", " -2e3 " as numbers; anything else is not a number. */
export function parseDecimal(raw: string): number | null {
	const s = raw.trim();
	if (!/^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$/.test(s)) return null;
	const n = Number(s.replace(",", "."));
	return Number.isFinite(n) ? n : null;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
	typeof v === "object" && v !== null && !Array.isArray(v) && Object.getPrototypeOf(v) === Object.prototype;

function unknownKeys(answer: Record<string, unknown>, allowed: string[]): FieldProblem[] {
	return Object.keys(answer)
		.filter(k => !allowed.includes(k))
		.map(k => ({ field: `answer.${k.slice(0, 40)}`, message: "is not part of this kind of answer" }));
}

/** Checks a self-rating (flashcards): an integer 1 (Again) … 4 (Easy). */
export function selfRatingProblems(rating: unknown, field = "rating"): FieldProblem[] {
	return Number.isInteger(rating) && (rating as number) >= 1 && (rating as number) <= 4
		? []
		: [{ field, message: "must be an integer from 1 (Again) to 4 (Easy)" }];
}

/** The self-rating, or a 422 VALIDATION_ERROR. */
export function validateSelfRating(rating: unknown): SelfRating {
	const problems = selfRatingProblems(rating);
	if (problems.length > 0) throw new ClientError("Invalid rating", 422, ERR.VALIDATION, problems);
	return rating as SelfRating;
}

/** Checks the shape of a student's answer for this item; returns the cleaned answer or the problems. */
export function validateAnswer(item: ContentItem, answer: unknown): AnswerCheck {
	if (item.kind === "lesson") return { ok: false, problems: [{ field: "answer", message: "a lesson takes no answer" }] };
	if (!isPlainObject(answer)) return { ok: false, problems: [{ field: "answer", message: "must be an object" }] };
	const fail = (field: string, message: string): AnswerCheck => ({ ok: false, problems: [{ field: `answer.${field}`, message }] });

	switch (item.kind) {
		case "flashcard": {
			const problems = [...unknownKeys(answer, ["rating"]), ...selfRatingProblems(answer.rating, "answer.rating")];
			return problems.length ? { ok: false, problems } : { ok: true, answer: { rating: answer.rating as SelfRating } };
		}
		case "single_choice": {
			const extra = unknownKeys(answer, ["choiceId"]);
			if (extra.length) return { ok: false, problems: extra };
			const id = answer.choiceId;
			if (typeof id !== "string") return fail("choiceId", "must be a string");
			if (!item.choices.some(c => c.id === id)) return fail("choiceId", "is not one of this question's choices");
			return { ok: true, answer: { choiceId: id } };
		}
		case "multiple_choice": {
			const extra = unknownKeys(answer, ["choiceIds"]);
			if (extra.length) return { ok: false, problems: extra };
			const ids = answer.choiceIds;
			if (!Array.isArray(ids)) return fail("choiceIds", "must be an array of choice ids");
			if (ids.length > item.choices.length) return fail("choiceIds", `holds more than the ${item.choices.length} choices`);
			const known = new Set(item.choices.map(c => c.id));
			const seen = new Set<string>();
			for (const [i, id] of ids.entries()) {
				if (typeof id !== "string" || !known.has(id)) return fail(`choiceIds[${i}]`, "is not one of this question's choices");
				if (seen.has(id)) return fail(`choiceIds[${i}]`, "is selected twice");
				seen.add(id);
			}
			return { ok: true, answer: { choiceIds: [...seen] } };
		}
		case "true_false": {
			const extra = unknownKeys(answer, ["value"]);
			if (extra.length) return { ok: false, problems: extra };
			if (typeof answer.value !== "boolean") return fail("value", "must be true or false");
			return { ok: true, answer: { value: answer.value } };
		}
		case "short_answer": {
			const extra = unknownKeys(answer, ["text"]);
			if (extra.length) return { ok: false, problems: extra };
			if (typeof answer.text !== "string") return fail("text", "must be a string");
			if (answer.text.length > MAX_ANSWER_TEXT) return fail("text", `is longer than ${MAX_ANSWER_TEXT} characters`);
			return { ok: true, answer: { text: answer.text } };
		}
		case "numeric": {
			const extra = unknownKeys(answer, ["value"]);
			if (extra.length) return { ok: false, problems: extra };
			const raw = answer.value;
			const value = typeof raw === "number" ? (Number.isFinite(raw) ? raw : null) : typeof raw === "string" && raw.length <= 64 ? parseDecimal(raw) : null;
			if (value === null) return fail("value", "must be a finite number");
			return { ok: true, answer: { value } };
		}
	}
}

/** The cleaned answer, or a 422 VALIDATION_ERROR listing the problems. */
export function assertAnswer(item: ContentItem, answer: unknown): Answer {
	const check = validateAnswer(item, answer);
	if (!check.ok) throw new ClientError("Invalid answer", 422, ERR.VALIDATION, check.problems);
	return check.answer;
}

/** The answer key of a question, in the shape of an answer. */
export function expectedAnswer(item: QuestionItem): ExpectedAnswer {
	switch (item.kind) {
		case "single_choice":
			return { choiceId: (item.choices.find(c => c.correct) ?? item.choices[0]).id };
		case "multiple_choice":
			return { choiceIds: item.choices.filter(c => c.correct).map(c => c.id) };
		case "true_false":
			return { value: item.answer };
		case "short_answer":
			return { accepted: [...item.accepted] };
		case "numeric":
			return item.unit ? { value: item.value, tolerance: item.tolerance, unit: item.unit } : { value: item.value, tolerance: item.tolerance };
	}
}

function scoreMultiple(item: MultipleChoiceItem, picked: Set<string>): number {
	const right = item.choices.filter(c => c.correct);
	const wrong = item.choices.filter(c => !c.correct);
	const exact = right.every(c => picked.has(c.id)) && wrong.every(c => !picked.has(c.id));
	if (item.scoring !== "partial" || exact) return exact ? 1 : 0;
	const hits = right.filter(c => picked.has(c.id)).length / right.length;
	const misses = wrong.length === 0 ? 0 : wrong.filter(c => picked.has(c.id)).length / wrong.length;
	return Math.max(0, Math.round((hits - misses) * 1e6) / 1e6);
}

function matchesShort(item: ShortAnswerItem, text: string): boolean {
	const opts = { caseSensitive: item.caseSensitive, accentSensitive: item.accentSensitive };
	const given = normalizeAnswer(text, opts);
	return given !== "" && item.accepted.some(a => normalizeAnswer(a, opts) === given);
}

function matchesNumeric(item: NumericItem, value: number): boolean {
	// A hair of slack so that 0.1 + 0.2 against 0.3 with tolerance 0 is right.
	const slack = 1e-9 * Math.max(1, Math.abs(item.value));
	return Math.abs(value - item.value) <= item.tolerance + slack;
}

/**
 * Grades a student's answer to a question. The answer is validated first (422 VALIDATION_ERROR when
 * its shape is wrong); a lesson or a flashcard is not graded (400: flashcards are self-rated).
 */
export function grade(item: ContentItem, answer: unknown): GradeResult {
	if (!isQuestionKind(item.kind)) {
		throw badRequest(item.kind === "flashcard" ? "A flashcard is self-rated, not graded" : "A lesson is not graded");
	}
	const question = item as QuestionItem;
	const a = assertAnswer(question, answer);
	let score: number;
	switch (question.kind) {
		case "single_choice":
			score = question.choices.find(c => c.id === (a as SingleChoiceAnswer).choiceId)?.correct === true ? 1 : 0;
			break;
		case "multiple_choice":
			score = scoreMultiple(question, new Set((a as MultipleChoiceAnswer).choiceIds));
			break;
		case "true_false":
			score = (a as TrueFalseAnswer).value === question.answer ? 1 : 0;
			break;
		case "short_answer":
			score = matchesShort(question, (a as ShortAnswerAnswer).text) ? 1 : 0;
			break;
		case "numeric":
			score = matchesNumeric(question, (a as NumericAnswer).value) ? 1 : 0;
			break;
	}
	return { correct: score === 1, score, expected: expectedAnswer(question) };
}
