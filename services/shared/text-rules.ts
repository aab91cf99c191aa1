/**
 * fastest-validator rules for text people see, so every action cleans names the same way
 * (text-hygiene.ts) before it checks their length: the value the handler gets IS the cleaned text.
 *
 * A `custom` rule with a `check`, not a string rule with a `custom` function: fastest-validator runs a
 * rule's `custom` function even for an absent optional field, and its result then adds the key with
 * `undefined` (a PATCH would erase the field); a `check` only runs on a present value.
 *
 * `min`/`max` count characters (code points) of the cleaned text. A raw input longer than `rawBound(max)`
 * UTF-16 units is refused before cleaning. `chars` carries the limits to the OpenAPI document
 * (services/gateway/openapi.ts), which shows the rule as a string.
 */
import { charCount, cleanLine, cleanText } from "./text-hygiene.js";

export interface TextRuleOptions {
	max: number;
	/** Fewest characters after cleaning (default 1: an empty or invisible-only text is refused). */
	min?: number;
	optional?: boolean;
	nullable?: boolean;
	/** Keeps line breaks (chat-like text) instead of folding everything onto one line. */
	multiline?: boolean;
}

export const TEXT_RULE_DESCRIPTION =
	"Unicode-normalised (NFKC); control, bidi-override and zero-width characters are removed and the text is trimmed before its length (in characters) is checked.";

/** Raw input may hold each allowed character as a surrogate pair plus some invisible padding. */
export function rawBound(max: number): number {
	return max * 2 + 64;
}

type FvError = { type: string; message: string; expected?: number; actual?: unknown };

export function textRule(opts: TextRuleOptions) {
	const min = opts.min ?? 1;
	const raw = rawBound(opts.max);
	const clean = opts.multiline ? cleanText : cleanLine;
	return {
		type: "custom",
		...(opts.optional ? { optional: true } : {}),
		...(opts.nullable ? { nullable: true } : {}),
		chars: { min, max: opts.max },
		description: TEXT_RULE_DESCRIPTION,
		check(value: unknown, errors: FvError[], _schema: unknown, path: string) {
			if (typeof value !== "string") {
				errors.push({ type: "string", message: `The '${path}' field must be a string.`, actual: value });
				return value;
			}
			if (value.length > raw) {
				errors.push({ type: "stringMax", message: `The '${path}' field must be at most ${opts.max} characters long.`, expected: opts.max, actual: charCount(value) });
				return value;
			}
			const cleaned = clean(value);
			const n = charCount(cleaned);
			if (n < min) {
				errors.push(
					min === 1
						? { type: "stringEmpty", message: `The '${path}' field must not be empty (once invisible characters are removed).`, actual: n }
						: { type: "stringMin", message: `The '${path}' field must be at least ${min} characters long.`, expected: min, actual: n },
				);
			} else if (n > opts.max) {
				errors.push({ type: "stringMax", message: `The '${path}' field must be at most ${opts.max} characters long.`, expected: opts.max, actual: n });
			}
			return cleaned;
		},
	} as const;
}
