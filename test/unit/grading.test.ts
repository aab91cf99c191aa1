import { expect } from "chai";
import type { ContentInput } from "../../services/learning/content/content-types.js";
import {
	grade,
	normalizeAnswer,
	parseDecimal,
	validateAnswer,
	validateSelfRating,
} from "../../services/learning/content/grading.js";
import { prepareItem } from "../../services/learning/content/validate-item.js";
import { ERR } from "../../services/shared/errors.js";
import { errorOf } from "../support/thrown.js";

const base = { title: "Q", subject: "Maths" };
const item = (input: Omit<ContentInput, "title" | "subject">) => prepareItem({ ...base, ...input } as ContentInput);

const single = item({
	kind: "single_choice",
	prompt: "2 + 2?",
	choices: [{ text: "3" }, { text: "4", correct: true }, { text: "5" }],
});
const multipleStrict = item({
	kind: "multiple_choice",
	prompt: "Primes?",
	choices: [{ text: "2", correct: true }, { text: "3", correct: true }, { text: "4" }, { text: "6" }],
});
const multiplePartial = { ...multipleStrict, scoring: "partial" as const };
const trueFalse = item({ kind: "true_false", prompt: "0 is even.", answer: true });
const short = item({ kind: "short_answer", prompt: "Student in French?", accepted: ["élève", "étudiant"] });
const numeric = item({ kind: "numeric", prompt: "π to two decimals?", value: 3.14, tolerance: 0.005 });
const flashcard = item({ kind: "flashcard", front: "7 × 8", back: "56" });
const lesson = item({ kind: "lesson", markdown: "# Tables" });

