import { expect } from "chai";
import { CONTENT_KINDS, type ContentInput, type ContentItem, type ContentKind } from "../../services/learning/content/content-types.js";
import { forStudent, revealed } from "../../services/learning/content/redact.js";
import { prepareItem } from "../../services/learning/content/validate-item.js";

/**
 * Every piece of key material below is a distinctive string or number, so that finding it anywhere in
 * a student-facing JSON (as a value, inside a longer string, or as a key) means it leaked.
 */
const EXPLANATION = "EXPLAIN-7f3a because the key says so";
const base = { title: "Leak check", subject: "Security", tags: ["keys"] };
const KEYS: Record<ContentKind, { input: ContentInput; secrets: (string | number)[]; variant: ContentInput }> = {
	lesson: {
		input: { ...base, kind: "lesson", markdown: "# Nothing to hide" },
		secrets: [],
		variant: { ...base, kind: "lesson", markdown: "# Nothing to hide" },
	},
	flashcard: {
		input: { ...base, kind: "flashcard", front: "Front side", back: "BACK-SECRET-91c2" },
		secrets: ["BACK-SECRET-91c2"],
		variant: { ...base, kind: "flashcard", front: "Front side", back: "another back" },
	},
	single_choice: {
		input: {
			...base,
			kind: "single_choice",
			prompt: "Pick one",
			explanation: EXPLANATION,
			choices: [{ text: "alpha" }, { text: "beta", correct: true }, { text: "gamma" }],
		},
		secrets: [EXPLANATION],
		variant: { ...base, kind: "single_choice", prompt: "Pick one", choices: [{ text: "alpha", correct: true }, { text: "beta" }, { text: "gamma" }] },
	},
	multiple_choice: {
		input: {
			...base,
			kind: "multiple_choice",
			prompt: "Pick some",
			explanation: EXPLANATION,
			scoring: "partial",
			choices: [{ text: "one", correct: true }, { text: "two" }, { text: "three", correct: true }],
		},
		secrets: [EXPLANATION],
		variant: { ...base, kind: "multiple_choice", prompt: "Pick some", choices: [{ text: "one" }, { text: "two", correct: true }, { text: "three" }] },
	},
	true_false: {
		input: { ...base, kind: "true_false", prompt: "Is it so?", answer: true, explanation: EXPLANATION },
		secrets: [EXPLANATION],
		variant: { ...base, kind: "true_false", prompt: "Is it so?", answer: false },
	},
	short_answer: {
		input: {
			...base,
			kind: "short_answer",
			prompt: "Name it",
			accepted: ["ACCEPTED-ZEBRA-4d1", "accepted-okapi-8e2"],
			caseSensitive: true,
			explanation: EXPLANATION,
		},
		secrets: ["ACCEPTED-ZEBRA-4d1", "accepted-okapi-8e2", EXPLANATION],
		variant: { ...base, kind: "short_answer", prompt: "Name it", accepted: ["something else"] },
	},
	numeric: {
		input: { ...base, kind: "numeric", prompt: "How far?", value: 4217.3861, tolerance: 0.0731, unit: "km", explanation: EXPLANATION },
		secrets: [4217.3861, 0.0731, EXPLANATION],
		variant: { ...base, kind: "numeric", prompt: "How far?", value: 1, tolerance: 0, unit: "km" },
	},
};

/** Fields that carry the answer key in a stored item; none may appear in a student's view. */
const KEY_FIELDS = ["correct", "answer", "accepted", "value", "tolerance", "back", "explanation", "expected", "caseSensitive", "accentSensitive", "scoring"];

type Leaf = { path: string; key?: string; value: unknown };

/** Every key and leaf of a JSON value, with its path. */
function walk(value: unknown, path = "$", out: Leaf[] = []): Leaf[] {
	if (Array.isArray(value)) value.forEach((v, i) => walk(v, `${path}[${i}]`, out));
	else if (value !== null && typeof value === "object") {
		for (const [k, v] of Object.entries(value)) {
			out.push({ path: `${path}.${k}`, key: k, value: k });
			walk(v, `${path}.${k}`, out);
		}
	} else out.push({ path, value });
	return out;
}

