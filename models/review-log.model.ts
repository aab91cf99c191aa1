/**
 * Every answer that reached the memory model, in any setting (solo session, live group room,
 * evaluation, practice), with the card before and after. `reviewKey` (unique in the school) makes
 * recording idempotent: a retry finds the first entry and returns its result.
 */
import { Schema } from "mongoose";
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const REVIEW_SOURCES = ["solo", "group", "evaluation", "practice"] as const;

export const ReviewLogSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, index: true },
	reviewKey: { type: String, required: true },
	studentId: { type: ObjectId, required: true },
	itemId: { type: ObjectId, required: true },
	pathId: { type: ObjectId, default: null },
	teacherId: { type: ObjectId, default: null },
	subject: { type: String, required: true },
	rating: { type: Number, required: true },
	responseTimeMs: { type: Number, default: null },
	correct: { type: Boolean, default: null },
	/** As recorded: a practice answer that counted is logged as "solo" (scheduler.ts). */
	source: { type: String, enum: REVIEW_SOURCES, required: true },
	/** Whether the memory state was updated. */
	counted: { type: Boolean, required: true },
	/** The first counted review of this item by this student (a "new" item introduced). */
	first: { type: Boolean, required: true },
	reviewedAt: { type: Date, required: true },
	elapsedDays: { type: Number, required: true },
	retrievability: { type: Number, required: true },
	scheduledDays: { type: Number, required: true },
	before: { type: Schema.Types.Mixed, default: null },
	after: { type: Schema.Types.Mixed, required: true },
	/** What ts-fsrs computed, stored only when it differs from `after` (a practice answer that did not count). */
	wouldBe: { type: Schema.Types.Mixed, default: undefined },
});
ReviewLogSchema.index({ schoolId: 1, reviewKey: 1 }, { unique: true });
ReviewLogSchema.index({ schoolId: 1, studentId: 1, subject: 1, reviewedAt: 1 });
ReviewLogSchema.index({ schoolId: 1, studentId: 1, reviewedAt: 1 });

export const ReviewLog = defineModel("ReviewLog", ReviewLogSchema);
