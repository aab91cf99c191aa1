/**
 * Who manages what in the AI block, inside one school: a teacher their own agents and sources, a school
 * admin all of them. Another teacher's agent or source answers 403, another school's 404 (the db mixin).
 */
import { forbidden } from "../shared/errors.js";
import { hasRole, type AuthUser } from "../shared/identity.js";

export const isAdmin = (user: AuthUser) => hasRole(user, "school_admin");

export function assertManages(user: AuthUser, doc: { ownerId: string }, what: string): void {
	if (!isAdmin(user) && doc.ownerId !== user.id) throw forbidden(`This ${what} belongs to another teacher`);
}

/** The filter of what a manager may list: all for an admin, their own for a teacher. */
export function managedFilter(user: AuthUser): Record<string, unknown> {
	return isAdmin(user) ? {} : { ownerId: user.id };
}
