/**
 * School codes: what a young student types with their username to log in, so short, upper case and
 * without look-alike characters (0/O, 1/I/L).
 */
import { randomInt } from "node:crypto";

export const SCHOOL_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789";
export const SCHOOL_CODE_LENGTH = 6;
export const SCHOOL_CODE_PATTERN = /^[A-Z0-9]{4,12}$/;

export function generateSchoolCode(length = SCHOOL_CODE_LENGTH): string {
	let code = "";
	for (let i = 0; i < length; i++) code += SCHOOL_CODE_ALPHABET[randomInt(SCHOOL_CODE_ALPHABET.length)];
	return code;
}

/** What people type: any case, stray spaces or dashes ("abc-123"). */
export function normalizeSchoolCode(input: string): string {
	return input.replace(/[\s-]/g, "").toUpperCase();
}
