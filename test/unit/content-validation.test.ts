import { expect } from "chai";
import { Validators } from "moleculer";
import {
	CONTENT_KINDS,
	CONTENT_STATUSES,
	CREATE_ITEM_PARAMS,
	DEFAULT_EXPECTED_SECONDS,
	UPDATE_ITEM_PARAMS,
	type ContentInput,
	type ContentItem,
} from "../../services/learning/content/content-types.js";
import {
	applyUpdate,
	assertTransition,
	canTransition,
	checkItem,
	prepareItem,
	validateItem,
} from "../../services/learning/content/validate-item.js";
import { ERR } from "../../services/shared/errors.js";
import { errorOf } from "../support/thrown.js";

type FvResult = true | { field: string; type: string; message: string }[];
const fv = new Validators.Fastest();
const checkCreate = fv.compile(CREATE_ITEM_PARAMS) as unknown as (p: unknown) => FvResult;
const checkUpdate = fv.compile({ id: "string", ...UPDATE_ITEM_PARAMS }) as unknown as (p: unknown) => FvResult;

const base = { title: "Capitals", subject: "Geography" };
const VALID_INPUTS: Record<string, ContentInput> = {
	lesson: { ...base, kind: "lesson", markdown: "# Europe\nParis is the capital of France." },
	flashcard: { ...base, kind: "flashcard", front: "Capital of Italy?", back: "Rome" },
	single_choice: {
		...base,
		kind: "single_choice",
		prompt: "Capital of Spain?",
		choices: [{ text: "Madrid", correct: true }, { text: "Lisbon" }, { text: "Porto" }],
	},
	multiple_choice: {
		...base,
		kind: "multiple_choice",
		prompt: "Which are in France?",
		choices: [{ text: "Lyon", correct: true }, { text: "Nice", correct: true }, { text: "Geneva" }],
	},
	true_false: { ...base, kind: "true_false", prompt: "Berlin is in Germany.", answer: true },
	short_answer: { ...base, kind: "short_answer", prompt: "Capital of France?", accepted: ["Paris"] },
	numeric: { ...base, kind: "numeric", prompt: "Marathon length?", value: 42.195, tolerance: 0.1, unit: "km" },
};

const fields = (problems: { field: string }[]) => problems.map(p => p.field);

describe("content items: params schemas", () => {
	it("accepts a valid item of every kind and drops unknown fields", () => {
		for (const kind of CONTENT_KINDS) {
			const params: Record<string, unknown> = { ...structuredClone(VALID_INPUTS[kind]), schoolId: "someone-else", hack: 1 };
			expect(checkCreate(params), kind).to.equal(true);
			expect(params).not.to.have.property("schoolId");
			expect(params).not.to.have.property("hack");
		}
	});

	it("refuses an unknown kind, an overlong title and a difficulty out of 1..5", () => {
		const res = checkCreate({ ...VALID_INPUTS.lesson, kind: "essay", title: "x".repeat(201), difficulty: 6 });
		expect(res).to.be.an("array");
		expect(fields(res as any[])).to.include.members(["kind", "title", "difficulty"]);
	});

	it("counts correct choices by kind: exactly one for single choice, at least one for multiple choice", () => {
		const two = checkCreate({ ...VALID_INPUTS.single_choice, choices: [{ text: "A", correct: true }, { text: "B", correct: true }] });
		expect(two).to.be.an("array").with.length(1);
		expect((two as any[])[0]).to.include({ field: "choices", type: "correctCount" });
		const none = checkCreate({ ...VALID_INPUTS.multiple_choice, choices: [{ text: "A" }, { text: "B" }] });
		expect((none as any[])[0]).to.include({ field: "choices", type: "correctCount" });
	});

	it("holds choices to 2..10 and refuses a malformed choice id", () => {
		const one = checkCreate({ ...VALID_INPUTS.single_choice, choices: [{ text: "A", correct: true }] });
		expect(fields(one as any[])).to.include("choices");
		const eleven = Array.from({ length: 11 }, (_, i) => ({ text: `c${i}`, correct: i === 0 }));
		expect(fields(checkCreate({ ...VALID_INPUTS.single_choice, choices: eleven }) as any[])).to.include("choices");
		const badId = checkCreate({ ...VALID_INPUTS.single_choice, choices: [{ id: "a b", text: "A", correct: true }, { text: "B" }] });
		expect(fields(badId as any[])).to.include("choices[0].id");
	});

	it("refuses a negative tolerance, a non-finite value and too many tags", () => {
		const res = checkCreate({ ...VALID_INPUTS.numeric, tolerance: -1, value: Number.NaN, tags: Array.from({ length: 21 }, (_, i) => `t${i}`) });
		expect(fields(res as any[])).to.include.members(["tolerance", "value", "tags"]);
	});

	it("lets an update change neither kind nor status nor origin", () => {
		const params: Record<string, unknown> = { id: "x", kind: "lesson", status: "validated", origin: "ai_generated", title: "New" };
		expect(checkUpdate(params)).to.equal(true);
		expect(params).to.deep.equal({ id: "x", title: "New" });
	});
});

