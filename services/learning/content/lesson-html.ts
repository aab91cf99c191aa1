/**
 * A lesson's markdown as sanitised HTML, for clients that render it (issue 9 §4). Lessons are written in
 * Markdown (GitHub flavour: tables, strikethrough, task lists, autolinks) and stored as written; the HTML
 * is derived on the way out: `marked` renders it, then `sanitize-html` keeps only an allow-list of
 * elements and attributes. Raw HTML in the markdown is allowed in as far as the allow-list goes:
 * no script, style, iframe, form, event handler or style attribute survives, links and images only
 * with http(s) (links also mailto) URLs, and every link gets `rel="noopener noreferrer nofollow"`.
 *
 * Only lessons are markdown: prompts, choices, flashcard sides and chat are plain text, to be shown
 * as text (escaped), never as HTML.
 *
 * Rendering is pure and deterministic, so results are kept in a small cache keyed by the markdown.
 */
import { createHash } from "node:crypto";
import { Marked } from "marked";
import sanitizeHtml from "sanitize-html";

const markdown = new Marked({ gfm: true, breaks: false });

export const LESSON_HTML_OPTIONS: sanitizeHtml.IOptions = {
	allowedTags: [
		"h1", "h2", "h3", "h4", "h5", "h6", "p", "br", "hr", "blockquote", "pre", "code", "strong", "em", "del", "s", "sup", "sub",
		"ul", "ol", "li", "a", "img", "table", "thead", "tbody", "tr", "th", "td", "input", "span", "abbr", "kbd", "mark",
	],
	allowedAttributes: {
		a: ["href", "title", "rel"],
		img: ["src", "alt", "title", "width", "height"],
		th: ["align"],
		td: ["align"],
		ol: ["start"],
		code: ["class"],
		abbr: ["title"],
		input: ["type", "checked", "disabled"],
	},
	allowedClasses: { code: ["language-*"] },
	allowedSchemes: ["http", "https", "mailto"],
	allowedSchemesByTag: { img: ["http", "https"] },
	allowProtocolRelative: false,
	disallowedTagsMode: "discard",
	transformTags: {
		a: sanitizeHtml.simpleTransform("a", { rel: "noopener noreferrer nofollow" }),
		// Task-list boxes only, and never editable.
		input: (_tag, attribs) => ({ tagName: "input", attribs: { type: "checkbox", disabled: "", ...("checked" in attribs ? { checked: "" } : {}) } }),
	},
};

/** The sanitised HTML of a lesson's markdown (not cached). */
export function renderLesson(source: string): string {
	const html = markdown.parse(source, { async: false });
	return sanitizeHtml(html, LESSON_HTML_OPTIONS);
}

const CACHE_LIMIT_CHARS = 4_000_000;
const cache = new Map<string, string>();
let cachedChars = 0;

/** `renderLesson`, remembered for the most recently used lessons (at most ~4 M characters of HTML). */
export function lessonHtml(source: string): string {
	const key = createHash("sha256").update(source).digest("base64url");
	const hit = cache.get(key);
	if (hit !== undefined) {
		// Most recently used last: a Map iterates in insertion order.
		cache.delete(key);
		cache.set(key, hit);
		return hit;
	}
	const html = renderLesson(source);
	cache.set(key, html);
	cachedChars += html.length;
	for (const [oldKey, old] of cache) {
		if (cachedChars <= CACHE_LIMIT_CHARS) break;
		cache.delete(oldKey);
		cachedChars -= old.length;
	}
	return html;
}

/** Adds `html` next to `markdown` to a lesson (any other item is returned as it is). */
export function withLessonHtml<T>(item: T): T {
	const doc = item as { kind?: unknown; markdown?: unknown };
	if (doc && doc.kind === "lesson" && typeof doc.markdown === "string") return { ...item, html: lessonHtml(doc.markdown) };
	return item;
}
