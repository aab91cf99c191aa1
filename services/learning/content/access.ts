/**
 * Who sees and who changes a content item, inside one school. A teacher's items are theirs: they see
 * them in every status and are the only teacher who may change them. Other teachers of the school see
 * (read-only) the validated items, so a good deck can be reused in their own paths; drafts stay private
 * to their author and archived items leave the shared catalogue. School admins see and manage all.
 * Students never read items through the content routes (the matrix refuses them): revision sessions
 * serve them redacted.
 */
import type { AuthUser } from "../../shared/identity.js";

const isAdmin = (user: AuthUser) => user.roles.includes("school_admin");

/** The filter confining a query to the items the user may read (within their school). */
export function visibleItemsFilter(user: AuthUser): Record<string, unknown> {
	if (isAdmin(user)) return {};
	if (user.roles.includes("teacher")) return { $or: [{ ownerId: user.id }, { status: "validated" }] };
	return { _id: null };
}

export function canReadItem(user: AuthUser, item: { ownerId: string; status: string }): boolean {
	return isAdmin(user) || (user.roles.includes("teacher") && (item.ownerId === user.id || item.status === "validated"));
}

export function canManageItem(user: AuthUser, item: { ownerId: string }): boolean {
	return isAdmin(user) || (user.roles.includes("teacher") && item.ownerId === user.id);
}

/** The precondition that keeps an update atomic with the ownership check. */
export function manageGuard(user: AuthUser): Record<string, unknown> {
	return isAdmin(user) ? {} : { ownerId: user.id };
}
