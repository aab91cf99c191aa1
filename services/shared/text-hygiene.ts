/**
 * Text that people will see (names of users, schools, classes, paths, items; chat messages), cleaned
 * the same way wherever it enters (issue 9 §4). Pure: used by the validator rules of text-rules.ts, the
 * CSV imports and the chat rules.
 *
 * - Unicode NFKC: full-width, ligature and font variants become their plain letters ("Ｐａｕｌ" → "Paul",
 *   "ﬁ" → "fi", "𝐁𝐨𝐛" → "Bob"), so two names that look alike are stored alike.
 * - Invisible characters are dropped: control characters (C0, C1, DEL), every format character
 *   (Unicode category Cf: zero-width space, word joiner, BOM, soft hyphen, bidi embeddings, overrides and
 *   isolates, invisible operators, tag characters, ...) and the Hangul fillers and grapheme joiner that
 *   show as nothing. Two exceptions keep real writing intact: a zero-width joiner or non-joiner between
 *   two letters of a script that uses them (Arabic and Persian, Indic scripts, Sinhala, Myanmar, Khmer,
 *   Mongolian, ...) or a joiner inside an emoji sequence (👩‍🏫), and the tags of a flag sequence (🏴 …).
 *   In multi-line text (chat) the left-to-right and right-to-left marks stay too: they only settle the
 *   direction of neutral characters next to them, and mixed Arabic/Hebrew and Latin text needs them.
 * - Whitespace: a name is one line (every run of whitespace, line breaks included, becomes one space);
 *   multi-line text keeps its line breaks (CR LF, CR, U+2028 and U+2029 become LF) and turns tabs into spaces.
 *   Both are trimmed.
 *
 * Lengths are counted in characters (code points) of the cleaned text: 4,000 emoji are 4,000 characters,
 * as they are for JSON Schema's maxLength, not 8,000 UTF-16 units.
 *
 * `skeleton` is for comparisons only (moderation): it also folds case, drops accents and maps
 * confusable letters of other scripts to the Latin ones they imitate (Unicode TR39 confusables, from
 * the `unhomoglyph` package), so a Cyrillic "с" in a Latin word is seen as the "c" it looks like.
 */
import unhomoglyph from "unhomoglyph";

const ZWNJ = 0x200c;
const ZWJ = 0x200d;
const LRM = 0x200e;
const RLM = 0x200f;
const ALM = 0x061c;
const BLACK_FLAG = 0x1f3f4;
const CANCEL_TAG = 0xe007f;

const FORMAT = /\p{Cf}/u;
const CONTROL = /\p{Cc}/u;
/** Letters that show as nothing: Hangul fillers, the combining grapheme joiner. */
const BLANK_LETTERS = new Set([0x115f, 0x1160, 0x3164, 0xffa0, 0x034f]);
/** Scripts whose spelling uses ZWJ/ZWNJ between letters. */
const JOINING_SCRIPT =
	/[\p{Script=Arabic}\p{Script=Syriac}\p{Script=Nko}\p{Script=Mongolian}\p{Script=Thaana}\p{Script=Devanagari}\p{Script=Bengali}\p{Script=Gurmukhi}\p{Script=Gujarati}\p{Script=Oriya}\p{Script=Tamil}\p{Script=Telugu}\p{Script=Kannada}\p{Script=Malayalam}\p{Script=Sinhala}\p{Script=Myanmar}\p{Script=Khmer}]/u;
const PICTOGRAPHIC = /\p{Extended_Pictographic}/u;
/** What may stand before a ZWJ in an emoji sequence: a pictograph, a skin tone, the emoji variation selector. */
const EMOJI_BEFORE_JOINER = /[\p{Extended_Pictographic}\u{1F3FB}-\u{1F3FF}\u{FE0F}]/u;
const TAG = (cp: number) => cp >= 0xe0020 && cp <= 0xe007f;

interface Mode {
	multiline: boolean;
}

function keepJoiner(prev: string | undefined, next: string | undefined, cp: number): boolean {
	if (prev === undefined || next === undefined) return false;
	if (JOINING_SCRIPT.test(prev) && JOINING_SCRIPT.test(next)) return true;
	return cp === ZWJ && EMOJI_BEFORE_JOINER.test(prev) && PICTOGRAPHIC.test(next);
}

/** Drops invisible characters (see the module comment); whitespace is left to the callers. */
function dropInvisible(text: string, mode: Mode): string {
	const chars = Array.from(text);
	let out = "";
	// Inside a flag's tag sequence (🏴 then tags up to CANCEL TAG) the tags are the flag.
	let inFlagTags = false;
	for (let i = 0; i < chars.length; i++) {
		const ch = chars[i];
		const cp = ch.codePointAt(0)!;
		if (TAG(cp)) {
			if (inFlagTags || (i > 0 && chars[i - 1].codePointAt(0) === BLACK_FLAG)) {
				out += ch;
				inFlagTags = cp !== CANCEL_TAG;
			}
			continue;
		}
		inFlagTags = false;
		if (ch === "\n" || ch === "\r" || ch === "\t") {
			out += ch;
			continue;
		}
		if (CONTROL.test(ch) || BLANK_LETTERS.has(cp)) continue;
		if (FORMAT.test(ch)) {
			if ((cp === ZWJ || cp === ZWNJ) && keepJoiner(chars[i - 1], chars[i + 1], cp)) out += ch;
			else if (mode.multiline && (cp === LRM || cp === RLM || cp === ALM)) out += ch;
			continue;
		}
		out += ch;
	}
	return out;
}

/** A one-line text as it should be stored: a name, a title, a subject. */
export function cleanLine(raw: string): string {
	return dropInvisible(raw, { multiline: false })
		.normalize("NFKC")
		.replace(/\s+/gu, " ")
		.trim();
}

/** A multi-line text as it should be stored: a chat message. */
export function cleanText(raw: string): string {
	return dropInvisible(raw.replace(/\r\n?|[\u2028\u2029]/g, "\n"), { multiline: true })
		.normalize("NFKC")
		.replace(/\t/g, " ")
		.trim();
}

/** Length in characters (code points), as JSON Schema counts. */
export function charCount(text: string): number {
	let n = 0;
	for (const _ of text) n++;
	return n;
}

/**
 * A form of the text to compare, never to show: cleaned, without any joiner, variation selector or
 * bidi mark, lower case, without accents, confusable letters mapped to what they imitate.
 */
export function skeleton(text: string): string {
	const plain = cleanLine(text)
		.replace(/[\u200c\u200d\u200e\u200f\u061c\ufe00-\ufe0f\u{e0020}-\u{e007f}]/gu, "")
		.toLowerCase()
		.normalize("NFD")
		.replace(/\p{M}+/gu, "");
	return unhomoglyph(plain).toLowerCase();
}
