/**
 * `learning.step.completed`: a student met a path step's completion criterion (reporting's completion per path).
 * Published by progress's action hooks when a recorded session completes a step (and again when the same
 * session is recorded again, so a lost publish is made good by the retry), and rebuilt from the stored
 * progress by `progress.export`: both build it here, from the stored step, so they carry the same time.
 */
export interface CompletedStep {
	stepId: string;
	completed: boolean;
	completedAt: Date | string | null;
}

export function stepCompletedMessages(schoolId: string, doc: { studentId: unknown; pathId: unknown; steps: CompletedStep[] }) {
	const studentId = String(doc.studentId);
	const pathId = String(doc.pathId);
	return doc.steps
		.filter(s => s.completed && s.completedAt)
		.map(s => {
			const completedAt = new Date(s.completedAt!).toISOString();
			return { id: `learning.step.completed:${studentId}:${pathId}:${s.stepId}`, schoolId, occurredAt: completedAt, completedAt, studentId, pathId, stepId: s.stepId };
		});
}
