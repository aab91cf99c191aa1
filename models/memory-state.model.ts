/**
 * What a student remembers of one content item: the FSRS card (memory/scheduler.ts MemoryCard), one
 * document per (student, item) whatever path the item is reviewed in. Written only by memory.recordReview,
 * conditionally on the `reps` and `last_review` it was computed from (optimistic concurrency, see there).
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const MemoryStateSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, index: true },
	studentId: { type: ObjectId, required: true },
	itemId: { type: ObjectId, required: true },
	subject: { type: String, required: true },
	due: { type: Date, required: true },
	stability: { type: Number, required: true },
	difficulty: { type: Number, required: true },
	elapsed_days: { type: Number, required: true },
	scheduled_days: { type: Number, required: true },
	learning_steps: { type: Number, required: true },
	reps: { type: Number, required: true },
	lapses: { type: Number, required: true },
	state: { type: Number, required: true },
	last_review: { type: Date, default: null },
	/** The review log entry that produced this state. */
	lastLogId: { type: ObjectId, default: null },
});
MemoryStateSchema.index({ schoolId: 1, studentId: 1, itemId: 1 }, { unique: true });
MemoryStateSchema.index({ schoolId: 1, studentId: 1, due: 1 });

export const MemoryState = defineModel("MemoryState", MemoryStateSchema);