describe("content items: validateItem", () => {
	it("finds nothing wrong with a valid item of every kind", () => {
		for (const kind of CONTENT_KINDS) expect(validateItem(VALID_INPUTS[kind]), kind).to.deep.equal([]);
	});

	it("requires exactly one correct choice for single choice", () => {
		const none = validateItem({ ...VALID_INPUTS.single_choice, choices: [{ text: "A" }, { text: "B" }] });
		expect(none).to.deep.include({ field: "choices", message: "a single choice question needs exactly one correct choice (found 0)" });
		const two = validateItem({ ...VALID_INPUTS.single_choice, choices: [{ text: "A", correct: true }, { text: "B", correct: true }] });
		expect(fields(two)).to.deep.equal(["choices"]);
	});

	it("requires at least one correct choice for multiple choice", () => {
		expect(fields(validateItem({ ...VALID_INPUTS.multiple_choice, choices: [{ text: "A" }, { text: "B" }] }))).to.deep.equal(["choices"]);
	});

	it("refuses repeated choice ids and repeated choice texts", () => {
		const problems = validateItem({
			...VALID_INPUTS.single_choice,
			choices: [{ id: "x", text: "Madrid", correct: true }, { id: "x", text: "Rome" }, { text: " madrid " }],
		});
		expect(problems).to.deep.include({ field: "choices[1].id", message: "repeats the id of choice 1" });
		expect(problems).to.deep.include({ field: "choices[2].text", message: "is the same as choice 1" });
	});

	it("requires a non-negative tolerance and a numeric value", () => {
		expect(validateItem({ ...VALID_INPUTS.numeric, tolerance: -0.5 })).to.deep.equal([{ field: "tolerance", message: "must be at least 0" }]);
		const { value: _value, ...noValue } = VALID_INPUTS.numeric;
		expect(validateItem(noValue as ContentInput)).to.deep.equal([{ field: "value", message: "is required" }]);
		expect(fields(validateItem({ ...VALID_INPUTS.numeric, value: Infinity }))).to.deep.equal(["value"]);
	});

	it("requires at least one matchable accepted answer for short answer", () => {
		expect(fields(validateItem({ ...VALID_INPUTS.short_answer, accepted: [] }))).to.deep.equal(["accepted"]);
		expect(validateItem({ ...VALID_INPUTS.short_answer, accepted: ["Paris", "?!"] })).to.deep.equal([
			{ field: "accepted[1]", message: "is only punctuation and could never match" },
		]);
		expect(fields(validateItem({ ...VALID_INPUTS.short_answer, accepted: ["  "] }))).to.deep.equal(["accepted[0]"]);
	});

	it("refuses blank markdown, a flashcard without a back and a true/false without its answer", () => {
		expect(validateItem({ ...VALID_INPUTS.lesson, markdown: " \n\t " })).to.deep.equal([{ field: "markdown", message: "must not be empty" }]);
		const { back: _back, ...noBack } = VALID_INPUTS.flashcard;
		expect(fields(validateItem(noBack as ContentInput))).to.deep.equal(["back"]);
		const { answer: _answer, ...noAnswer } = VALID_INPUTS.true_false;
		expect(fields(validateItem(noAnswer as ContentInput))).to.deep.equal(["answer"]);
	});

	it("refuses fields that belong to another kind", () => {
		const problems = validateItem({ ...VALID_INPUTS.lesson, choices: [{ text: "A", correct: true }], value: 3 });
		expect(problems).to.deep.include({ field: "choices", message: "is not used by a lesson" });
		expect(fields(problems)).to.include("value");
	});

	it("refuses a missing title or subject and an unknown kind", () => {
		expect(fields(validateItem({ ...VALID_INPUTS.lesson, title: "", subject: undefined as unknown as string }))).to.deep.equal(["title", "subject"]);
		expect(fields(validateItem({ ...VALID_INPUTS.lesson, kind: "essay" as never }))).to.deep.equal(["kind"]);
	});
});

