/**
 * A student's revision session on one step: its queue (planned at the start, plus the learning steps that come
 * back during it), and every answer taken, each
 * with the client id that makes a retry harmless. Owned by services/learning/revisions.service.ts; the
 * rules live in services/learning/sessions/session-logic.ts.
 */
import { defineModel, defineSchema, part } from "./define.js";
import { gradeFields, studentStepFields } from "./step-work.js";

export const SESSION_STATUSES = ["active", "completed", "abandoned"] as const;

const AnswerSchema = part({
	clientId: { type: String, required: true },
	itemId: { type: String, required: true },
	...gradeFields(),
	answeredAt: { type: Date, required: true },
	/** 1, or 2, 3... for the same item answered again in the session (a learning step): its own review. */
	attempt: { type: Number, default: 1 },
	/** Whether the answer changed the memory model (false for practice ahead of time). */
	counted: { type: Boolean, default: true },
});

export const RevisionSessionSchema = defineSchema({
	...studentStepFields(),
	/** group: one student's part of a teacher-led live session (recorded at its end by the live room). */
	mode: { type: String, enum: ["normal", "practice", "group"], required: true },
	/** The live session a group-mode session belongs to (its id is derived from this and the student). */
	liveSessionId: { type: String, default: null },
	status: { type: String, enum: SESSION_STATUSES, required: true, default: "active" },
	/** The items to answer; an item back for a learning step is queued again (kind "step", due at `dueAt`). */
	queue: { type: [part({ itemId: { type: String, required: true }, kind: { type: String, required: true }, dueAt: { type: Date, default: null } })], default: [] },
	answers: { type: [AnswerSchema], default: [] },
	extraTimePercent: { type: Number, default: 0 },
	startedAt: { type: Date, required: true },
	lastActivityAt: { type: Date, required: true },
	endedAt: { type: Date, default: null },
	summary: {
		type: part({ score: Number, successRate: Number, timeSpentMs: Number, answered: Number, correct: Number }),
		default: null,
	},
});
RevisionSessionSchema.index({ schoolId: 1, studentId: 1, startedAt: -1 });
// A teacher's list (callerScope adds teacherId) and an admin's, newest first.
RevisionSessionSchema.index({ schoolId: 1, teacherId: 1, startedAt: -1 });
RevisionSessionSchema.index({ schoolId: 1, startedAt: -1 });
RevisionSessionSchema.index({ schoolId: 1, pathId: 1 });
RevisionSessionSchema.index({ status: 1, lastActivityAt: 1 });

export const RevisionSession = defineModel("RevisionSession", RevisionSessionSchema);
