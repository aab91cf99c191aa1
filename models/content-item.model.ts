/**
 * A content item (lesson, flashcard or question) owned by a teacher of one school. The kinds share one
 * collection and one document shape (content/content-types.ts); fields of other kinds are simply absent,
 * which is why the lists below default to undefined rather than to an empty array.
 */
import { Schema } from "mongoose";
import { CONTENT_KINDS, CONTENT_ORIGINS, CONTENT_STATUSES, MC_SCORING } from "../services/learning/content/content-types.js";
import { defineModel, defineSchema, ObjectId } from "./define.js";

const ChoiceSchema = new Schema(
	{
		id: { type: String, required: true },
		text: { type: String, required: true },
		correct: { type: Boolean, required: true },
	},
	{ _id: false, id: false },
);

export const ContentItemSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, index: true },
	ownerId: { type: ObjectId, required: true },
	kind: { type: String, enum: CONTENT_KINDS, required: true },
	title: { type: String, required: true },
	subject: { type: String, required: true },
	tags: { type: [String], default: [] },
	difficulty: { type: Number, required: true },
	expectedSeconds: { type: Number, required: true },
	status: { type: String, enum: CONTENT_STATUSES, required: true, default: "draft" },
	origin: { type: String, enum: CONTENT_ORIGINS, required: true, default: "teacher" },
	markdown: String,
	front: String,
	back: String,
	prompt: String,
	explanation: String,
	choices: { type: [ChoiceSchema], default: undefined },
	scoring: { type: String, enum: MC_SCORING },
	answer: Boolean,
	accepted: { type: [String], default: undefined },
	caseSensitive: Boolean,
	accentSensitive: Boolean,
	value: Number,
	tolerance: Number,
	unit: String,
	/** Set on the items of one import, so a failed import can be undone as a whole. */
	importId: { type: String, default: undefined },
});
ContentItemSchema.index({ schoolId: 1, ownerId: 1, status: 1 });
ContentItemSchema.index({ schoolId: 1, subject: 1, status: 1 });
ContentItemSchema.index({ schoolId: 1, importId: 1 });
// A school's items by status: the validated ones every teacher may use (content/access.ts), an admin's filter.
ContentItemSchema.index({ schoolId: 1, status: 1 });

export const ContentItem = defineModel("ContentItem", ContentItemSchema);
