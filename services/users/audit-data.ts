/**
 * Audit entries keep a little context, not payloads: a caller passing something large (or something
 * that cannot be stored) gets a truncated marker instead of a failed write or a bloated log. Keys that
 * MongoDB reads as operators or paths ("$x", "a.b") are renamed so a stored entry never fails.
 */
export const MAX_AUDIT_DATA_CHARS = 4096;

function storableKeys(value: unknown): unknown {
	if (Array.isArray(value)) return value.map(storableKeys);
	if (value === null || typeof value !== "object") return value;
	return Object.fromEntries(
		Object.entries(value).map(([k, v]) => [k.replace(/^\$/, "_").replace(/\./g, "_"), storableKeys(v)]),
	);
}

export function boundedData(data: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
	if (data === undefined) return undefined;
	let text: string;
	try {
		text = JSON.stringify(data);
	} catch {
		return { truncated: true };
	}
	if (text.length > MAX_AUDIT_DATA_CHARS) return { truncated: true, preview: text.slice(0, 512) };
	return storableKeys(JSON.parse(text)) as Record<string, unknown>;
}
