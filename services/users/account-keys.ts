/**
 * The always-set unique keys of a user. Instead of a unique (but sometimes absent) email and a per-school
 * unique username, which on MongoDB would take partial unique indexes (the test server, mongo-java-server,
 * enforces a partial index on every document), every user has two plain unique keys:
 * - `loginKey`: `email:<email>` when they have an email, else `user:<schoolId>:<username>`;
 * - `usernameKey`: `user:<schoolId>:<username>` when they have a username, else `id:<userId>`.
 * Both are lower-cased, so uniqueness is case-insensitive.
 */
export const USERNAME_RULE = { type: "string", min: 3, max: 50, pattern: /^[A-Za-z0-9][A-Za-z0-9._-]*$/ } as const;
export const EMAIL_RULE = { type: "email", max: 254 } as const;

export function normalizeEmail(email: string): string {
	return email.trim().toLowerCase();
}

export function emailKey(email: string): string {
	return `email:${normalizeEmail(email)}`;
}

export function usernameKey(schoolId: string, username: string): string {
	return `user:${schoolId}:${username.trim().toLowerCase()}`;
}

export function accountKeys(id: string, schoolId: string | null, email?: string | null, username?: string | null) {
	const byUsername = username && schoolId ? usernameKey(schoolId, username) : undefined;
	const loginKey = email ? emailKey(email) : byUsername;
	if (!loginKey) throw new Error("an account needs an email, or a username in a school");
	return { loginKey, usernameKey: byUsername ?? `id:${id}` };
}

/** The throttle key of a login attempt, known before any lookup (so blocked attempts cost nothing). */
export function attemptKey(attempt: { email?: string; schoolCode?: string; username?: string }): string {
	if (attempt.email) return emailKey(attempt.email);
	return `user:${(attempt.schoolCode ?? "").toUpperCase()}:${(attempt.username ?? "").trim().toLowerCase()}`;
}
