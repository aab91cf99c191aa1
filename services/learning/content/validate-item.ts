/**
 * The checks a params schema cannot make: fields the kind requires or does not use, unique choice ids,
 * the right number of correct choices, non-blank text, a tolerance ≥ 0. `validateItem` reports every
 * problem as `{ field, message }`; `checkItem` turns them into a 422 or returns the item with its
 * defaults filled in (`prepareItem`). Written defensively: it also runs on JSON import rows.
 */
import { ClientError, ERR, conflict, type FieldProblem } from "../../shared/errors.js";
import {
	ALL_BODY_FIELDS,
	CHOICE_ID_PATTERN,
	CONTENT_KINDS,
	CONTENT_LIMITS as L,
	CONTENT_ORIGINS,
	CONTENT_STATUSES,
	COMMON_FIELDS,
	DEFAULT_DIFFICULTY,
	DEFAULT_EXPECTED_SECONDS,
	KIND_FIELDS,
	MC_SCORING,
	STATUS_TRANSITIONS,
	type Choice,
	type ContentInput,
	type ContentItem,
	type ContentKind,
	type ContentOrigin,
	type ContentPatch,
	type ContentStatus,
	type Difficulty,
} from "./content-types.js";
import { normalizeAnswer } from "./grading.js";
import { charCount } from "../../shared/text-hygiene.js";

const KIND_LABEL: Record<ContentKind, string> = {
	lesson: "a lesson",
	flashcard: "a flashcard",
	single_choice: "a single choice question",
	multiple_choice: "a multiple choice question",
	true_false: "a true/false question",
	short_answer: "a short answer question",
	numeric: "a numeric question",
};

type Problems = FieldProblem[];

function checkText(problems: Problems, field: string, value: unknown, max: number, required: boolean): void {
	if (value === undefined || value === null) {
		if (required) problems.push({ field, message: "is required" });
		return;
	}
	if (typeof value !== "string") problems.push({ field, message: "must be a string" });
	else if (value.trim() === "") {
		if (required) problems.push({ field, message: "must not be empty" });
	} else if (charCount(value) > max) problems.push({ field, message: `is longer than ${max} characters` });
}

function checkInteger(problems: Problems, field: string, value: unknown, min: number, max: number): void {
	if (value === undefined) return;
	if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
		problems.push({ field, message: `must be an integer from ${min} to ${max}` });
	}
}

function checkBoolean(problems: Problems, field: string, value: unknown, required = false): void {
	if (value === undefined) {
		if (required) problems.push({ field, message: "is required (true or false)" });
	} else if (typeof value !== "boolean") problems.push({ field, message: "must be true or false" });
}

function checkEnum(problems: Problems, field: string, value: unknown, values: readonly string[]): void {
	if (value !== undefined && !values.includes(value as string)) {
		problems.push({ field, message: `must be one of ${values.join(", ")}` });
	}
}

function checkFiniteNumber(problems: Problems, field: string, value: unknown, opts: { required: boolean; min?: number }): void {
	if (value === undefined) {
		if (opts.required) problems.push({ field, message: "is required" });
		return;
	}
	if (typeof value !== "number" || !Number.isFinite(value)) problems.push({ field, message: "must be a finite number" });
	else if (Math.abs(value) > L.maxNumericMagnitude) problems.push({ field, message: `must be within ±${L.maxNumericMagnitude}` });
	else if (opts.min !== undefined && value < opts.min) problems.push({ field, message: `must be at least ${opts.min}` });
}

function checkTags(problems: Problems, tags: unknown): void {
	if (tags === undefined) return;
	if (!Array.isArray(tags)) {
		problems.push({ field: "tags", message: "must be a list of strings" });
		return;
	}
	if (tags.length > L.tags) problems.push({ field: "tags", message: `holds more than ${L.tags} tags` });
	tags.slice(0, L.tags).forEach((tag, i) => checkText(problems, `tags[${i}]`, tag, L.tag, true));
}

function checkChoices(problems: Problems, kind: "single_choice" | "multiple_choice", choices: unknown): void {
	if (choices === undefined) {
		problems.push({ field: "choices", message: "is required" });
		return;
	}
	if (!Array.isArray(choices)) {
		problems.push({ field: "choices", message: "must be a list of choices" });
		return;
	}
	if (choices.length < L.minChoices || choices.length > L.maxChoices) {
		problems.push({ field: "choices", message: `must hold ${L.minChoices} to ${L.maxChoices} choices (found ${choices.length})` });
		if (choices.length > L.maxChoices) return;
	}
	const ids = new Map<string, number>();
	const texts = new Map<string, number>();
	let correct = 0;
	choices.forEach((choice, i) => {
		const at = `choices[${i}]`;
		if (typeof choice !== "object" || choice === null || Array.isArray(choice)) {
			problems.push({ field: at, message: "must be an object with a text" });
			return;
		}
		const c = choice as Record<string, unknown>;
		checkText(problems, `${at}.text`, c.text, L.choiceText, true);
		if (typeof c.text === "string" && c.text.trim() !== "") {
			const key = normalizeAnswer(c.text);
			const first = texts.get(key);
			if (first !== undefined) problems.push({ field: `${at}.text`, message: `is the same as choice ${first + 1}` });
			else texts.set(key, i);
		}
		if (c.id !== undefined) {
			if (typeof c.id !== "string" || !CHOICE_ID_PATTERN.test(c.id) || c.id.length > L.choiceId) {
				problems.push({ field: `${at}.id`, message: `must be 1 to ${L.choiceId} letters, digits, "_" or "-"` });
			} else {
				const first = ids.get(c.id);
				if (first !== undefined) problems.push({ field: `${at}.id`, message: `repeats the id of choice ${first + 1}` });
				else ids.set(c.id, i);
			}
		}
		checkBoolean(problems, `${at}.correct`, c.correct);
		if (c.correct === true) correct++;
	});
	if (kind === "single_choice" && correct !== 1) {
		problems.push({ field: "choices", message: `a single choice question needs exactly one correct choice (found ${correct})` });
	}
	if (kind === "multiple_choice" && correct < 1) {
		problems.push({ field: "choices", message: "a multiple choice question needs at least one correct choice" });
	}
}