describe("content items: defaults, checkItem and updates", () => {
	it("fills the defaults and keeps only the fields of the kind", () => {
		const item = prepareItem({ ...VALID_INPUTS.single_choice, tags: [" europe ", "europe", "capitals"] });
		expect(item).to.deep.equal({
			title: "Capitals",
			subject: "Geography",
			tags: ["europe", "capitals"],
			difficulty: 3,
			expectedSeconds: DEFAULT_EXPECTED_SECONDS.single_choice,
			status: "draft",
			origin: "teacher",
			kind: "single_choice",
			prompt: "Capital of Spain?",
			choices: [
				{ id: "a", text: "Madrid", correct: true },
				{ id: "b", text: "Lisbon", correct: false },
				{ id: "c", text: "Porto", correct: false },
			],
		});
		expect(prepareItem(VALID_INPUTS.flashcard).expectedSeconds).to.equal(10);
		expect(prepareItem(VALID_INPUTS.numeric).expectedSeconds).to.equal(40);
		expect(prepareItem({ ...VALID_INPUTS.short_answer })).to.include({ caseSensitive: false, accentSensitive: false });
	});

	it("keeps given choice ids and gives the others ids that do not collide", () => {
		const item = prepareItem({ ...VALID_INPUTS.single_choice, choices: [{ text: "A" }, { id: "a", text: "B", correct: true }] });
		expect(item.kind === "single_choice" && item.choices.map(c => c.id)).to.deep.equal(["b", "a"]);
	});

	it("checkItem raises a 422 VALIDATION_ERROR listing every problem", () => {
		const err = errorOf(() => checkItem({ ...VALID_INPUTS.numeric, title: "", tolerance: -1 }));
		expect(err.code).to.equal(422);
		expect(err.type).to.equal(ERR.VALIDATION);
		expect(fields(err.data)).to.deep.equal(["title", "tolerance"]);
	});

	it("checkItem lets overrides win (an import is a draft whatever it says)", () => {
		const item = checkItem({ ...VALID_INPUTS.lesson, status: "validated", origin: "teacher" }, { status: "draft", origin: "imported" });
		expect(item).to.include({ status: "draft", origin: "imported" });
	});

	it("applyUpdate merges the patch over the stored fields only, and checkItem refuses a field of another kind", () => {
		const stored: ContentItem = Object.assign(prepareItem(VALID_INPUTS.numeric), { schoolId: "s1", ownerId: "t1" });
		const merged = applyUpdate(stored, { tolerance: 0.5, title: "Run" });
		expect(merged).to.include({ kind: "numeric", tolerance: 0.5, title: "Run", value: 42.195 });
		expect(merged).not.to.have.property("schoolId");
		expect(checkItem(merged)).to.include({ tolerance: 0.5 });

		const wrong = applyUpdate(stored, { choices: [{ text: "A", correct: true }, { text: "B" }] });
		expect(fields(validateItem(wrong))).to.deep.equal(["choices"]);
		const kindChange = applyUpdate(stored, { kind: "lesson" } as never);
		expect(kindChange.kind).to.equal("numeric");
	});
});

describe("content items: status transitions", () => {
	const allowed = new Set(["draft>validated", "draft>archived", "validated>archived", "validated>draft", "archived>draft"]);

	it("allows exactly the documented transitions", () => {
		for (const from of CONTENT_STATUSES) {
			for (const to of CONTENT_STATUSES) {
				expect(canTransition(from, to), `${from} → ${to}`).to.equal(allowed.has(`${from}>${to}`));
			}
		}
	});

	it("assertTransition raises 409 CONFLICT for archived → validated", () => {
		const err = errorOf(() => assertTransition("archived", "validated"));
		expect(err.code).to.equal(409);
		expect(err.type).to.equal(ERR.CONFLICT);
		expect(() => assertTransition("draft", "validated")).not.to.throw();
	});
});
