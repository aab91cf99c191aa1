/**
 * Names and emails never reach the model: the student's (and, when known, their teacher's) names and
 * email addresses in a question are replaced by placeholders, and any other email address too.
 */
const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

export function scrubPersonalData(text: string, names: readonly (string | null | undefined)[]): string {
	let out = text.replace(EMAIL, "[email]");
	const words = [...new Set(names.filter((n): n is string => !!n && n.trim().length >= 2).map(n => n.trim()))].sort((a, b) => b.length - a.length);
	for (const name of words) out = out.replace(new RegExp(`(?<![\\p{L}])${escape(name)}(?![\\p{L}])`, "giu"), "[name]");
	return out;
}