function checkAccepted(problems: Problems, input: Record<string, unknown>): void {
	const accepted = input.accepted;
	if (accepted === undefined) {
		problems.push({ field: "accepted", message: "is required (at least one accepted answer)" });
		return;
	}
	if (!Array.isArray(accepted)) {
		problems.push({ field: "accepted", message: "must be a list of strings" });
		return;
	}
	if (accepted.length < 1) problems.push({ field: "accepted", message: "needs at least one accepted answer" });
	if (accepted.length > L.accepted) {
		problems.push({ field: "accepted", message: `holds more than ${L.accepted} answers` });
		return;
	}
	const opts = { caseSensitive: input.caseSensitive === true, accentSensitive: input.accentSensitive === true };
	accepted.forEach((answer, i) => {
		const field = `accepted[${i}]`;
		const before = problems.length;
		checkText(problems, field, answer, L.acceptedText, true);
		// "?" alone is not blank, but it normalises to nothing and could never be matched.
		if (problems.length === before && normalizeAnswer(answer as string, opts) === "") {
			problems.push({ field, message: "is only punctuation and could never match" });
		}
	});
}

/** Every problem with an item to create (or an updated item, see `applyUpdate`); [] when it is valid. */
export function validateItem(input: ContentInput | Record<string, unknown>): FieldProblem[] {
	const problems: Problems = [];
	if (typeof input !== "object" || input === null || Array.isArray(input)) return [{ field: "item", message: "must be an object" }];
	const item = input as Record<string, unknown>;
	const kind = item.kind as ContentKind;
	if (!CONTENT_KINDS.includes(kind)) {
		return [{ field: "kind", message: `must be one of ${CONTENT_KINDS.join(", ")}` }];
	}

	checkText(problems, "title", item.title, L.title, true);
	checkText(problems, "subject", item.subject, L.subject, true);
	checkTags(problems, item.tags);
	checkInteger(problems, "difficulty", item.difficulty, 1, 5);
	checkInteger(problems, "expectedSeconds", item.expectedSeconds, L.minExpectedSeconds, L.maxExpectedSeconds);
	checkEnum(problems, "status", item.status, CONTENT_STATUSES);
	checkEnum(problems, "origin", item.origin, CONTENT_ORIGINS);

	const own = KIND_FIELDS[kind];
	for (const field of ALL_BODY_FIELDS) {
		if (!own.includes(field) && item[field] !== undefined) {
			problems.push({ field, message: `is not used by ${KIND_LABEL[kind]}` });
		}
	}

	switch (kind) {
		case "lesson":
			checkText(problems, "markdown", item.markdown, L.markdown, true);
			return problems;
		case "flashcard":
			checkText(problems, "front", item.front, L.front, true);
			checkText(problems, "back", item.back, L.back, true);
			return problems;
	}

	checkText(problems, "prompt", item.prompt, L.prompt, true);
	checkText(problems, "explanation", item.explanation, L.explanation, false);
	switch (kind) {
		case "single_choice":
		case "multiple_choice":
			checkChoices(problems, kind, item.choices);
			if (kind === "multiple_choice") checkEnum(problems, "scoring", item.scoring, MC_SCORING);
			break;
		case "true_false":
			checkBoolean(problems, "answer", item.answer, true);
			break;
		case "short_answer":
			checkBoolean(problems, "caseSensitive", item.caseSensitive);
			checkBoolean(problems, "accentSensitive", item.accentSensitive);
			checkAccepted(problems, item);
			break;
		case "numeric":
			checkFiniteNumber(problems, "value", item.value, { required: true });
			checkFiniteNumber(problems, "tolerance", item.tolerance, { required: false, min: 0 });
			checkText(problems, "unit", item.unit, L.unit, false);
			break;
	}
	return problems;
}

const trimmed = (s: string | undefined): string | undefined => {
	const t = s?.trim();
	return t ? t : undefined;
};

