/**
 * Turns a profile patch into a MongoDB $set with dotted paths: lists (levels, subjects) are replaced,
 * preference and accommodation objects are merged key by key, so a client changes one flag without
 * resending the others.
 */
export interface StudentProfilePatch {
	levels?: { subject: string; level: string }[];
	preferences?: Record<string, unknown>;
	accommodations?: Record<string, unknown>;
}

export function studentProfileSet(patch: StudentProfilePatch): Record<string, unknown> {
	const set: Record<string, unknown> = {};
	if (patch.levels) set["studentProfile.levels"] = patch.levels;
	for (const group of ["preferences", "accommodations"] as const) {
		for (const [key, value] of Object.entries(patch[group] ?? {})) {
			if (value !== undefined) set[`studentProfile.${group}.${key}`] = value;
		}
	}
	return set;
}

export function teacherProfileSet(patch: { subjects?: string[] }): Record<string, unknown> {
	return patch.subjects ? { "teacherProfile.subjects": patch.subjects } : {};
}