describe("grading", () => {
	describe("single choice", () => {
		it("is right only for the correct choice, and tells the expected id", () => {
			expect(grade(single, { choiceId: "b" })).to.deep.equal({ correct: true, score: 1, expected: { choiceId: "b" } });
			expect(grade(single, { choiceId: "a" })).to.include({ correct: false, score: 0 });
		});

		it("refuses an unknown choice, a missing id and extra fields with 422", () => {
			for (const answer of [{ choiceId: "z" }, {}, { choiceId: "b", correct: true }, "b", null, ["b"]]) {
				const err = errorOf(() => grade(single, answer));
				expect(err.code, JSON.stringify(answer)).to.equal(422);
				expect(err.type).to.equal(ERR.VALIDATION);
			}
		});
	});

	describe("multiple choice", () => {
		it("all or nothing: 1 for the exact set, 0 for a subset or a superset", () => {
			expect(grade(multipleStrict, { choiceIds: ["b", "a"] })).to.deep.equal({ correct: true, score: 1, expected: { choiceIds: ["a", "b"] } });
			expect(grade(multipleStrict, { choiceIds: ["a"] })).to.include({ correct: false, score: 0 });
			expect(grade(multipleStrict, { choiceIds: ["a", "b", "c"] })).to.include({ correct: false, score: 0 });
		});

		it("partial: right share minus wrong share, floored at 0", () => {
			expect(grade(multiplePartial, { choiceIds: ["a"] })).to.include({ correct: false, score: 0.5 });
			expect(grade(multiplePartial, { choiceIds: ["a", "b", "c"] })).to.include({ correct: false, score: 0.5 });
			expect(grade(multiplePartial, { choiceIds: ["a", "c", "d"] }).score).to.equal(0);
			expect(grade(multiplePartial, { choiceIds: ["a", "b", "c", "d"] }).score).to.equal(0);
			expect(grade(multiplePartial, { choiceIds: [] }).score).to.equal(0);
			expect(grade(multiplePartial, { choiceIds: ["a", "b"] })).to.include({ correct: true, score: 1 });
		});

		it("refuses repeated, unknown or too many ids", () => {
			expect(validateAnswer(multipleStrict, { choiceIds: ["a", "a"] })).to.deep.equal({
				ok: false,
				problems: [{ field: "answer.choiceIds[1]", message: "is selected twice" }],
			});
			expect(validateAnswer(multipleStrict, { choiceIds: ["a", 1] }).ok).to.equal(false);
			expect(validateAnswer(multipleStrict, { choiceIds: ["a", "b", "c", "d", "a"] }).ok).to.equal(false);
			expect(validateAnswer(multipleStrict, { choiceIds: "a" }).ok).to.equal(false);
		});
	});

	it("true/false compares the boolean and refuses anything else", () => {
		expect(grade(trueFalse, { value: true })).to.deep.equal({ correct: true, score: 1, expected: { value: true } });
		expect(grade(trueFalse, { value: false }).correct).to.equal(false);
		expect(errorOf(() => grade(trueFalse, { value: "true" })).code).to.equal(422);
	});

	describe("short answer", () => {
		it("ignores case, accents, extra spaces and final punctuation by default", () => {
			expect(grade(short, { text: "  ELEVE. " }).correct).to.equal(true);
			expect(grade(short, { text: "Étudiant" }).correct).to.equal(true);
			expect(grade(short, { text: "professeur" })).to.deep.equal({ correct: false, score: 0, expected: { accepted: ["élève", "étudiant"] } });
			expect(grade(short, { text: "" }).correct).to.equal(false);
		});

		it("honours case- and accent-sensitive items", () => {
			const strict = { ...short, caseSensitive: true, accentSensitive: true };
			expect(grade(strict, { text: "élève" }).correct).to.equal(true);
			expect(grade(strict, { text: "eleve" }).correct).to.equal(false);
			expect(grade(strict, { text: "Élève" }).correct).to.equal(false);
			const caseOnly = { ...short, caseSensitive: true };
			expect(grade(caseOnly, { text: "eleve" }).correct).to.equal(true);
			expect(grade(caseOnly, { text: "ELEVE" }).correct).to.equal(false);
		});

		it("refuses a text longer than 500 characters", () => {
			expect(validateAnswer(short, { text: "a".repeat(501) })).to.deep.equal({
				ok: false,
				problems: [{ field: "answer.text", message: "is longer than 500 characters" }],
			});
		});

		it("normalises ligatures and Unicode forms", () => {
			expect(normalizeAnswer("Cœur")).to.equal("coeur");
			expect(normalizeAnswer("e\u0301le\u0300ve", { accentSensitive: true })).to.equal("élève");
		});
	});

	describe("numeric", () => {
		it("is right within the absolute tolerance, inclusive", () => {
			expect(grade(numeric, { value: 3.14 })).to.deep.equal({ correct: true, score: 1, expected: { value: 3.14, tolerance: 0.005 } });
			expect(grade(numeric, { value: 3.145 }).correct).to.equal(true);
			expect(grade(numeric, { value: 3.146 }).correct).to.equal(false);
			expect(grade(numeric, { value: 3.13 }).correct).to.equal(false);
		});

		it("does not fail on floating point noise with tolerance 0", () => {
			const exact = { ...numeric, value: 0.3, tolerance: 0 };
			expect(grade(exact, { value: 0.1 + 0.2 }).correct).to.equal(true);
			expect(grade(exact, { value: 0.31 }).correct).to.equal(false);
		});

		it("reads decimal strings with a point or a comma and refuses the rest", () => {
			expect(grade(numeric, { value: "3,14" }).correct).to.equal(true);
			expect(parseDecimal(" -2.5e3 ")).to.equal(-2500);
			for (const value of ["abc", "3,14,15", Infinity, Number.NaN, "", null, true, "1e400"]) {
				expect(validateAnswer(numeric, { value }).ok, String(value)).to.equal(false);
			}
		});
	});

	describe("flashcards and lessons", () => {
		it("a flashcard is self-rated, not graded", () => {
			const err = errorOf(() => grade(flashcard, { rating: 3 }));
			expect(err.code).to.equal(400);
			expect(validateAnswer(flashcard, { rating: 3 })).to.deep.equal({ ok: true, answer: { rating: 3 } });
		});

		it("a self-rating is an integer 1..4", () => {
			for (const r of [1, 2, 3, 4]) expect(validateSelfRating(r)).to.equal(r);
			for (const r of [0, 5, 2.5, "3", null, undefined]) {
				const err = errorOf(() => validateSelfRating(r));
				expect(err.code, String(r)).to.equal(422);
				expect(err.data).to.deep.equal([{ field: "rating", message: "must be an integer from 1 (Again) to 4 (Easy)" }]);
			}
		});

		it("a lesson takes no answer and is not graded", () => {
			expect(validateAnswer(lesson, {}).ok).to.equal(false);
			expect(errorOf(() => grade(lesson, {})).code).to.equal(400);
		});
	});
});
