/**
 * The users block's part of the reporting feed, built in one place so the live messages and the `export`
 * actions (which replay the current state for a rebuild) say the same: accounts (roles, status, creation
 * time: seats and new accounts), classes (who teaches and attends: class figures), schools (registry).
 * Reporting keeps, per field, the latest it has seen by `occurredAt`.
 */
const iso = (d: unknown) => new Date((d as string | Date | undefined) ?? Date.now()).toISOString();

export function userCreatedMessage(user: { id?: unknown; _id?: unknown; schoolId?: unknown; roles: string[]; status?: string; createdAt?: unknown; updatedAt?: unknown }, asStored = false) {
	const userId = String(user.id ?? user._id);
	return {
		id: `users.user.created:${userId}`,
		schoolId: user.schoolId ? String(user.schoolId) : null,
		userId,
		roles: [...user.roles],
		at: iso(user.createdAt),
		// A replayed account (export) carries its current status, as of its last change.
		...(asStored ? { status: user.status ?? "active", occurredAt: iso(user.updatedAt ?? user.createdAt) } : {}),
	};
}

export function classChangedMessage(cls: { id?: unknown; _id?: unknown; schoolId: unknown; name: string; teacherIds: unknown[]; studentIds: unknown[]; updatedAt?: unknown }, removed = false) {
	const classId = String(cls.id ?? cls._id);
	const occurredAt = removed ? new Date().toISOString() : iso(cls.updatedAt);
	return {
		id: `users.class.changed:${classId}:${occurredAt}${removed ? ":removed" : ""}`,
		schoolId: String(cls.schoolId),
		occurredAt,
		classId,
		name: cls.name,
		teacherIds: cls.teacherIds.map(String),
		studentIds: cls.studentIds.map(String),
		removed,
	};
}

export function schoolCreatedMessage(school: { id?: unknown; _id?: unknown; name: string; code?: string; timezone: string; status?: string; createdAt?: unknown; updatedAt?: unknown; suspendedAt?: unknown }) {
	const schoolId = String(school.id ?? school._id);
	return {
		id: `users.school.created:${schoolId}`,
		schoolId,
		name: school.name,
		code: school.code,
		timezone: school.timezone,
		at: iso(school.createdAt),
		status: school.status ?? "active",
		suspendedAt: school.suspendedAt ? iso(school.suspendedAt) : null,
		occurredAt: iso(school.updatedAt ?? school.createdAt),
	};
}
