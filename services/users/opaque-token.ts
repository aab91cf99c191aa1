/**
 * Opaque secrets handed to clients (refresh tokens, email verification and password reset links).
 * Only their sha256 is stored, so a database leak does not hand out sessions or reset links.
 */
import { createHash, randomBytes } from "node:crypto";

export const TOKEN_BYTES = 32;
/** A token as it travels: 32 random bytes in base64url is 43 characters. */
export const TOKEN_RULE = { type: "string", min: 20, max: 200, pattern: /^[A-Za-z0-9_-]+$/ } as const;

export function newOpaqueToken(): string {
	return randomBytes(TOKEN_BYTES).toString("base64url");
}

export function hashToken(token: string): string {
	return createHash("sha256").update(token, "utf8").digest("hex");
}

export function expiresIn(ms: number, now = new Date()): Date {
	return new Date(now.getTime() + ms);
}
