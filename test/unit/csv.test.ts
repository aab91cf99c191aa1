import { expect } from "chai";
import { parseCsv } from "../../services/shared/csv.js";
import { ERR } from "../../services/shared/errors.js";

function parseError(text: string, opts?: { maxRows?: number }): any {
	try {
		parseCsv(text, opts);
	} catch (err) {
		return err;
	}
	throw new Error("expected parseCsv to throw");
}

describe("parseCsv", () => {
	it("reads a header and rows keyed by column", () => {
		const { header, rows } = parseCsv("username,firstName\nada,Ada\nbob,Bob\n");
		expect(header).to.deep.equal(["username", "firstName"]);
		expect(rows).to.deep.equal([
			{ line: 2, values: { username: "ada", firstName: "Ada" } },
			{ line: 3, values: { username: "bob", firstName: "Bob" } },
		]);
	});

	it("handles CRLF, quoted commas, escaped quotes and empty fields", () => {
		const { rows } = parseCsv('a,b,c\r\n"x, y","say ""hi""",\r\n');
		expect(rows).to.deep.equal([{ line: 2, values: { a: "x, y", b: 'say "hi"', c: "" } }]);
	});

	it("keeps line breaks inside quotes and counts physical lines", () => {
		const { rows } = parseCsv('a,b\n"one\ntwo",1\n3,4');
		expect(rows[0]).to.deep.equal({ line: 2, values: { a: "one\ntwo", b: "1" } });
		expect(rows[1]).to.deep.equal({ line: 4, values: { a: "3", b: "4" } });
	});

	it("skips blank lines and a byte-order mark, and trims header names", () => {
		const { header, rows } = parseCsv("\uFEFF name , age\n\nada,3\n\n");
		expect(header).to.deep.equal(["name", "age"]);
		expect(rows).to.deep.equal([{ line: 3, values: { name: "ada", age: "3" } }]);
	});

	it("accepts a quoted empty last field without a trailing newline", () => {
		expect(parseCsv('a,b\n1,""').rows[0].values).to.deep.equal({ a: "1", b: "" });
	});

	it("rejects an unclosed quote with IMPORT_INVALID and its line", () => {
		const err = parseError('a,b\n1,2\n"open,3\n');
		expect(err.type).to.equal(ERR.IMPORT_INVALID);
		expect(err.code).to.equal(422);
		expect(err.data[0].line).to.equal(3);
	});

	it("rejects a quote inside an unquoted field and text after a closing quote", () => {
		expect(parseError('a\nab"c\n').type).to.equal(ERR.IMPORT_INVALID);
		expect(parseError('a,b\n"x"y,1\n').type).to.equal(ERR.IMPORT_INVALID);
	});

	it("rejects rows with the wrong number of fields, naming the line", () => {
		const err = parseError("a,b\n1,2\n3\n");
		expect(err.type).to.equal(ERR.IMPORT_INVALID);
		expect(err.data[0].line).to.equal(3);
	});

	it("rejects an empty file, empty or duplicate header names", () => {
		expect(parseError("").type).to.equal(ERR.IMPORT_INVALID);
		expect(parseError("\n\n").type).to.equal(ERR.IMPORT_INVALID);
		expect(parseError("a,,b\n").type).to.equal(ERR.IMPORT_INVALID);
		expect(parseError("a,a\n1,2\n").type).to.equal(ERR.IMPORT_INVALID);
	});

	it("caps the number of rows", () => {
		const text = "a\n" + Array.from({ length: 4 }, (_, i) => String(i)).join("\n");
		expect(parseCsv(text, { maxRows: 4 }).rows).to.have.length(4);
		expect(parseError(text, { maxRows: 3 }).type).to.equal(ERR.IMPORT_INVALID);
	});

	it("returns a header with no rows", () => {
		expect(parseCsv("a,b\r\n")).to.deep.equal({ header: ["a", "b"], rows: [] });
	});

	it("does not let a __proto__ column reach the prototype", () => {
		const { rows } = parseCsv("__proto__,b\nx,y\n");
		expect(Object.getPrototypeOf(rows[0].values)).to.equal(Object.prototype);
		expect(Object.keys(rows[0].values)).to.deep.equal(["__proto__", "b"]);
	});
});
