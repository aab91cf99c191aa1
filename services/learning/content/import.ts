/**
 * Bulk import of content items from CSV or JSON (format in docs/CONTENT_IMPORT.md). Each row goes
 * through the same checks as `content.create` (the params schema, then `validateItem`); a row with any
 * problem is left out of `items` and described in `errors` with its line: the CSV physical line (the
 * header is line 1), or the JSON array index + 1. The service applies the teacher's choice between
 * keeping the valid rows and all-or-nothing. A problem with the file itself (malformed, empty, too
 * many items, unknown column) throws a 422 IMPORT_INVALID (413 when the text is too large).
 */
import { Validators } from "moleculer";
import { parseCsv } from "../../shared/csv.js";
import { ClientError, ERR } from "../../shared/errors.js";
import { IMPORT_ITEM_SCHEMA, type ContentDraft, type ContentInput } from "./content-types.js";
import { parseDecimal } from "./grading.js";
import { prepareItem, validateItem } from "./validate-item.js";

export const MAX_IMPORT_ITEMS = 2000;
/** About 2000 items of 2.5 kB each; the gateway's body limit should be at least this. */
export const MAX_IMPORT_CHARS = 5_000_000;

export const CSV_COLUMNS = [
	"kind",
	"title",
	"subject",
	"tags",
	"difficulty",
	"expectedSeconds",
	"markdown",
	"front",
	"back",
	"prompt",
	"explanation",
	"choices",
	"scoring",
	"answer",
	"accepted",
	"caseSensitive",
	"accentSensitive",
	"value",
	"tolerance",
	"unit",
] as const;
export const REQUIRED_CSV_COLUMNS = ["kind", "title"] as const;

export type ImportFormat = "csv" | "json";

export interface ImportError {
	/** CSV: physical line (header = 1). JSON: array index + 1. 0 for a problem with the whole file. */
	line: number;
	field: string;
	message: string;
}

export interface ImportedItem {
	line: number;
	item: ContentDraft;
}

export interface ImportResult {
	items: ImportedItem[];
	errors: ImportError[];
}

export interface ImportOptions {
	/** Used when a row gives no subject (a deck for one subject). */
	defaultSubject?: string;
}

function fileError(message: string, line = 0, field = "file"): ClientError {
	return new ClientError(`Invalid import: ${message}`, 422, ERR.IMPORT_INVALID, [{ line, field, message }]);
}

type FvError = { field?: string; message?: string; type?: string };
const checkSchema = new Validators.Fastest().compile(IMPORT_ITEM_SCHEMA) as unknown as (v: unknown) => true | FvError[];

