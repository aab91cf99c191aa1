/**
 * Password hashing with node's scrypt, stored as `scrypt$N$r$p$salt$hash` (base64url), so the cost
 * parameters can be raised later without breaking existing hashes.
 */
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;
/** fastest-validator rule every action taking a new password uses. */
export const PASSWORD_RULE = { type: "string", min: PASSWORD_MIN_LENGTH, max: PASSWORD_MAX_LENGTH } as const;

const COST = { N: 16384, r: 8, p: 1 } as const;
const SALT_BYTES = 16;
const KEY_BYTES = 64;
// Bounds on stored parameters: a corrupted or planted hash must not make verification eat the server.
const MAX_N = 1 << 20;
const MAX_RP = 16;

function derive(password: string, salt: Buffer, cost: { N: number; r: number; p: number }, keylen: number): Promise<Buffer> {
	const options: ScryptOptions = { ...cost, maxmem: 256 * cost.N * cost.r + 1024 * 1024 };
	return new Promise((resolve, reject) => {
		scrypt(password.normalize("NFC"), salt, keylen, options, (err, key) => (err ? reject(err) : resolve(key)));
	});
}

export async function hashPassword(password: string): Promise<string> {
	const salt = randomBytes(SALT_BYTES);
	const key = await derive(password, salt, COST, KEY_BYTES);
	return ["scrypt", COST.N, COST.r, COST.p, salt.toString("base64url"), key.toString("base64url")].join("$");
}

interface Parsed {
	cost: { N: number; r: number; p: number };
	salt: Buffer;
	key: Buffer;
}

function parse(stored: string): Parsed | null {
	const parts = stored.split("$");
	if (parts.length !== 6 || parts[0] !== "scrypt") return null;
	const [N, r, p] = parts.slice(1, 4).map(Number);
	const powerOfTwo = Number.isInteger(N) && N > 1 && (N & (N - 1)) === 0;
	if (!powerOfTwo || N > MAX_N || ![r, p].every(v => Number.isInteger(v) && v >= 1 && v <= MAX_RP)) return null;
	const salt = Buffer.from(parts[4], "base64url");
	const key = Buffer.from(parts[5], "base64url");
	if (salt.length === 0 || key.length < 16) return null;
	return { cost: { N, r, p }, salt, key };
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
	const parsed = parse(stored);
	if (!parsed) return false;
	const key = await derive(password, parsed.salt, parsed.cost, parsed.key.length);
	return timingSafeEqual(key, parsed.key);
}

let dummy: Promise<string> | undefined;

/**
 * Spends the same time as a real verification when there is no account, so response times do not
 * tell which emails or usernames exist. Always false.
 */
export async function verifyAgainstDummy(password: string): Promise<false> {
	dummy ??= hashPassword(randomBytes(16).toString("hex"));
	await verifyPassword(password, await dummy);
	return false;
}
