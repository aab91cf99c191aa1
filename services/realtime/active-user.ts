/**
 * How the realtime edge (rooms' onAuth, the monitor gate) checks who is calling: the gateway's access
 * token, AND the account it names still active. Each edge maps the errors to its own protocol.
 */
import type { ServiceBroker } from "moleculer";
import { ERR, forbidden, unauthorized } from "../shared/errors.js";
import { systemMeta, type AuthUser } from "../shared/identity.js";
import { isId } from "../shared/params.js";
import { verifyAccessToken } from "../shared/tokens.js";

/** What users.sessionUser says of the account now (the token only says what it was at login). */
export interface CurrentAccount {
	status: string;
	roles: string[];
}

export interface ActiveUser {
	/** The user as the token names them: what calls made on their behalf carry. */
	user: AuthUser;
	account: CurrentAccount;
}

/**
 * A missing or invalid token is a 401 (sign in again); a valid token of an account that is gone or not
 * active is a 403. Any other failure (users service unreachable) is thrown as is: never an admission.
 */
export async function verifyActiveUser(broker: ServiceBroker, token: string | undefined): Promise<ActiveUser> {
	if (!token) throw unauthorized("Authentication required");
	const user = await verifyAccessToken(token);
	// Only people hold seats and sessions; the system principal never comes through an edge.
	if (!isId(user.id)) throw forbidden("This token does not name a user account");
	// An access token outlives a suspension by up to its TTL (it cannot be revoked); the account's status does not.
	const account = await broker
		.call<CurrentAccount, { userId: string }>("users.sessionUser", { userId: user.id }, { meta: systemMeta() })
		.catch((err: { type?: string }) => {
			if (err?.type === ERR.NOT_FOUND) return null;
			throw err;
		});
	if (!account || account.status !== "active") throw forbidden("This account is not active");
	return { user, account: { status: account.status, roles: [...(account.roles ?? [])] } };
}
