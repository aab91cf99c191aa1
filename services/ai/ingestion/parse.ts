/**
 * A source document as sections of plain text, each under its heading path, with maintained parsers:
 * markdown through marked's lexer (headings # … ######), HTML through node-html-parser (h1–h6 and the
 * text of block elements; scripts, styles and navigation dropped), PDF through unpdf (PDF.js, text per
 * page; a page is the heading where a PDF has no outline we could trust). Plain text: paragraphs, no
 * headings. Throws SourceParseError with a reason a teacher can act on.
 */
import { marked, type Token } from "marked";
import { parse as parseHtml, type HTMLElement, type Node as HtmlNode, NodeType } from "node-html-parser";
import type { SourceFormat } from "../ai-types.js";

export interface Section {
	headingPath: string[];
	text: string;
}

export class SourceParseError extends Error {
	constructor(message: string) {
		super(message);
		this.name = "SourceParseError";
	}
}

export async function parseSource(format: SourceFormat, content: { text?: string | null; data?: Uint8Array | null }): Promise<Section[]> {
	let sections: Section[];
	switch (format) {
		case "markdown":
			sections = parseMarkdown(content.text ?? "");
			break;
		case "html":
			sections = parseHtmlText(content.text ?? "");
			break;
		case "pdf":
			sections = await parsePdf(content.data ?? new Uint8Array());
			break;
		default:
			sections = parsePlain(content.text ?? "");
	}
	const kept = sections.map(s => ({ headingPath: s.headingPath, text: tidy(s.text) })).filter(s => s.text.length > 0);
	if (kept.length === 0) throw new SourceParseError("The document holds no text to learn from");
	return kept;
}

function tidy(text: string): string {
	return text
		.replace(/\r\n?/g, "\n")
		.replace(/[ \t\f\v]+/g, " ")
		.replace(/ *\n */g, "\n")
		.replace(/\n{3,}/g, "\n\n")
		.trim();
}

/** Sections under a stack of headings: a heading of level n replaces levels ≥ n. */
class SectionBuilder {
	readonly sections: Section[] = [];
	private headings: { level: number; text: string }[] = [];
	private buffer: string[] = [];

	heading(level: number, text: string): void {
		this.flush();
		this.headings = [...this.headings.filter(h => h.level < level), { level, text: text.trim() }];
	}

	add(text: string): void {
		if (text.trim()) this.buffer.push(text.trim());
	}

	flush(): void {
		if (this.buffer.length === 0) return;
		this.sections.push({ headingPath: this.headings.map(h => h.text).filter(Boolean), text: this.buffer.join("\n\n") });
		this.buffer = [];
	}
}

export function parseMarkdown(markdown: string): Section[] {
	const builder = new SectionBuilder();
	const visit = (tokens: Token[]) => {
		for (const token of tokens) {
			if (token.type === "heading") builder.heading((token as any).depth, plainInline((token as any).text));
			else if (token.type === "code") builder.add((token as any).text);
			else if (token.type === "list") builder.add(((token as any).items as any[]).map(i => `- ${plainInline(i.text)}`).join("\n"));
			else if (token.type === "table") {
				const t = token as any;
				const row = (cells: any[]) => cells.map(c => plainInline(c.text)).join(" | ");
				builder.add([row(t.header), ...t.rows.map(row)].join("\n"));
			} else if (token.type === "blockquote") visit((token as any).tokens ?? []);
			else if (token.type === "paragraph" || token.type === "text") builder.add(plainInline((token as any).text));
			else if (token.type === "html") builder.add(parseHtml((token as any).text).text);
		}
	};
	visit(marked.lexer(markdown));
	builder.flush();
	return builder.sections;
}

/** Markdown inline syntax reduced to its words: links keep their text, emphasis its content. */
function plainInline(text: string): string {
	return text
		.replace(/!\[([^\]]*)\]\([^)]*\)/g, "$1")
		.replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
		.replace(/(\*\*|__|\*|_|`)(.+?)\1/g, "$2")
		.trim();
}

const SKIPPED_TAGS = new Set(["script", "style", "noscript", "nav", "footer", "header", "template", "svg", "iframe", "form", "button"]);
const BLOCK_TAGS = new Set(["p", "li", "td", "th", "pre", "blockquote", "dd", "dt", "figcaption", "caption", "div", "section", "article"]);

export function parseHtmlText(html: string): Section[] {
	const root = parseHtml(html, { comment: false, blockTextElements: { pre: true } });
	const builder = new SectionBuilder();
	const title = root.querySelector("title")?.text.trim();
	if (title && !root.querySelector("h1")) builder.heading(1, title);
	const walk = (node: HtmlNode) => {
		if (node.nodeType === NodeType.TEXT_NODE) {
			builder.add((node as unknown as { text: string }).text);
			return;
		}
		if (node.nodeType !== NodeType.ELEMENT_NODE) return;
		const el = node as HTMLElement;
		const tag = el.rawTagName?.toLowerCase() ?? "";
		if (SKIPPED_TAGS.has(tag) || tag === "head") return;
		const heading = /^h([1-6])$/.exec(tag);
		if (heading) {
			builder.heading(Number(heading[1]), el.text.replace(/\s+/g, " "));
			return;
		}
		if (BLOCK_TAGS.has(tag) && !el.querySelector("h1,h2,h3,h4,h5,h6") && !hasBlockChild(el)) {
			builder.add(el.text.replace(/\s+/g, " "));
			return;
		}
		for (const child of el.childNodes) walk(child);
	};
	walk(root);
	builder.flush();
	return builder.sections;
}

function hasBlockChild(el: HTMLElement): boolean {
	return el.childNodes.some(c => c.nodeType === NodeType.ELEMENT_NODE && BLOCK_TAGS.has((c as HTMLElement).rawTagName?.toLowerCase() ?? ""));
}

export function parsePlain(text: string): Section[] {
	return text
		.split(/\n\s*\n/)
		.map(p => p.trim())
		.filter(Boolean)
		.map(p => ({ headingPath: [], text: p }));
}

export async function parsePdf(data: Uint8Array): Promise<Section[]> {
	if (data.length < 5 || Buffer.from(data.subarray(0, 5)).toString("latin1") !== "%PDF-") throw new SourceParseError("This is not a PDF file");
	const { extractText, getDocumentProxy } = await import("unpdf");
	let pages: string[];
	try {
		// A copy: PDF.js transfers (detaches) the buffer it is given. Text extraction needs no font files, so
		// PDF.js's warnings about the standard fonts are silenced (verbosity 0: errors only).
		const pdf = await getDocumentProxy(new Uint8Array(data), { isEvalSupported: false, verbosity: 0 } as any);
		pages = (await extractText(pdf, { mergePages: false })).text as string[];
		await (pdf as any).destroy?.();
	} catch (err) {
		throw new SourceParseError(`The PDF could not be read: ${(err as Error).message ?? String(err)}`.slice(0, 300));
	}
	return pages.map((text, i) => ({ headingPath: [`Page ${i + 1}`], text }));
}
