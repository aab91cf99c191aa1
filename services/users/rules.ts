/** fastest-validator rules shared by the identity services (users, schools, auth). */
import { textRule } from "../shared/text-rules.js";

export { ID } from "../shared/params.js";
/** A first or last name: cleaned (text-hygiene.ts), 1..100 characters. */
export const PERSON_NAME = textRule({ max: 100 });
export const LOCALE = { type: "string", min: 2, max: 20, pattern: /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/ } as const;
/** A search text, cleaned like the names it is compared with. */
export const SEARCH = textRule({ max: 100, optional: true });

const SHORT_TEXT = textRule({ max: 100 });

export const STUDENT_LEVELS = {
	type: "array",
	max: 50,
	items: { type: "object", strict: true, props: { subject: SHORT_TEXT, level: textRule({ max: 50 }) } },
} as const;

export const STUDENT_PREFERENCES = {
	type: "object",
	strict: true,
	props: {
		dailyGoalMinutes: { type: "number", integer: true, min: 0, max: 600, optional: true },
		sessionLengthMinutes: { type: "number", integer: true, min: 1, max: 240, optional: true },
		reminders: { type: "boolean", optional: true },
		reminderTime: { type: "string", pattern: /^([01]\d|2[0-3]):[0-5]\d$/, optional: true },
		language: { ...LOCALE, optional: true },
	},
} as const;

export const STUDENT_ACCOMMODATIONS = {
	type: "object",
	strict: true,
	props: {
		extraTimePercent: { type: "number", integer: true, min: 0, max: 200, optional: true },
		largeText: { type: "boolean", optional: true },
		dyslexiaFont: { type: "boolean", optional: true },
		textToSpeech: { type: "boolean", optional: true },
		reducedMotion: { type: "boolean", optional: true },
		notes: textRule({ max: 1000, min: 0, optional: true, multiline: true }),
	},
} as const;

export const TEACHER_PROFILE = {
	type: "object",
	strict: true,
	props: { subjects: { type: "array", max: 30, items: SHORT_TEXT } },
} as const;

/** Escapes user text for a case-insensitive "contains" regex. */
export function containsRegex(text: string): RegExp {
	return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"), "i");
}
