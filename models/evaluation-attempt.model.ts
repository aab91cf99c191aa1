/**
 * One attempt at an evaluation step (a graded, timed quiz), stored apart from revision sessions.
 * `(schoolId, studentId, pathId, stepId, attemptNo)` is unique, so the attempt count cannot be exceeded
 * by two starts at once. Owned by services/learning/evaluations.service.ts.
 */
import { defineModel, defineSchema, part } from "./define.js";
import { gradeFields, studentStepFields } from "./step-work.js";

export const EvaluationAttemptSchema = defineSchema({
	...studentStepFields(),
	attemptNo: { type: Number, required: true },
	itemIds: { type: [String], default: [] },
	status: { type: String, enum: ["in_progress", "submitted", "expired"], required: true, default: "in_progress" },
	startedAt: { type: Date, required: true },
	deadline: { type: Date, required: true },
	submittedAt: { type: Date, default: null },
	passScore: { type: Number, required: true },
	answers: {
		type: [
			part({
				itemId: { type: String, required: true },
				answered: { type: Boolean, required: true },
				...gradeFields(),
			}),
		],
		default: [],
	},
	score: { type: Number, default: null },
	passed: { type: Boolean, default: null },
});
EvaluationAttemptSchema.index({ schoolId: 1, studentId: 1, pathId: 1, stepId: 1, attemptNo: 1 }, { unique: true });
EvaluationAttemptSchema.index({ schoolId: 1, pathId: 1 });
// A teacher's list (callerScope adds teacherId), newest first.
EvaluationAttemptSchema.index({ schoolId: 1, teacherId: 1, startedAt: -1 });

export const EvaluationAttempt = defineModel("EvaluationAttempt", EvaluationAttemptSchema);
