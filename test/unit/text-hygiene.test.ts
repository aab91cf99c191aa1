/**
 * `text hygiene` (issue 9 §4), the pure parts: cleaning names and chat, the skeleton moderation
 * compares, the validator rule every name goes through, lesson HTML, and the OpenAPI document's account
 * of all of it.
 */
import { expect } from "chai";
import { ServiceBroker } from "moleculer";
import { checkMessageText } from "../../services/communication/chat-rules.js";
import { moderate } from "../../services/communication/moderation.js";
import { ruleToSchema } from "../../services/gateway/openapi.js";
import { ANSWER_RULE, ANSWER_SCHEMAS } from "../../services/learning/content/answer-format.js";
import { renderLesson, withLessonHtml } from "../../services/learning/content/lesson-html.js";
import { forStudent } from "../../services/learning/content/redact.js";
import { charCount, cleanLine, cleanText, skeleton } from "../../services/shared/text-hygiene.js";
import { textRule } from "../../services/shared/text-rules.js";

const ZWSP = "\u200b";
const RLO = "\u202e";
const PDF = "\u202c";
const ZWJ = "\u200d";
const ZWNJ = "\u200c";
const CYRILLIC_ES = "\u0441"; // looks like a Latin "c"

describe("text hygiene", () => {
	describe("names (cleanLine)", () => {
		it("normalises to NFKC: full-width, ligatures and mathematical letters become plain letters", () => {
			expect(cleanLine("Ｐａｕｌ")).to.equal("Paul");
			expect(cleanLine("ﬁlm")).to.equal("film");
			expect(cleanLine("𝐁𝐨𝐛")).to.equal("Bob");
			expect(cleanLine("e\u0301lodie")).to.equal("élodie");
		});

		it("drops control, bidi and zero-width characters and the invisible fillers", () => {
			expect(cleanLine(`Jo${ZWSP}hn`)).to.equal("John");
			expect(cleanLine(`${RLO}nhoJ${PDF}`)).to.equal("nhoJ");
			expect(cleanLine("A\u0000B\u0007C\u007f\u0085D")).to.equal("ABCD");
			expect(cleanLine("\u2066x\u2069\u200e\u200f\u061c\ufeff\u00ad\u2060y")).to.equal("xy");
			expect(cleanLine("\u3164\u115f\u1160\uffa0"), "Hangul fillers show as nothing").to.equal("");
			expect(cleanLine(`a${ZWJ}b`), "no joiner between Latin letters").to.equal("ab");
			expect(cleanLine("hi\u{e0041}\u{e0042}"), "tag characters (hidden text)").to.equal("hi");
		});

		it("keeps what writing needs: joiners in Persian and Indic words, emoji sequences, flags", () => {
			expect(cleanLine(`می${ZWNJ}خواهم`)).to.equal(`می${ZWNJ}خواهم`);
			expect(cleanLine(`क्${ZWJ}ष`)).to.equal(`क्${ZWJ}ष`);
			const teacher = `👩${ZWJ}🏫`;
			expect(cleanLine(teacher)).to.equal(teacher);
			const scotland = "🏴\u{e0067}\u{e0062}\u{e0073}\u{e0063}\u{e0074}\u{e007f}";
			expect(cleanLine(scotland)).to.equal(scotland);
		});

		it("folds whitespace onto one line and trims", () => {
			expect(cleanLine("  Anne \n\t Marie\u2028 ")).to.equal("Anne Marie");
			expect(cleanLine(`${ZWSP} ${ZWSP}`)).to.equal("");
		});
	});

	describe("chat (cleanText)", () => {
		it("keeps line breaks and direction marks, drops overrides", () => {
			expect(cleanText("line 1\r\nline 2\rline 3\u2029end")).to.equal("line 1\nline 2\nline 3\nend");
			expect(cleanText("שלום\u200e OK")).to.equal("שלום\u200e OK");
			expect(cleanText(`evil${RLO}txt.exe${PDF}`)).to.equal("eviltxt.exe");
			expect(cleanText("\ta\tb ")).to.equal("a b");
		});

		it("counts characters as code points, in any script", () => {
			expect(charCount("😀".repeat(4000))).to.equal(4000);
			expect(charCount("日本語")).to.equal(3);
			expect(checkMessageText(`  ${"😀".repeat(4000)}${ZWSP}  `)).to.deep.equal({ ok: true, text: "😀".repeat(4000) });
			expect(checkMessageText("😀".repeat(4001))).to.include({ ok: false, reason: "too_long" });
			expect(checkMessageText(`${ZWSP}${RLO}\u3164`)).to.include({ ok: false, reason: "empty" });
		});
	});

	describe("moderation", () => {
		it("matches on the skeleton: no zero-width space, Cyrillic lookalike or font trick gets a word past", () => {
			expect(skeleton(`FU${CYRILLIC_ES}K`)).to.equal("fuck");
			for (const text of [`fu${ZWSP}ck you`, `fu${CYRILLIC_ES}k you`, "ｆｕｃｋ you", "𝐟𝐮𝐜𝐤 you", `b\u0456tch`, "Espèce de CONNARD", `con${ZWJ}nard`]) {
				expect(moderate(cleanText(text)).allowed, text).to.equal(false);
				expect(checkMessageText(text), text).to.include({ ok: false, reason: "moderated" });
			}
		});

		it("still matches whole words only, in any script", () => {
			for (const text of ["La classe de Bassin", "Class assignment", "Привет, как дела?", "Σκουλήκι", "你好"]) {
				expect(checkMessageText(text).ok, text).to.equal(true);
			}
		});
	});

	describe("the validator rule", () => {
		const broker = new ServiceBroker({ logger: false, validator: true });
		const check = broker.validator!.compile({
			$$strict: "remove",
			name: textRule({ max: 5 }),
			note: textRule({ max: 20, optional: true, multiline: true }),
		}) as (v: Record<string, unknown>) => true | { field: string; type: string }[];

		it("hands the handler the cleaned text and checks its length in characters", () => {
			const params: Record<string, unknown> = { name: ` Ｐａｕｌ${ZWSP} ` };
			expect(check(params)).to.equal(true);
			expect(params).to.deep.equal({ name: "Paul" });
			const emoji = { name: "😀😀😀😀😀" };
			expect(check(emoji), "5 emoji are 5 characters").to.equal(true);
		});

		it("refuses an invisible-only or too long name, and a non-string, naming the field", () => {
			for (const name of [`${ZWSP}${RLO}`, "abcdef", 42]) {
				const result = check({ name });
				expect(result, String(name)).to.be.an("array");
				expect((result as { field: string }[])[0].field).to.equal("name");
			}
		});

		it("leaves an absent optional field absent (a PATCH must not erase it)", () => {
			const params: Record<string, unknown> = { name: "Ann" };
			expect(check(params)).to.equal(true);
			expect(params).not.to.have.property("note");
		});

		it("is documented as a string with its limits in characters", () => {
			expect(ruleToSchema(textRule({ max: 100 }))).to.include({ type: "string", minLength: 1, maxLength: 100 });
			expect(ruleToSchema(textRule({ max: 20, min: 0, nullable: true }))).to.include({ type: "string", minLength: 0, maxLength: 20, nullable: true });
		});
	});

	describe("lessons are markdown, offered as sanitised HTML", () => {
		it("renders markdown", () => {
			const html = renderLesson("# Title\n\nSome **bold** and `code`.\n\n- [x] done\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n[site](https://example.org)");
			expect(html).to.include("<h1>Title</h1>");
			expect(html).to.include("<strong>bold</strong>");
			expect(html).to.include("<table>");
			expect(html).to.match(/<input[^>]*type="checkbox"[^>]*disabled/);
			expect(html).to.include('<a href="https://example.org" rel="noopener noreferrer nofollow">site</a>');
		});

		it("keeps no script, handler, style, frame or dangerous URL, whatever the markdown holds", () => {
			const attacks = [
				"<script>alert(1)</script>",
				'<img src="x" onerror="alert(1)">',
				"[click](javascript:alert(1))",
				'<a href="javascript:alert(1)">x</a>',
				"![x](data:image/svg+xml;base64,PHN2Zz4=)",
				'<iframe src="https://evil.example"></iframe>',
				'<div style="position:fixed">x</div>',
				"<svg><script>alert(1)</script></svg>",
				'<form action="https://evil.example"><input name="p"></form>',
				"<style>body{display:none}</style>",
				'<a href="//evil.example">x</a>',
			].join("\n\n");
			const html = renderLesson(attacks);
			expect(html).not.to.match(/<script|onerror|javascript:|<iframe|style=|<svg|<form|<style|data:image|href="\/\/evil/i);
		});

		it("goes out with every lesson, to teachers and students", () => {
			const lesson = { kind: "lesson", title: "T", subject: "S", tags: [], difficulty: 3, expectedSeconds: 60, status: "validated", origin: "teacher", markdown: "Hello *you*" } as const;
			expect(withLessonHtml(lesson)).to.include({ html: "<p>Hello <em>you</em></p>\n" });
			expect(forStudent(lesson as never)).to.include({ markdown: "Hello *you*", html: "<p>Hello <em>you</em></p>\n" });
			const card = { kind: "flashcard", front: "<b>x</b>" };
			expect(withLessonHtml(card), "plain text stays plain").to.deep.equal(card);
		});
	});

	describe("answer formats", () => {
		it("are documented per item kind", () => {
			expect(Object.keys(ANSWER_SCHEMAS).sort()).to.deep.equal(["flashcard", "multiple_choice", "numeric", "short_answer", "single_choice", "true_false"]);
			const schema = ruleToSchema(ANSWER_RULE) as { anyOf: { required: string[] }[]; description: string };
			expect(schema.anyOf.map(s => s.required[0]).sort()).to.deep.equal(["choiceId", "choiceIds", "rating", "text", "value", "value"]);
			expect(schema.description).to.match(/\{choiceId\}.*\{choiceIds\}.*\{value: boolean\}.*\{text\}.*\{rating/);
		});
	});
});
