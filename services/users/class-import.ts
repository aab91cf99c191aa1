/**
 * The classes CSV: one class per line, keyed by (name, year).
 *
 *   name,subject,level,year,teachers,students
 *   6B,Maths,6e,2025-2026,alice@school.test,pupil1;pupil2;5f1e...24 hex
 *
 * Only `name` is required. `teachers` and `students` list logins separated by ";": a user id (24 hex),
 * an email, or a username. This module checks the shape of each line; the service resolves the logins
 * and writes.
 */
import type { CsvResult } from "../shared/csv.js";
import { charCount, cleanLine } from "../shared/text-hygiene.js";

export const CLASS_COLUMNS = ["name", "subject", "level", "year", "teachers", "students"] as const;

/** The file format, as the API documents it (OpenAPI, docs/ACTIONS.md). */
export const CLASS_CSV_DESCRIPTION = [
	"CSV (RFC 4180, UTF-8) with a header naming some of `name,subject,level,year,teachers,students` (only `name` is required), one class per line,",
	"e.g. `6B,Maths,6e,2025-2026,alice@school.test,pupil1;pupil2`. `year` is free text (\"2025-2026\"). `teachers` and `students` list logins",
	"separated by `;`: a user id (24 hex), an email or a username. A class is keyed by (name, year): a line for an existing class adds its members.",
].join(" ");
export const MAX_MEMBERS_PER_CELL = 1000;

export interface RowError {
	line: number;
	field: string;
	message: string;
}

export type LoginRef = { kind: "id" | "email" | "username"; value: string };

export interface ClassRow {
	line: number;
	name: string;
	subject: string | null;
	level: string | null;
	year: string | null;
	teachers: LoginRef[];
	students: LoginRef[];
}

const LIMITS: Record<string, number> = { name: 120, subject: 100, level: 50, year: 20 };
const USERNAME = /^[a-z0-9][a-z0-9._-]{0,63}$/i;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function classKey(name: string, year: string | null): string {
	return `${name}\u0000${year ?? ""}`;
}

export function parseLogin(raw: string): LoginRef | null {
	const value = raw.trim();
	if (/^[0-9a-f]{24}$/i.test(value)) return { kind: "id", value: value.toLowerCase() };
	if (value.includes("@")) return EMAIL.test(value) && value.length <= 254 ? { kind: "email", value: value.toLowerCase() } : null;
	return USERNAME.test(value) ? { kind: "username", value: value.toLowerCase() } : null;
}

function parseLogins(cell: string | undefined, field: string, line: number, errors: RowError[]): LoginRef[] {
	const refs: LoginRef[] = [];
	const entries = (cell ?? "").split(";").map(s => s.trim()).filter(Boolean);
	if (entries.length > MAX_MEMBERS_PER_CELL) {
		errors.push({ line, field, message: `more than ${MAX_MEMBERS_PER_CELL} entries` });
		return refs;
	}
	for (const entry of entries) {
		const ref = parseLogin(entry);
		if (ref) refs.push(ref);
		else errors.push({ line, field, message: `"${entry.slice(0, 80)}" is neither an id, an email nor a username` });
	}
	return refs;
}

/** Problems with the header itself: the whole file is refused. */
export function headerProblems(header: string[]): string[] {
	const problems: string[] = [];
	if (!header.includes("name")) problems.push(`the column "name" is missing`);
	for (const column of header) {
		if (!(CLASS_COLUMNS as readonly string[]).includes(column)) {
			problems.push(`unknown column "${column}" (expected ${CLASS_COLUMNS.join(", ")})`);
		}
	}
	return problems;
}

/** Checks each line; a line with any problem is left out of `rows` and described in `errors`. */
export function readClassRows(csv: CsvResult): { rows: ClassRow[]; errors: RowError[] } {
	const rows: ClassRow[] = [];
	const errors: RowError[] = [];
	const seen = new Map<string, number>();
	for (const { line, values } of csv.rows) {
		const lineErrors: RowError[] = [];
		const text = (field: string): string | null => {
			// The same cleaning as the REST rules (text-hygiene.ts): what a file brings in is a name like any other.
			const value = cleanLine(values[field] ?? "");
			if (charCount(value) > LIMITS[field]) lineErrors.push({ line, field, message: `longer than ${LIMITS[field]} characters` });
			return value === "" ? null : value;
		};
		const name = text("name");
		if (name === null) lineErrors.push({ line, field: "name", message: "is required" });
		const row = {
			line,
			name: name ?? "",
			subject: text("subject"),
			level: text("level"),
			year: text("year"),
			teachers: parseLogins(values.teachers, "teachers", line, lineErrors),
			students: parseLogins(values.students, "students", line, lineErrors),
		};
		if (name !== null) {
			const key = classKey(name, row.year);
			const first = seen.get(key);
			if (first !== undefined) lineErrors.push({ line, field: "name", message: `the same class as line ${first}` });
			else seen.set(key, line);
		}
		if (lineErrors.length > 0) errors.push(...lineErrors);
		else rows.push(row);
	}
	return { rows, errors };
}
