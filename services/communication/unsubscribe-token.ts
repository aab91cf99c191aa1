/**
 * The signed token of an unsubscribe link: who, which category. It works without logging in (a mail
 * client's one-click POST, RFC 8058), so it is an HS256 JWT with its own audience and a key derived from
 * JWT_SECRET (an access token can never pass for one, nor the reverse). It does not expire: old mails' links
 * keep working, and all it can do is switch one category's email off.
 */
import { createHmac } from "node:crypto";
import { jwtVerify, SignJWT } from "jose";
import { settings } from "../../config/env.js";
import { CATEGORIES, type Category } from "./notification-prefs.js";

const AUDIENCE = "mail-unsubscribe";
const ISSUER = "learning-platform";

const key = () => createHmac("sha256", settings().jwtSecret).update("mail-unsubscribe").digest();

export async function signUnsubscribe(userId: string, category: Category): Promise<string> {
	return new SignJWT({ cat: category }).setProtectedHeader({ alg: "HS256" }).setSubject(userId).setAudience(AUDIENCE).setIssuer(ISSUER).setIssuedAt().sign(key());
}

/** The user and category, or null for anything not signed by us for this purpose. */
export async function verifyUnsubscribe(token: string): Promise<{ userId: string; category: Category } | null> {
	try {
		const { payload } = await jwtVerify(token, key(), { audience: AUDIENCE, issuer: ISSUER, algorithms: ["HS256"] });
		const category = payload.cat as Category;
		if (typeof payload.sub !== "string" || !/^[0-9a-f]{24}$/i.test(payload.sub) || !CATEGORIES.includes(category)) return null;
		return { userId: payload.sub, category };
	} catch {
		return null;
	}
}

export function unsubscribeUrl(token: string): string {
	return new URL(`/api/mail/unsubscribe?token=${encodeURIComponent(token)}`, settings().publicUrl).toString();
}
