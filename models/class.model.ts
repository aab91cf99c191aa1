/**
 * A class: a named group of students taught by some teachers, within one school. Members are
 * embedded id lists so enrolling is one atomic update ($addToSet / $pull) on one document.
 */
import { defineModel, defineSchema, ObjectId, maxChars } from "./define.js";

export const ClassSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, index: true },
	name: { type: String, required: true, trim: true, validate: maxChars(120) },
	subject: { type: String, trim: true, validate: maxChars(100), default: null },
	level: { type: String, trim: true, validate: maxChars(50), default: null },
	/** School year as the school writes it, e.g. "2025-2026"; part of the class's natural key. */
	year: { type: String, trim: true, validate: maxChars(20), default: null },
	teacherIds: { type: [ObjectId], default: [] },
	studentIds: { type: [ObjectId], default: [] },
	createdBy: { type: String, default: null },
});
// The natural key imports update by; it also stops two "6B" of the same year in one school.
ClassSchema.index({ schoolId: 1, name: 1, year: 1 }, { unique: true });
ClassSchema.index({ schoolId: 1, teacherIds: 1 });
ClassSchema.index({ schoolId: 1, studentIds: 1 });

export const Class = defineModel("Class", ClassSchema);
