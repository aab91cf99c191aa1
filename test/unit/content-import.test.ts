import { expect } from "chai";
import { readFileSync } from "node:fs";
import {
	CSV_COLUMNS,
	MAX_IMPORT_CHARS,
	MAX_IMPORT_ITEMS,
	importRejected,
	parseImport,
	splitList,
} from "../../services/learning/content/import.js";
import { ERR } from "../../services/shared/errors.js";
import { errorOf } from "../support/thrown.js";

const HEADER = "kind,title,subject,tags,difficulty,markdown,front,back,prompt,choices,answer,accepted,value,tolerance,unit";

describe("content import errors", () => {
	describe("CSV", () => {
		it("reads one item of every kind, as imported drafts, with their physical lines", () => {
			const csv = [
				HEADER,
				'lesson,Capitals of Europe,Geography,europe,1,"# Capitals',
				'Each country has one capital.",,,,,,,,,',
				"flashcard,Italy,Geography,europe;capitals,2,,Capital of Italy?,Rome,,,,,,,",
				"single_choice,Spain,Geography,europe,2,,,,Capital of Spain?,Lisbon|*Madrid|Porto,,,,,",
				"multiple_choice,France,Geography,,3,,,,Which cities are in France?,*Lyon|*Nice|Geneva,,,,,",
				"true_false,Berlin,Geography,,1,,,,Berlin is the capital of Germany.,,true,,,,",
				"short_answer,France,Geography,,2,,,,Capital of France?,,,Paris|Paname,,,",
				'numeric,Marathon,Sport,,4,,,,Length of a marathon?,,,,"42,195",0.1,km',
			].join("\r\n");
			const { items, errors } = parseImport("csv", csv);
			expect(errors).to.deep.equal([]);
			expect(items.map(i => [i.line, i.item.kind])).to.deep.equal([
				[2, "lesson"],
				[4, "flashcard"],
				[5, "single_choice"],
				[6, "multiple_choice"],
				[7, "true_false"],
				[8, "short_answer"],
				[9, "numeric"],
			]);
			for (const { item } of items) expect(item).to.include({ origin: "imported", status: "draft" });
			const [lesson, flashcard, single, multiple, trueFalse, short, numeric] = items.map(i => i.item);
			expect(lesson).to.include({ markdown: "# Capitals\nEach country has one capital.", difficulty: 1 });
			expect(flashcard).to.deep.include({ tags: ["europe", "capitals"], front: "Capital of Italy?", back: "Rome" });
			expect(single).to.deep.include({
				choices: [
					{ id: "a", text: "Lisbon", correct: false },
					{ id: "b", text: "Madrid", correct: true },
					{ id: "c", text: "Porto", correct: false },
				],
			});
			expect(multiple.kind === "multiple_choice" && multiple.choices.filter(c => c.correct).map(c => c.text)).to.deep.equal(["Lyon", "Nice"]);
			expect(trueFalse).to.include({ answer: true });
			expect(short).to.deep.include({ accepted: ["Paris", "Paname"] });
			expect(numeric).to.include({ value: 42.195, tolerance: 0.1, unit: "km", expectedSeconds: 40 });
		});

		it("reports each invalid row with its line and reason, and keeps the valid rows", () => {
			const csv = [
				HEADER,
				"single_choice,Two stars,Geo,,,,,,Pick,*A|*B,,,,,", // 2
				'lesson,Multi-line,Geo,,,"line one', // 3
				'line two",,,,,,,,,', // 4 (continues line 3)
				"essay,Unknown kind,Geo,,,,,,,,,,,,", // 5
				"flashcard,Hard card,Geo,,hard,,F,B,,,,,,,", // 6
				"numeric,No value,Geo,,,,,,How much?,,,,,,", // 7
				"lesson,Stray choices,Geo,,,# Hi,,,,A|*B,,,,,", // 8
				"true_false,Maybe,Geo,,,,,,Is it?,,maybe,,,,", // 9
				"flashcard,Good card,Geo,,,,F,B,,,,,,,", // 10
				"short_answer,No subject,,,,,,,Say,,,yes,,,", // 11
			].join("\n");
			const { items, errors } = parseImport("csv", csv);
			expect(items.map(i => [i.line, i.item.title])).to.deep.equal([
				[3, "Multi-line"],
				[10, "Good card"],
			]);
			const byLine = (line: number) => errors.filter(e => e.line === line).map(e => e.field);
			expect(errors.find(e => e.line === 2)).to.deep.include({ field: "choices" });
			expect(errors.find(e => e.line === 2)!.message).to.match(/exactly one correct choice/i);
			expect(byLine(5)).to.deep.equal(["kind"]);
			expect(errors.find(e => e.line === 6)).to.deep.equal({ line: 6, field: "difficulty", message: '"hard" is not a whole number' });
			expect(errors.find(e => e.line === 7)).to.deep.equal({ line: 7, field: "value", message: "is required" });
			expect(errors.find(e => e.line === 8)).to.deep.equal({ line: 8, field: "choices", message: "is not used by a lesson" });
			expect(byLine(9)).to.deep.equal(["answer"]);
			expect(byLine(11)).to.deep.equal(["subject"]);
			expect(new Set(errors.map(e => e.line))).to.deep.equal(new Set([2, 5, 6, 7, 8, 9, 11]));
		});

		it("reports an overlong title and too many choices", () => {
			const choices = Array.from({ length: 11 }, (_, i) => (i === 0 ? "*c0" : `c${i}`)).join("|");
			const csv = `kind,title,subject,prompt,choices\nsingle_choice,${"t".repeat(201)},Geo,Pick,*A|B\nsingle_choice,Many,Geo,Pick,${choices}\n`;
			const { items, errors } = parseImport("csv", csv);
			expect(items).to.deep.equal([]);
			expect(errors.map(e => [e.line, e.field])).to.deep.equal([
				[2, "title"],
				[3, "choices"],
			]);
		});

		it("fills a default subject for rows without one", () => {
			const { items, errors } = parseImport("csv", "kind,title,front,back\nflashcard,Card,F,B\n", { defaultSubject: "History" });
			expect(errors).to.deep.equal([]);
			expect(items[0].item.subject).to.equal("History");
		});

		it("splits lists on unescaped pipes and reads a leading star as correct", () => {
			expect(splitList(String.raw`*a\|b| \*c |d\\`)).to.deep.equal([
				{ text: "a|b", starred: true },
				{ text: "*c", starred: false },
				{ text: "d\\", starred: false },
			]);
			const { items } = parseImport("csv", String.raw`kind,title,subject,prompt,accepted` + "\nshort_answer,T,S,P,*star|x\\|y\n");
			expect(items[0].item).to.deep.include({ accepted: ["*star", "x|y"] });
		});

		it("rejects the whole file for an unknown column, a missing kind column, malformed CSV or no row", () => {
			const unknown = errorOf(() => parseImport("csv", "kind,title,subject,answr\nlesson,T,S,x\n"));
			expect(unknown.code).to.equal(422);
			expect(unknown.type).to.equal(ERR.IMPORT_INVALID);
			expect(unknown.data[0]).to.include({ line: 1, field: "header" });
			expect(unknown.data[0].message).to.include('"answr"');

			expect(errorOf(() => parseImport("csv", "title,subject\nT,S\n")).data[0].message).to.include("kind");
			const malformed = errorOf(() => parseImport("csv", 'kind,title\nlesson,"open\n'));
			expect(malformed.type).to.equal(ERR.IMPORT_INVALID);
			expect(malformed.data[0].line).to.equal(2);
			expect(errorOf(() => parseImport("csv", "kind,title\n")).type).to.equal(ERR.IMPORT_INVALID);
		});

		it(`rejects more than ${MAX_IMPORT_ITEMS} rows`, () => {
			const row = "flashcard,T,S,F,B\n";
			const ok = parseImport("csv", "kind,title,subject,front,back\n" + row.repeat(MAX_IMPORT_ITEMS));
			expect(ok.items).to.have.length(MAX_IMPORT_ITEMS);
			const err = errorOf(() => parseImport("csv", "kind,title,subject,front,back\n" + row.repeat(MAX_IMPORT_ITEMS + 1)));
			expect(err.type).to.equal(ERR.IMPORT_INVALID);
		});
	});

	describe("JSON", () => {
		it("reads an array of items, reports invalid ones by index + 1, and forces origin and status", () => {
			const json = JSON.stringify([
				{ kind: "flashcard", title: "Italy", subject: "Geo", front: "Capital?", back: "Rome", status: "validated", origin: "teacher", extra: 1 },
				{ kind: "single_choice", title: "Spain", subject: "Geo", prompt: "Capital?", choices: [{ text: "Madrid", correct: true }, { text: "" }] },
				"not an item",
				{ kind: "numeric", title: "Pi", subject: "Maths", prompt: "π?", value: 3.14, tolerance: -1 },
				{ kind: "short_answer", title: "Paris", subject: "Geo", prompt: "Capital?", accepted: ["Paris"], PROTO: { polluted: true } },
			]).replace('"PROTO"', '"__proto__"');
			const { items, errors } = parseImport("json", json);
			expect(items.map(i => i.line)).to.deep.equal([1, 5]);
			expect(items[0].item).to.include({ origin: "imported", status: "draft" });
			expect(items[0].item).not.to.have.property("extra");
			expect(errors.map(e => [e.line, e.field])).to.deep.equal([
				[2, "choices[1].text"],
				[3, "item"],
				[4, "tolerance"],
			]);
			expect(({} as Record<string, unknown>).polluted).to.equal(undefined);
			expect(Object.keys(items[1].item)).not.to.include("__proto__");
			expect((items[1].item as unknown as Record<string, unknown>).polluted).to.equal(undefined);
		});

		it("runs the semantic checks after the schema (repeated choice ids)", () => {
			const json = JSON.stringify([
				{ kind: "single_choice", title: "T", subject: "S", prompt: "P", choices: [{ id: "x", text: "A", correct: true }, { id: "x", text: "B" }] },
			]);
			expect(parseImport("json", json).errors).to.deep.equal([{ line: 1, field: "choices[1].id", message: "repeats the id of choice 1" }]);
		});

		it("rejects text that is not JSON, not an array, empty, or too long", () => {
			const broken = errorOf(() => parseImport("json", '[\n{"kind": "lesson",\n oops}]'));
			expect(broken.code).to.equal(422);
			expect(broken.type).to.equal(ERR.IMPORT_INVALID);
			expect(broken.data[0].field).to.equal("json");
			expect(errorOf(() => parseImport("json", '{"kind":"lesson"}')).data[0].message).to.include("array");
			expect(errorOf(() => parseImport("json", "[]")).type).to.equal(ERR.IMPORT_INVALID);
			const many = JSON.stringify(Array.from({ length: MAX_IMPORT_ITEMS + 1 }, () => ({ kind: "lesson" })));
			expect(errorOf(() => parseImport("json", many)).data[0].message).to.include(String(MAX_IMPORT_ITEMS));
		});
	});

	it("refuses a text over the size limit with 413 and an unknown format with 422", () => {
		expect(errorOf(() => parseImport("json", " ".repeat(MAX_IMPORT_CHARS + 1))).code).to.equal(413);
		expect(errorOf(() => parseImport("xml" as never, "<a/>")).code).to.equal(422);
	});

	it("importRejected makes the all-or-nothing refusal carry every row error", () => {
		const { errors } = parseImport("csv", "kind,title,subject,front\nflashcard,T,S,F\nflashcard,U,S,G\n");
		expect(errors.map(e => e.line)).to.deep.equal([2, 3]);
		const err = importRejected(errors);
		expect(err.code).to.equal(422);
		expect(err.type).to.equal(ERR.IMPORT_INVALID);
		expect(err.data).to.deep.equal(errors);
	});

	it("the documented example and column list match the parser", () => {
		const doc = readFileSync(new URL("../../docs/CONTENT_IMPORT.md", import.meta.url), "utf8");
		for (const column of CSV_COLUMNS) expect(doc, column).to.include(`\`${column}\``);
		const example = /```csv\n([\s\S]*?)```/.exec(doc)![1];
		const { items, errors } = parseImport("csv", example);
		expect(errors).to.deep.equal([]);
		expect(items.map(i => i.line)).to.deep.equal([2, 4, 5, 6, 7, 8, 9]);
	});
});
