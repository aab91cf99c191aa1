/**
 * The AI block's part of the reporting feed: each tutor exchange (who asked, on which path, how demanding the
 * question was on Bloom's scale, tokens spent) and each generation (tokens spent), live and as replayed by the
 * `export` actions for a rebuild, built here so both carry the same fields and times.
 */
export function interactionRecordedMessage(doc: any) {
	const id = String(doc.id ?? doc._id);
	const at = new Date(doc.createdAt).toISOString();
	return {
		id: `ai.interaction.recorded:${id}`,
		schoolId: String(doc.schoolId),
		occurredAt: at,
		interactionId: id,
		studentId: String(doc.studentId),
		teacherId: doc.teacherId ? String(doc.teacherId) : null,
		pathId: String(doc.pathId),
		subject: doc.subject ?? null,
		classIds: (doc.classIds ?? []).map(String),
		mode: doc.mode,
		complexity: doc.complexity?.level ?? null,
		flagged: (doc.flags ?? []).length > 0,
		tokens: (doc.promptTokens ?? 0) + (doc.completionTokens ?? 0),
	};
}

export function generationRecordedMessage(doc: any) {
	const id = String(doc.id ?? doc._id);
	const at = new Date(doc.createdAt).toISOString();
	return {
		id: `ai.generation.recorded:${id}`,
		schoolId: String(doc.schoolId),
		occurredAt: at,
		generationId: id,
		ownerId: String(doc.ownerId),
		kind: doc.kind,
		tokens: (doc.promptTokens ?? 0) + (doc.completionTokens ?? 0),
	};
}
