/** fastest-validator rules every service shares. */

/** A MongoDB ObjectId as a client sends it: 24 hex digits. */
export const ID = { type: "string", length: 24, pattern: /^[0-9a-f]{24}$/i } as const;

/** The same check outside a validator schema (rooms, which do not use mongoose). */
export function isId(value: unknown): value is string {
	return typeof value === "string" && ID.pattern.test(value);
}

/** The pagination parameters every list action accepts. */
export const PAGE_PARAMS = {
	page: { type: "number", integer: true, min: 1, optional: true, convert: true },
	pageSize: { type: "number", integer: true, min: 1, max: 100, optional: true, convert: true },
} as const;
