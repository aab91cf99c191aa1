/**
 * A student's progress on one path: per step, the sessions and evaluations counted and whether the step's
 * completion criterion has been met (once met, a step stays completed, so later forgetting does not lock
 * the steps after it). Mastery and due dates are not stored: they are read live from the memory model.
 * Owned by services/learning/progress.service.ts.
 */
import { defineModel, defineSchema, ObjectId, part } from "./define.js";

const StepProgressSchema = part({
	stepId: { type: String, required: true },
	completed: { type: Boolean, default: false },
	completedAt: { type: Date, default: null },
	sessions: { type: Number, default: 0 },
	lastScore: { type: Number, default: null },
	bestScore: { type: Number, default: null },
	timeSpentMs: { type: Number, default: 0 },
});

export const PathProgressSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, index: true },
	studentId: { type: ObjectId, required: true },
	pathId: { type: ObjectId, required: true },
	steps: { type: [StepProgressSchema], default: [] },
	/** Sessions and evaluation attempts already counted: recording one twice changes nothing. */
	recordedIds: { type: [String], default: [] },
	sessions: { type: Number, default: 0 },
	timeSpentMs: { type: Number, default: 0 },
	lastActivityAt: { type: Date, default: null },
});
PathProgressSchema.index({ schoolId: 1, studentId: 1, pathId: 1 }, { unique: true });
PathProgressSchema.index({ schoolId: 1, pathId: 1 });

export const PathProgress = defineModel("PathProgress", PathProgressSchema);
