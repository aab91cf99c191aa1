/**
 * Schema fragments shared by the records of a student's work on one path step: revision sessions
 * (revision-session.model.ts) and evaluation attempts (evaluation-attempt.model.ts). Functions, so each
 * schema gets its own definition objects.
 */
import { ObjectId } from "./define.js";

/** Whose work it is, on which step of which path, and the path's owner (whose layer applies, who is told). */
export function studentStepFields() {
	return {
		schoolId: { type: ObjectId, required: true, index: true },
		studentId: { type: ObjectId, required: true },
		pathId: { type: ObjectId, required: true },
		stepId: { type: String, required: true },
		teacherId: { type: ObjectId, required: true },
		subject: { type: String, required: true },
	};
}

/** How one answer was graded. */
export function gradeFields() {
	return {
		correct: { type: Boolean, required: true },
		score: { type: Number, required: true },
		rating: { type: Number, required: true },
		responseTimeMs: { type: Number, default: null },
	};
}
