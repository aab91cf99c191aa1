/**
 * Requests that make the platform send mail to an address someone types (signup, password reset,
 * invitation) are throttled per client address and per email (rate-limits.ts), so nobody turns the
 * platform into a mail cannon aimed at one inbox, nor sprays it from one address. The email count is
 * taken whether or not an account exists, so a 429 says nothing about accounts.
 */
import { settings } from "../../config/env.js";
import { tooManyRequests } from "../shared/errors.js";
import { emailKey } from "./account-keys.js";
import { retryAfterOf, type RateLimits } from "./rate-limits.js";

export type MailRequest = "signup" | "reset" | "invite";

function limitsOf(kind: MailRequest): { perAddress: number; perEmail: number; windowSeconds: number } {
	const s = settings();
	const windowSeconds = s.requestLimitWindowSeconds;
	switch (kind) {
		case "signup":
			return { perAddress: s.signupMaxPerAddress, perEmail: s.signupMaxPerEmail, windowSeconds };
		case "reset":
			return { perAddress: s.resetMaxPerAddress, perEmail: s.resetMaxPerEmail, windowSeconds };
		default:
			return { perAddress: s.inviteMaxPerAddress, perEmail: s.inviteMaxPerEmail, windowSeconds };
	}
}

/** Takes one request of `kind` for `email` from `ip`, or throws 429 TOO_MANY_REQUESTS with Retry-After. */
export async function takeMailRequest(limits: RateLimits, kind: MailRequest, ip: string | undefined, email: string): Promise<void> {
	const { perAddress, perEmail, windowSeconds } = limitsOf(kind);
	try {
		await limits.limiter(`${kind}-ip`, perAddress, windowSeconds).consume(ip || "unknown");
		await limits.limiter(`${kind}-email`, perEmail, windowSeconds).consume(emailKey(email));
	} catch (refusal) {
		throw tooManyRequests(retryAfterOf(refusal));
	}
}
