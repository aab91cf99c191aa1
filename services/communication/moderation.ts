/**
 * The moderation hook every chat message passes before it is stored. A check is a pure function of
 * the text; the default refuses a small blocklist of words, and a deployment can plug in its own
 * (a classifier, a vendor API wrapper) with `setModerationCheck`.
 */
export type ModerationVerdict = { allowed: true } | { allowed: false; reason: string };
export type ModerationCheck = (text: string) => ModerationVerdict;

/** Whole words only, compared without case or accents: "Class" must not trip on "ass". */
export const DEFAULT_BLOCKLIST: readonly string[] = ["connard", "connasse", "salope", "fuck", "bitch", "nigger", "pute"];

function fold(text: string): string {
	return text.normalize("NFD").replace(/\p{M}+/gu, "").toLowerCase();
}

export function blocklistCheck(words: readonly string[]): ModerationCheck {
	const blocked = new Set(words.map(fold));
	return text => {
		const hit = fold(text)
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
