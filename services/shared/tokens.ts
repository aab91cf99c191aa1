/**
 * Access tokens: short-lived HS256 JWTs carrying `{ sub, sch, roles, sv }` (`sv`: the account's session
 * version when it was signed, checked live on every call by services/shared/live-identity.ts). Signed by the auth service,
 * verified by the gateway and the realtime service, so both edges trust exactly the same thing.
 */
import { SignJWT, errors as joseErrors, jwtVerify } from "jose";
import { settings } from "../../config/env.js";
import { ERR, unauthorized } from "./errors.js";
import type { AuthUser } from "./identity.js";

const ISSUER = "learning-platform";
const AUDIENCE = "learning-platform-api";

let cachedKey: { secret: string; key: Uint8Array } | undefined;
function key(): Uint8Array {
	const secret = settings().jwtSecret;
	if (cachedKey?.secret !== secret) cachedKey = { secret, key: new TextEncoder().encode(secret) };
	return cachedKey.key;
}

export async function signAccessToken(user: AuthUser): Promise<{ token: string; expiresIn: number }> {
	const expiresIn = settings().accessTokenTtlSeconds;
	const token = await new SignJWT({ sch: user.schoolId, roles: user.roles, sv: user.sv ?? 0 })
		.setProtectedHeader({ alg: "HS256", typ: "JWT" })
		.setSubject(user.id)
		.setIssuer(ISSUER)
		.setAudience(AUDIENCE)
		.setIssuedAt()
		.setExpirationTime(`${expiresIn}s`)
		.sign(key());
	return { token, expiresIn };
}

/** The user a token names, or a 401 INVALID_TOKEN whatever went wrong (expired, forged, malformed). */
export async function verifyAccessToken(token: string): Promise<AuthUser> {
	try {
		const { payload } = await jwtVerify(token, key(), { issuer: ISSUER, audience: AUDIENCE, algorithms: ["HS256"] });
		const roles = payload.roles;
		if (typeof payload.sub !== "string" || !Array.isArray(roles) || !roles.every(r => typeof r === "string")) {
			throw unauthorized("Malformed access token", ERR.INVALID_TOKEN);
		}
		const schoolId = typeof payload.sch === "string" ? payload.sch : null;
		// Tokens signed before session versions existed count as version 0, the version every account starts at.
		const sv = Number.isInteger(payload.sv) ? (payload.sv as number) : 0;
		return { id: payload.sub, schoolId, roles: roles as AuthUser["roles"], sv };
	} catch (err) {
		if (err instanceof joseErrors.JWTExpired) throw unauthorized("Access token expired", ERR.INVALID_TOKEN);
		if (err instanceof joseErrors.JOSEError) throw unauthorized("Invalid access token", ERR.INVALID_TOKEN);
		throw err;
	}
}
