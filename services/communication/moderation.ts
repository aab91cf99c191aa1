/**
 * The moderation hook every chat message passes before it is stored. A check is a pure function of
 * the text, which it gets already cleaned (text-hygiene.ts `cleanText`: NFKC, no invisible characters);
 * the default refuses a small blocklist of words, and a deployment can plug in its own (a classifier, a
 * vendor API wrapper) with `setModerationCheck`.
 */
import { skeleton } from "../shared/text-hygiene.js";

export type ModerationVerdict = { allowed: true } | { allowed: false; reason: string };
export type ModerationCheck = (text: string) => ModerationVerdict;

/**
 * Whole words only, compared on their skeletons (text-hygiene.ts): without case or accents, and with
 * lookalike letters of other scripts read as the Latin ones they imitate, so neither a Cyrillic "с"
 * nor a zero-width space inside a word gets it past. "Class" must not trip on "ass".
 */
export const DEFAULT_BLOCKLIST: readonly string[] = ["connard", "connasse", "salope", "fuck", "bitch", "nigger", "pute"];

export function blocklistCheck(words: readonly string[]): ModerationCheck {
	const blocked = new Set(words.map(skeleton));
	return text => {
		const hit = skeleton(text)
			.split(/[^\p{L}\p{N}]+/u)
			.find(word => blocked.has(word));
		return hit ? { allowed: false, reason: "The message contains a blocked word" } : { allowed: true };
	};
}

let current: ModerationCheck = blocklistCheck(DEFAULT_BLOCKLIST);

export function setModerationCheck(check: ModerationCheck | null): void {
	current = check ?? blocklistCheck(DEFAULT_BLOCKLIST);
}

export function moderate(text: string): ModerationVerdict {
	return current(text);
}