/** Where a secret shows up in a JSON value: as a string (or inside one), as a number, or as a key. */
function leaks(json: unknown, secrets: (string | number)[]): string[] {
	const found: string[] = [];
	for (const leaf of walk(json)) {
		for (const secret of secrets) {
			const text = String(secret).toLowerCase();
			if (typeof leaf.value === "number" && leaf.value === secret) found.push(`${leaf.path} = ${secret}`);
			else if (typeof leaf.value === "string" && leaf.value.toLowerCase().includes(text)) found.push(`${leaf.path} holds ${secret}`);
		}
		if (leaf.key !== undefined && KEY_FIELDS.includes(leaf.key)) found.push(`${leaf.path} is a key field`);
	}
	return found;
}

/** What a client would receive: the view through JSON, so getters and toJSON count. */
const wire = (value: unknown) => JSON.parse(JSON.stringify(value));

const stored = (kind: ContentKind): ContentItem => prepareItem(KEYS[kind].input);

describe("answer keys", () => {
	it("the leak detector finds key material when it is there (it sees the revealed feedback)", () => {
		for (const kind of CONTENT_KINDS) {
			if (KEYS[kind].secrets.length === 0) continue;
			expect(leaks(wire(revealed(stored(kind))), KEYS[kind].secrets), kind).not.to.be.empty;
			expect(leaks(wire(stored(kind)), KEYS[kind].secrets), kind).not.to.be.empty;
		}
	});

	for (const kind of CONTENT_KINDS) {
		it(`a ${kind} shown to a student holds no key material anywhere in its JSON`, () => {
			const view = wire(forStudent(stored(kind)));
			expect(leaks(view, KEYS[kind].secrets)).to.deep.equal([]);
		});

		it(`a ${kind} looks the same to a student whatever its answer key`, () => {
			expect(wire(forStudent(prepareItem(KEYS[kind].variant)))).to.deep.equal(wire(forStudent(stored(kind))));
		});
	}

	it("a choice question's view tells nothing of which choice is correct", () => {
		for (const kind of ["single_choice", "multiple_choice"] as const) {
			const view = wire(forStudent(stored(kind)));
			const shapes = new Set(view.choices.map((c: object) => Object.keys(c).sort().join(",")));
			expect([...shapes], kind).to.deep.equal(["id,text"]);
			expect(view.choices.map((c: { id: string }) => c.id)).to.deep.equal(["a", "b", "c"]);
		}
	});

	it("only allow-listed fields reach the student, whatever else the stored document holds", () => {
		const doc = {
			...stored("short_answer"),
			_id: { toString: () => "65f0c0ffee00000000000001" },
			schoolId: "school-1",
			ownerId: "teacher-1",
			teacherNotes: "ACCEPTED-ZEBRA-4d1 is the answer",
			answerKey: { accepted: ["ACCEPTED-ZEBRA-4d1"] },
		};
		const view = wire(forStudent(doc));
		expect(leaks(view, KEYS.short_answer.secrets)).to.deep.equal([]);
		expect(Object.keys(view).sort()).to.deep.equal(["difficulty", "expectedSeconds", "id", "kind", "prompt", "subject", "tags", "title"]);
		expect(view.id).to.equal("65f0c0ffee00000000000001");
	});

	it("the feedback after answering gives the key and the explanation", () => {
		expect(revealed(stored("numeric"))).to.deep.equal({
			kind: "numeric",
			expected: { value: 4217.3861, tolerance: 0.0731, unit: "km" },
			explanation: EXPLANATION,
		});
		expect(revealed(stored("flashcard"))).to.deep.equal({ kind: "flashcard", back: "BACK-SECRET-91c2" });
		expect(revealed(stored("single_choice")).expected).to.deep.equal({ choiceId: "b" });
	});
});
