/**
 * The tutor without a language model: the passages closest to the question, quoted with their citation
 * and source, under a label that says plainly no AI wrote the reply.
 */
export const EXTRACTIVE_LABEL = "[Extractive mode: no AI model is configured. These are the passages of your course material closest to your question.]";
export const NOT_COVERED = "The course material does not cover this question. Ask your teacher about it.";
export const TUTOR_OFF_EVALUATION = "The tutor is off while you are taking an evaluation on this path.";

export function extractiveAnswer(passages: readonly { label: string; sourceTitle: string; headingPath: string[]; text: string }[], maxPassages = 3): string {
	const parts = passages.slice(0, maxPassages).map(p => {
		const where = [p.sourceTitle, ...p.headingPath].join(" › ");
		return `> ${p.text.replace(/\n+/g, " ")}\n— ${where} [${p.label}]`;
	});
	return [EXTRACTIVE_LABEL, ...parts].join("\n\n");
}
