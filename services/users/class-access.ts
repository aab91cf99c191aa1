/**
 * Who sees and who manages a class: school admins every class of their school, teachers the classes
 * they teach, students the ones they attend. Pure, so the rules are tested without a database.
 */
import type { AuthUser } from "../shared/identity.js";

export interface ClassMembers {
	teacherIds: string[];
	studentIds: string[];
}

const isAdmin = (user: AuthUser) => user.roles.includes("school_admin");

/** The extra filter confining a class query to what the user may see (within their school). */
export function visibleClassesFilter(user: AuthUser): Record<string, unknown> {
	if (isAdmin(user)) return {};
	const own: Record<string, unknown>[] = [];
	if (user.roles.includes("teacher")) own.push({ teacherIds: user.id });
	if (user.roles.includes("student")) own.push({ studentIds: user.id });
	// No matching role: a filter nothing satisfies rather than everything.
	return own.length === 0 ? { _id: null } : own.length === 1 ? own[0] : { $or: own };
}

export function canSeeClass(user: AuthUser, cls: ClassMembers): boolean {
	return (
		isAdmin(user) ||
		(user.roles.includes("teacher") && cls.teacherIds.includes(user.id)) ||
		(user.roles.includes("student") && cls.studentIds.includes(user.id))
	);
}

/** Renaming a class or enrolling in it: its school's admins and its own teachers. */
export function canManageClass(user: AuthUser, cls: ClassMembers): boolean {
	return isAdmin(user) || (user.roles.includes("teacher") && cls.teacherIds.includes(user.id));
}

/** The precondition that keeps a teacher's update atomic with the check that they teach the class. */
export function manageGuard(user: AuthUser): Record<string, unknown> {
	return isAdmin(user) ? {} : { teacherIds: user.id };
}
