/**
 * Citations are the passage labels in square brackets ([S1], [S2, S3]). Only labels of passages that were
 * actually retrieved for this question count: any other is removed from the text, so a model cannot
 * invent a source. `CitationFilter` does the same on a stream, holding back only an open bracket.
 */
const MARKER = /\[\s*(S\d+(?:\s*[,;]\s*S\d+)*)\s*\]/g;

export function citedLabels(text: string): string[] {
	const found = new Set<string>();
	for (const m of text.matchAll(MARKER)) for (const label of m[1].split(/\s*[,;]\s*/)) found.add(label.trim());
	return [...found];
}

export function checkCitations(text: string, allowed: ReadonlySet<string>): { text: string; cited: string[]; dropped: string[] } {
	const cited = new Set<string>();
	const dropped = new Set<string>();
	const cleaned = text.replace(MARKER, (_m, inner: string) => {
		const labels = inner.split(/\s*[,;]\s*/).map(l => l.trim());
		const kept = labels.filter(l => allowed.has(l));
		labels.filter(l => !allowed.has(l)).forEach(l => dropped.add(l));
		kept.forEach(l => cited.add(l));
		return kept.length > 0 ? `[${kept.join(", ")}]` : "";
	});
	return { text: cleaned.replace(/ {2,}/g, " "), cited: [...cited], dropped: [...dropped] };
}

/** Streams text through `checkCitations`, holding back an unfinished `[…` (at most 40 characters). */
export class CitationFilter {
	private pending = "";
	readonly cited = new Set<string>();
	readonly dropped = new Set<string>();

	constructor(private readonly allowed: ReadonlySet<string>) {}

	push(delta: string): string {
		this.pending += delta;
		const open = this.pending.lastIndexOf("[");
		let ready = this.pending;
		let hold = "";
		if (open >= 0 && !this.pending.slice(open).includes("]") && this.pending.length - open < 40) {
			ready = this.pending.slice(0, open);
			hold = this.pending.slice(open);
		}
		this.pending = hold;
		return this.clean(ready);
	}

	end(): string {
		const rest = this.clean(this.pending);
		this.pending = "";
		return rest;
	}

	private lastChar = "";

	private clean(text: string): string {
		const checked = checkCitations(text, this.allowed);
		checked.cited.forEach(l => this.cited.add(l));
		checked.dropped.forEach(l => this.dropped.add(l));
		// A marker dropped at a piece boundary leaves two spaces across pieces: keep one.
		const out = this.lastChar === " " && checked.text.startsWith(" ") && checked.dropped.length > 0 ? checked.text.slice(1) : checked.text;
		if (out) this.lastChar = out.at(-1)!;
		return out;
	}
}
