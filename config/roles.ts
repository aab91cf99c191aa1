/** Roles a user can hold. platform_admin and support are platform staff and belong to no school. */
export const ROLES = ["platform_admin", "school_admin", "teacher", "student", "support"] as const;
export type Role = (typeof ROLES)[number];

export const STAFF_ROLES: readonly Role[] = ["platform_admin", "support"];
export const SCHOOL_ROLES: readonly Role[] = ["school_admin", "teacher", "student"];
/** Roles a school admin may grant inside the school. */
export const ASSIGNABLE_ROLES: readonly Role[] = ["school_admin", "teacher", "student"];

/** The principal that jobs, cron runs and durable consumers act as. */
export const SYSTEM_ROLE = "system" as const;

export function isStaff(roles: readonly string[]): boolean {
	return roles.some(r => (STAFF_ROLES as readonly string[]).includes(r));
}