function choiceIds(choices: NonNullable<ContentInput["choices"]>): Choice[] {
	const used = new Set(choices.map(c => c.id).filter((id): id is string => typeof id === "string"));
	let next = 0;
	const freshId = (): string => {
		// a, b, …, z, then c27, c28, … (ids never encode correctness)
		for (;;) {
			const id = next < 26 ? String.fromCharCode(97 + next) : `c${next + 1}`;
			next++;
			if (!used.has(id)) {
				used.add(id);
				return id;
			}
		}
	};
	return choices.map(c => ({ id: c.id ?? freshId(), text: c.text.trim(), correct: c.correct === true }));
}

/**
 * The item as it will be stored: only the fields of its kind, strings trimmed, tags de-duplicated,
 * defaults filled in (difficulty 3, expectedSeconds by kind, status draft, origin teacher, choice ids
 * a, b, c…, scoring all_or_nothing, case- and accent-insensitive matching, tolerance 0). `overrides`
 * wins over the input (an import forces `origin: "imported"`, `status: "draft"`). Run `validateItem` first.
 */
export function prepareItem(input: ContentInput, overrides: { status?: ContentStatus; origin?: ContentOrigin } = {}): ContentItem {
	const common = {
		title: input.title.trim(),
		subject: input.subject.trim(),
		tags: [...new Set((input.tags ?? []).map(t => t.trim()).filter(Boolean))],
		difficulty: (input.difficulty ?? DEFAULT_DIFFICULTY) as Difficulty,
		expectedSeconds: input.expectedSeconds ?? DEFAULT_EXPECTED_SECONDS[input.kind],
		status: overrides.status ?? input.status ?? "draft",
		origin: overrides.origin ?? input.origin ?? "teacher",
	};
	const prompt = (input.prompt ?? "").trim();
	const explanation = trimmed(input.explanation);
	const question = explanation === undefined ? { prompt } : { prompt, explanation };
	switch (input.kind) {
		case "lesson":
			return { ...common, kind: "lesson", markdown: (input.markdown ?? "").trim() };
		case "flashcard":
			return { ...common, kind: "flashcard", front: (input.front ?? "").trim(), back: (input.back ?? "").trim() };
		case "single_choice":
			return { ...common, kind: "single_choice", ...question, choices: choiceIds(input.choices ?? []) };
		case "multiple_choice":
			return { ...common, kind: "multiple_choice", ...question, choices: choiceIds(input.choices ?? []), scoring: input.scoring ?? "all_or_nothing" };
		case "true_false":
			return { ...common, kind: "true_false", ...question, answer: input.answer === true };
		case "short_answer":
			return {
				...common,
				kind: "short_answer",
				...question,
				accepted: [...new Set((input.accepted ?? []).map(a => a.trim()))],
				caseSensitive: input.caseSensitive === true,
				accentSensitive: input.accentSensitive === true,
			};
		case "numeric": {
			const unit = trimmed(input.unit);
			const numeric = { ...common, kind: "numeric" as const, ...question, value: input.value ?? 0, tolerance: input.tolerance ?? 0 };
			return unit === undefined ? numeric : { ...numeric, unit };
		}
	}
}

/** `prepareItem(input)` when the item is valid; otherwise a 422 VALIDATION_ERROR with every problem. */
export function checkItem(input: ContentInput, overrides: { status?: ContentStatus; origin?: ContentOrigin } = {}): ContentItem {
	const problems = validateItem({ ...input, ...overrides });
	if (problems.length > 0) throw new ClientError("Invalid content item", 422, ERR.VALIDATION, problems);
	return prepareItem(input, overrides);
}

/**
 * The input an update produces: the stored item's own fields (whatever else the document holds is left
 * out), then every defined field of the patch. Run `checkItem` on the result: a patch field of another
 * kind is reported there. Lists (tags, choices, accepted) are replaced, not merged; an empty
 * `explanation` or `unit` clears it. Kind, status and origin are not patched.
 */
export function applyUpdate(existing: ContentItem, patch: ContentPatch): ContentInput {
	const merged: Record<string, unknown> = {};
	const source = existing as unknown as Record<string, unknown>;
	for (const field of [...COMMON_FIELDS, ...KIND_FIELDS[existing.kind]]) {
		if (source[field] !== undefined) merged[field] = source[field];
	}
	for (const [field, value] of Object.entries(patch)) {
		if (value === undefined || field === "kind" || field === "status" || field === "origin") continue;
		if (!(COMMON_FIELDS as readonly string[]).includes(field) && !ALL_BODY_FIELDS.includes(field)) continue;
		merged[field] = value;
	}
	return merged as unknown as ContentInput;
}

/** Whether an item may go from one status to another (no-op changes are not transitions). */
export function canTransition(from: ContentStatus, to: ContentStatus): boolean {
	return STATUS_TRANSITIONS[from]?.includes(to) ?? false;
}

/** Throws 409 CONFLICT when the status change is not allowed. */
export function assertTransition(from: ContentStatus, to: ContentStatus): void {
	if (!canTransition(from, to)) {
		throw conflict(`A content item cannot go from ${from} to ${to}`, ERR.CONFLICT, { from, to, allowed: STATUS_TRANSITIONS[from] ?? [] });
	}
}
