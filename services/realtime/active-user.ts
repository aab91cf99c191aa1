/**
 * How the realtime edge (rooms' onAuth, the monitor gate) checks who is calling: the gateway's access
 * token, AND the account and school it names as they are now (services/shared/live-identity.ts: status,
 * roles, session version, school status). Each edge maps the errors to its own protocol.
 */
import type { ServiceBroker } from "moleculer";
import { forbidden, unauthorized } from "../shared/errors.js";
import type { AuthUser } from "../shared/identity.js";
import { identityCacheOf, refusalError } from "../shared/live-identity.js";
import { isId } from "../shared/params.js";
import { verifyAccessToken } from "../shared/tokens.js";

/** The account now (the token only says what it was at login). */
export interface CurrentAccount {
	status: string;
	roles: string[];
}

export interface ActiveUser {
	/** The user as they are now: what calls made on their behalf carry (with the token's session version). */
	user: AuthUser;
	account: CurrentAccount;
}

/**
 * A missing or invalid token, or one a logout, a password or role change ended, is a 401 (sign in again);
 * a valid token of an account or school that is not active is a 403. Any other failure (users service
 * unreachable) is thrown as is: never an admission.
 */
export async function verifyActiveUser(broker: ServiceBroker, token: string | undefined, opts: { fresh?: boolean } = {}): Promise<ActiveUser> {
	if (!token) throw unauthorized("Authentication required");
	const claimed = await verifyAccessToken(token);
	// Only people hold seats and sessions; the system principal never comes through an edge.
	if (!isId(claimed.id)) throw forbidden("This token does not name a user account");
	const cache = identityCacheOf(broker);
	// A rare and powerful entrance (the monitor) reads the account afresh rather than trust the cache.
	if (opts.fresh) cache.invalidate({ userId: claimed.id });
	const verdict = await cache.evaluate(claimed);
	if (!verdict.ok) throw verdict.reason === "suspended" ? forbidden("This account is not active") : refusalError(verdict.reason);
	return { user: verdict.user, account: { status: "active", roles: [...verdict.user.roles] } };
}
