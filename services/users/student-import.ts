/**
 * Checks the rows of a student CSV before anything is written: required columns, each field's rules
 * and duplicates inside the file. Problems are reported per line so a school can fix its sheet.
 */
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from "./password.js";
import { ClientError, ERR } from "../shared/errors.js";
import type { CsvResult } from "../shared/csv.js";
import { charCount, cleanLine } from "../shared/text-hygiene.js";

export const REQUIRED_COLUMNS = ["username", "firstName", "lastName", "password"] as const;
export const OPTIONAL_COLUMNS = ["email"] as const;

/** The file format, as the API documents it (OpenAPI, docs/ACTIONS.md). */
export const STUDENT_CSV_DESCRIPTION = [
	"CSV (RFC 4180: comma-separated, fields with commas, quotes or line breaks in double quotes, UTF-8) with the header",
	"`username,firstName,lastName,password[,email]` (the columns in any order; `email` is optional and may be empty), one student per line.",
	"`username`: 3 to 50 letters, digits, dots, dashes or underscores, starting with a letter or digit, unique in the school (case-insensitive);",
	`\`firstName\`, \`lastName\`: 1 to 100 characters (cleaned like every name); \`password\`: ${PASSWORD_MIN_LENGTH} to ${PASSWORD_MAX_LENGTH} characters; \`email\`: an address, unique on the platform.`,
	"Students log in with the school's code and their username. Answers 201 `{created: [users], errors: [{line, field, message}]}`;",
	"a malformed file or header is a 422 IMPORT_INVALID, as is any bad line with `mode: all_or_nothing`. Each created student takes a seat.",
].join(" ");

export interface ImportProblem {
	line: number;
	field: string;
	message: string;
}

export interface StudentRow {
	line: number;
	username: string;
	firstName: string;
	lastName: string;
	password: string;
	email?: string;
}

const USERNAME = /^[A-Za-z0-9][A-Za-z0-9._-]{2,49}$/;
// Deliberately simple: the mailbox proves the rest when the student uses it.
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export function assertImportHeader(header: string[]): void {
	const missing = REQUIRED_COLUMNS.filter(c => !header.includes(c));
	const unknown = header.filter(c => !(REQUIRED_COLUMNS as readonly string[]).includes(c) && !(OPTIONAL_COLUMNS as readonly string[]).includes(c));
	const problems = [
		...missing.map(c => ({ line: 1, field: c, message: "missing column" })),
		...unknown.map(c => ({ line: 1, field: c, message: "unknown column" })),
	];
	if (problems.length > 0) throw new ClientError("The CSV header is not username,firstName,lastName,password[,email]", 422, ERR.IMPORT_INVALID, problems);
}

function rowProblems(row: StudentRow): ImportProblem[] {
	const problems: ImportProblem[] = [];
	const add = (field: string, message: string) => problems.push({ line: row.line, field, message });
	if (!USERNAME.test(row.username)) add("username", "3 to 50 letters, digits, dots, dashes or underscores, starting with a letter or digit");
	for (const field of ["firstName", "lastName"] as const) {
		if (row[field].length === 0) add(field, "required");
		else if (charCount(row[field]) > 100) add(field, "at most 100 characters");
	}
	if (row.password.length < PASSWORD_MIN_LENGTH) add("password", `at least ${PASSWORD_MIN_LENGTH} characters`);
	else if (row.password.length > PASSWORD_MAX_LENGTH) add("password", `at most ${PASSWORD_MAX_LENGTH} characters`);
	if (row.email !== undefined && (row.email.length > 254 || !EMAIL.test(row.email))) add("email", "not an email address");
	return problems;
}

/** Valid rows and per-line problems; a username or email repeated in the file is an error on its later lines. */
export function checkStudentRows(csv: CsvResult): { valid: StudentRow[]; errors: ImportProblem[] } {
	assertImportHeader(csv.header);
	const valid: StudentRow[] = [];
	const errors: ImportProblem[] = [];
	const seenUsernames = new Map<string, number>();
	const seenEmails = new Map<string, number>();
	for (const { line, values } of csv.rows) {
		const email = (values.email ?? "").trim();
		const row: StudentRow = {
			line,
			username: values.username.trim(),
			// Names are cleaned like the REST rules clean them (text-hygiene.ts).
			firstName: cleanLine(values.firstName),
			lastName: cleanLine(values.lastName),
			password: values.password,
			...(email ? { email: email.toLowerCase() } : {}),
		};
		const problems = rowProblems(row);
		const username = row.username.toLowerCase();
		if (seenUsernames.has(username)) problems.push({ line, field: "username", message: `already used on line ${seenUsernames.get(username)}` });
		if (row.email && seenEmails.has(row.email)) problems.push({ line, field: "email", message: `already used on line ${seenEmails.get(row.email)}` });
		if (!seenUsernames.has(username)) seenUsernames.set(username, line);
		if (row.email && !seenEmails.has(row.email)) seenEmails.set(row.email, line);
		if (problems.length > 0) errors.push(...problems);
		else valid.push(row);
	}
	return { valid, errors };
}
