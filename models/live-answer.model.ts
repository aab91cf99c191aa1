/**
 * One acknowledged answer of a teacher-led live session, as the room graded it: what a room that took
 * over the session after its realtime process died rebuilds the session from (who answered which
 * question, with which client id, for how many points). Written by liveSessions.recordAnswers together
 * with the review in the student's memory, before the student is told the answer is recorded; unique per
 * (session, student, question), so a retried batch writes each answer once (a review question asks an item
 * again under its own question index, as a later attempt). Owned by
 * services/learning/live-sessions.service.ts.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const LiveAnswerSchema = defineSchema({
	schoolId: { type: ObjectId, required: true },
	liveSessionId: { type: ObjectId, required: true },
	studentId: { type: ObjectId, required: true },
	itemId: { type: String, required: true },
	/** 1, or the attempt of a review question (the item asked again for its learning step). */
	attempt: { type: Number, default: 1 },
	questionIndex: { type: Number, required: true },
	clientId: { type: String, required: true },
	correct: { type: Boolean, required: true },
	score: { type: Number, required: true },
	rating: { type: Number, required: true },
	responseTimeMs: { type: Number, default: null },
	points: { type: Number, required: true },
	/** The answer as given: the reveal's distribution counts it (a resumed room reveals the open question too). */
	answer: { type: Object, default: null },
	answeredAt: { type: Date, required: true },
});
LiveAnswerSchema.index({ schoolId: 1, liveSessionId: 1, studentId: 1, questionIndex: 1 }, { unique: true });

export const LiveAnswer = defineModel("LiveAnswer", LiveAnswerSchema);
