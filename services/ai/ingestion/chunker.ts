/**
 * Sections → chunks sized in the embedding model's own tokens. Sentences (Intl.Segmenter, which knows
 * French and English abbreviations and punctuation) are packed into a chunk until the next would pass
 * `maxTokens`; consecutive chunks of a section share about `overlapTokens` of trailing sentences, so an
 * answer that straddles a boundary is whole in one of them. Chunks never cross a heading: the heading
 * path stays true of the whole chunk. A sentence longer than a chunk is cut by words.
 */
import type { Section } from "./parse.js";

export interface ChunkDraft {
	position: number;
	headingPath: string[];
	text: string;
	tokens: number;
}

export interface ChunkOptions {
	maxTokens: number;
	overlapTokens: number;
	/** Tokens of a text (the embedding model's tokenizer, without special tokens or prefix). */
	countTokens: (text: string) => number;
	locale?: string;
}

export function sentences(text: string, locale = "fr"): string[] {
	const segmenter = new Intl.Segmenter(locale, { granularity: "sentence" });
	const out: string[] = [];
	for (const paragraph of text.split(/\n{2,}/)) {
		for (const { segment } of segmenter.segment(paragraph)) {
			const s = segment.replace(/\s+/g, " ").trim();
			if (s) out.push(s);
		}
	}
	return out;
}

/** Cuts one over-long sentence into word runs of at most `max` tokens. */
function splitLong(sentence: string, max: number, count: (t: string) => number): string[] {
	const words = sentence.split(" ");
	const parts: string[] = [];
	let current: string[] = [];
	for (const word of words) {
		const candidate = [...current, word].join(" ");
		if (current.length > 0 && count(candidate) > max) {
			parts.push(current.join(" "));
			current = [word];
		} else current.push(word);
	}
	if (current.length) parts.push(current.join(" "));
	return parts;
}

export function chunkSections(sections: readonly Section[], opts: ChunkOptions): ChunkDraft[] {
	const chunks: ChunkDraft[] = [];
	for (const section of sections) {
		const units = sentences(section.text, opts.locale).flatMap(s => {
			const n = opts.countTokens(s);
			return n > opts.maxTokens ? splitLong(s, opts.maxTokens, opts.countTokens).map(p => ({ text: p, tokens: opts.countTokens(p) })) : [{ text: s, tokens: n }];
		});
		let current: { text: string; tokens: number }[] = [];
		let size = 0;
		const emit = () => {
			if (current.length === 0) return;
			// The sum of the sentences' counts: each sentence was counted as it stands after a space (the
			// tokenizer's prefix space), so the joined text has the same tokens; no second pass over it.
			chunks.push({ position: chunks.length, headingPath: [...section.headingPath], text: current.map(u => u.text).join(" "), tokens: size });
		};
		for (const unit of units) {
			if (size + unit.tokens > opts.maxTokens && current.length > 0) {
				emit();
				// Carry trailing sentences worth up to overlapTokens into the next chunk.
				const carried: typeof current = [];
				let carriedSize = 0;
				for (let i = current.length - 1; i >= 0; i--) {
					if (carriedSize + current[i].tokens > opts.overlapTokens || carriedSize + current[i].tokens + unit.tokens > opts.maxTokens) break;
					carried.unshift(current[i]);
					carriedSize += current[i].tokens;
				}
				current = carried;
				size = carriedSize;
			}
			current.push(unit);
			size += unit.tokens;
		}
		emit();
	}
	return chunks;
}