/** One row's way through the create checks: the cleaned, defaulted draft, or its problems. */
function checkRow(line: number, input: Record<string, unknown>, opts: ImportOptions): ImportedItem | ImportError[] {
	if (opts.defaultSubject !== undefined && (input.subject === undefined || input.subject === "")) {
		input.subject = opts.defaultSubject;
	}
	const shape = checkSchema(input);
	if (shape !== true) {
		return shape.map(e => ({ line, field: e.field ?? "item", message: (e.message ?? e.type ?? "is invalid").replace(/^The '[^']*' field /, "") }));
	}
	const problems = validateItem(input);
	if (problems.length > 0) return problems.map(p => ({ line, field: p.field, message: p.message }));
	return { line, item: prepareItem(input as unknown as ContentInput, { origin: "imported", status: "draft" }) };
}

function collect(results: (ImportedItem | ImportError[])[]): ImportResult {
	const items: ImportedItem[] = [];
	const errors: ImportError[] = [];
	for (const r of results) {
		if (Array.isArray(r)) errors.push(...r);
		else items.push(r);
	}
	return { items, errors };
}

// ------------------------------------------------------------------------------------------ CSV

/**
 * Splits a list cell on "|". A backslash escapes the next character, so "\|" is a literal pipe, "\*" a
 * literal leading star and "\\" a backslash. Returns each entry with whether it was starred (a leading
 * unescaped "*": the correct choices).
 */
export function splitList(cell: string): { text: string; starred: boolean }[] {
	const out: { text: string; starred: boolean }[] = [];
	let text = "";
	let starred = false;
	let atStart = true;
	const push = () => {
		out.push({ text: text.trim(), starred });
		text = "";
		starred = false;
		atStart = true;
	};
	for (let i = 0; i < cell.length; i++) {
		const c = cell[i];
		if (c === "\\" && i + 1 < cell.length) {
			text += cell[++i];
			atStart = false;
		} else if (c === "|") {
			push();
		} else if (c === "*" && atStart && !starred) {
			starred = true;
		} else {
			text += c;
			if (atStart && c.trim() !== "") atStart = false;
		}
	}
	push();
	return out;
}

const TRUE_WORDS = ["true", "yes", "1", "vrai", "oui", "y", "t"];
const FALSE_WORDS = ["false", "no", "0", "faux", "non", "n", "f"];

function parseBool(raw: string): boolean | null {
	const v = raw.trim().toLowerCase();
	if (TRUE_WORDS.includes(v)) return true;
	if (FALSE_WORDS.includes(v)) return false;
	return null;
}

function csvRowToInput(line: number, values: Record<string, string>): { input: Record<string, unknown>; errors: ImportError[] } {
	const input: Record<string, unknown> = {};
	const errors: ImportError[] = [];
	for (const [column, raw] of Object.entries(values)) {
		// A quoted cell from a Windows spreadsheet keeps its CRLF line breaks: store LF only.
		const cell = raw.replace(/\r\n?/g, "\n").trim();
		if (cell === "") continue;
		switch (column) {
			case "tags":
				input.tags = cell.split(";").map(t => t.trim()).filter(Boolean);
				break;
			case "difficulty":
			case "expectedSeconds": {
				const n = /^[+-]?\d+$/.test(cell) ? Number(cell) : NaN;
				if (Number.isSafeInteger(n)) input[column] = n;
				else errors.push({ line, field: column, message: `"${cell.slice(0, 40)}" is not a whole number` });
				break;
			}
			case "value":
			case "tolerance": {
				const n = parseDecimal(cell);
				if (n !== null) input[column] = n;
				else errors.push({ line, field: column, message: `"${cell.slice(0, 40)}" is not a number` });
				break;
			}
			case "answer":
			case "caseSensitive":
			case "accentSensitive": {
				const b = parseBool(cell);
				if (b !== null) input[column] = b;
				else errors.push({ line, field: column, message: `"${cell.slice(0, 40)}" is neither true nor false` });
				break;
			}
			case "choices":
				input.choices = splitList(cell).map(({ text, starred }) => ({ text, correct: starred }));
				break;
			case "accepted":
				// "*" means nothing here: a leading star is part of the answer.
				input.accepted = splitList(cell).map(({ text, starred }) => (starred ? `*${text}` : text));
				break;
			default:
				input[column] = cell;
		}
	}
	return { input, errors };
}

function parseCsvImport(text: string, opts: ImportOptions): ImportResult {
	const csv = parseCsv(text, { maxRows: MAX_IMPORT_ITEMS });
	const unknown = csv.header.filter(h => !(CSV_COLUMNS as readonly string[]).includes(h));
	if (unknown.length > 0) {
		throw fileError(`unknown column${unknown.length > 1 ? "s" : ""} ${unknown.map(u => `"${u.slice(0, 40)}"`).join(", ")} (expected some of ${CSV_COLUMNS.join(", ")})`, 1, "header");
	}
	const missing = REQUIRED_CSV_COLUMNS.filter(c => !csv.header.includes(c));
	if (missing.length > 0) throw fileError(`the column${missing.length > 1 ? "s" : ""} ${missing.join(", ")} ${missing.length > 1 ? "are" : "is"} missing`, 1, "header");
	if (csv.rows.length === 0) throw fileError("the file holds no item", 1);

	return collect(
		csv.rows.map(({ line, values }) => {
			const { input, errors } = csvRowToInput(line, values);
			return errors.length > 0 ? errors : checkRow(line, input, opts);
		}),
	);
}

// ----------------------------------------------------------------------------------------- JSON

function jsonErrorLine(text: string, err: unknown): number {
	const match = /position (\d+)/.exec(err instanceof Error ? err.message : "");
	return match ? text.slice(0, Number(match[1])).split("\n").length : 0;
}

function parseJsonImport(text: string, opts: ImportOptions): ImportResult {
	let data: unknown;
	try {
		data = JSON.parse(text.startsWith("\uFEFF") ? text.slice(1) : text);
	} catch (err) {
		throw fileError("the text is not valid JSON", jsonErrorLine(text, err), "json");
	}
	if (!Array.isArray(data)) throw fileError("expected a JSON array of items", 0, "json");
	if (data.length === 0) throw fileError("the file holds no item", 0, "json");
	if (data.length > MAX_IMPORT_ITEMS) throw fileError(`more than ${MAX_IMPORT_ITEMS} items`, MAX_IMPORT_ITEMS + 1, "json");
	return collect(
		data.map((entry, index) => {
			const line = index + 1;
			if (typeof entry !== "object" || entry === null || Array.isArray(entry)) {
				return [{ line, field: "item", message: "must be an object" }];
			}
			// A copy: the schema trims and strips fields in place.
			return checkRow(line, { ...(entry as Record<string, unknown>) }, opts);
		}),
	);
}

/** Reads a CSV or JSON import into drafts (origin "imported", status "draft") and per-line errors. */
export function parseImport(format: ImportFormat, text: string, opts: ImportOptions = {}): ImportResult {
	if (typeof text !== "string") throw fileError("the import text is missing");
	if (text.length > MAX_IMPORT_CHARS) {
		throw new ClientError(`Import larger than ${MAX_IMPORT_CHARS} characters`, 413, ERR.PAYLOAD_TOO_LARGE, { limit: MAX_IMPORT_CHARS });
	}
	if (format === "csv") return parseCsvImport(text, opts);
	if (format === "json") return parseJsonImport(text, opts);
	throw fileError(`unknown format "${String(format).slice(0, 20)}" (csv or json)`, 0, "format");
}

/** Shorthand for the service's all-or-nothing mode: the error it throws when any row is invalid. */
export function importRejected(errors: ImportError[]): ClientError {
	return new ClientError(`The import has ${errors.length} problem${errors.length === 1 ? "" : "s"}; nothing was imported`, 422, ERR.IMPORT_INVALID, errors);
}
