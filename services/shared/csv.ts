/**
 * A small RFC 4180 CSV parser for the imports (students, classes). Quoted fields may hold commas,
 * line breaks and doubled quotes; lines end with CRLF or LF. Each row keeps the physical line it
 * started on, so import errors can name the line a person sees in their spreadsheet.
 */
import { ClientError, ERR } from "./errors.js";

export interface CsvRow {
	/** 1-based physical line where the record starts (the header is line 1). */
	line: number;
	values: Record<string, string>;
}

export interface CsvResult {
	header: string[];
	rows: CsvRow[];
}

export const DEFAULT_MAX_ROWS = 5000;

function malformed(message: string, line: number): ClientError {
	return new ClientError(`Malformed CSV: ${message}`, 422, ERR.IMPORT_INVALID, [{ line, field: "csv", message }]);
}

interface RawRecord {
	line: number;
	fields: string[];
}

/** Splits the text into records of raw fields, honouring quotes. */
function tokenize(text: string): RawRecord[] {
	const records: RawRecord[] = [];
	let fields: string[] = [];
	let field = "";
	let line = 1;
	let recordLine = 1;
	let inQuotes = false;
	let quotedField = false;
	let i = 0;

	const endField = () => {
		fields.push(field);
		field = "";
		quotedField = false;
	};
	const endRecord = () => {
		endField();
		// A blank line is no record (spreadsheets often leave one at the end).
		if (!(fields.length === 1 && fields[0] === "")) records.push({ line: recordLine, fields });
		fields = [];
	};

	while (i < text.length) {
		const c = text[i];
		if (inQuotes) {
			if (c === '"') {
				if (text[i + 1] === '"') {
					field += '"';
					i += 2;
					continue;
				}
				inQuotes = false;
				i++;
				const next = text[i];
				if (next !== undefined && next !== "," && next !== "\r" && next !== "\n") {
					throw malformed("unexpected character after a closing quote", line);
				}
				continue;
			}
			if (c === "\n") line++;
			field += c;
			i++;
			continue;
		}
		if (c === '"') {
			if (field !== "" || quotedField) throw malformed("a quote inside an unquoted field", line);
			inQuotes = true;
			quotedField = true;
			i++;
			continue;
		}
		if (c === ",") {
			endField();
			i++;
			continue;
		}
		if (c === "\r" || c === "\n") {
			endRecord();
			i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
			line++;
			recordLine = line;
			continue;
		}
		field += c;
		i++;
	}
	if (inQuotes) throw malformed("a quoted field is not closed", recordLine);
	if (field !== "" || quotedField || fields.length > 0) endRecord();
	return records;
}

export function parseCsv(text: string, opts: { maxRows?: number } = {}): CsvResult {
	const maxRows = opts.maxRows ?? DEFAULT_MAX_ROWS;
	// A byte-order mark from spreadsheet exports is not part of the first column's name.
	const records = tokenize(text.startsWith("\uFEFF") ? text.slice(1) : text);
	if (records.length === 0) throw malformed("the file is empty", 1);

	const [head, ...body] = records;
	const header = head.fields.map(h => h.trim());
	if (header.some(h => h === "")) throw malformed("a header column has no name", head.line);
	const duplicate = header.find((h, i) => header.indexOf(h) !== i);
	if (duplicate !== undefined) throw malformed(`the header repeats the column "${duplicate}"`, head.line);
	if (body.length > maxRows) throw malformed(`more than ${maxRows} rows`, body[maxRows].line);

	const rows = body.map(record => {
		if (record.fields.length !== header.length) {
			throw malformed(`expected ${header.length} fields, found ${record.fields.length}`, record.line);
		}
		// fromEntries defines own properties, so a column named "__proto__" cannot reach a prototype.
		const values: Record<string, string> = Object.fromEntries(header.map((name, i) => [name, record.fields[i]]));
		return { line: record.line, values };
	});
	return { header, rows };
}
