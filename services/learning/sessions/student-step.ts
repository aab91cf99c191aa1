/**
 * What revision sessions and evaluation attempts share: each is a student's work on one step of a path
 * (see models/step-work.ts), listed to the caller by the same rule.
 */
import type { Filter } from "../../shared/db.mixin.js";
import { hasRole, type AuthUser } from "../../shared/identity.js";

/** The fields every such record shows a client; each service lists its own after them. */
export const STUDENT_STEP_FIELDS = ["id", "schoolId", "studentId", "pathId", "stepId", "teacherId", "subject"] as const;

export interface StudentStepRecord {
	id: string;
	schoolId: string;
	studentId: string;
	pathId: string;
	stepId: string;
	teacherId: string;
	subject: string;
}

/**
 * Narrows `filter` to what `user` may list: a school admin every record of the school (the tenant
 * filter is applied by the mixin), a teacher the ones they assigned, anyone else their own.
 */
export function callerScope(user: AuthUser, filter: Filter): Filter {
	if (hasRole(user, "school_admin")) return filter;
	if (hasRole(user, "teacher")) return { ...filter, teacherId: user.id };
	return { ...filter, studentId: user.id };
}
