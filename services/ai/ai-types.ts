/** Shared vocabulary of the AI block (services/ai): modes, formats, statuses, limits. */

export const PEDAGOGY_MODES = ["socratic", "hints_only", "full_explanation"] as const;
export type PedagogyMode = (typeof PEDAGOGY_MODES)[number];

export const SOURCE_FORMATS = ["markdown", "text", "pdf", "html"] as const;
export type SourceFormat = (typeof SOURCE_FORMATS)[number];

export const SOURCE_STATUSES = ["ingesting", "ready", "failed"] as const;
export type SourceStatus = (typeof SOURCE_STATUSES)[number];

export const FLAGS = ["distress", "cheating", "abuse", "injection"] as const;
export type Flag = (typeof FLAGS)[number];

export const GENERATED_KINDS = ["items", "path_draft"] as const;

export const AI_LIMITS = {
	/** A source's text (markdown, text, html), in characters. */
	sourceChars: 600_000,
	/** A PDF, base64-encoded, in characters (the gateway's body limit bounds it too). */
	pdfBase64Chars: 8_000_000,
	title: 200,
	question: 2_000,
	instructions: 4_000,
	/** Sources and paths one agent or source may be linked to. */
	links: 100,
} as const;
