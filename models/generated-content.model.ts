/**
 * What the AI generated for a teacher: content-item drafts (flashcards, questions) with the chunks each
 * came from, or a learning-path draft. The items themselves live in the content service (origin
 * ai_generated, status draft until the teacher validates them); this is their provenance.
 * Owned by services/ai/generation.service.ts.
 */
import { GENERATED_KINDS } from "../services/ai/ai-types.js";
import { defineModel, defineSchema, ObjectId, part } from "./define.js";

const GeneratedItem = part({
	itemId: { type: ObjectId, required: true },
	kind: { type: String, required: true },
	chunkIds: { type: [ObjectId], default: [] },
	sourceIds: { type: [ObjectId], default: [] },
	status: { type: String, enum: ["draft", "rejected"], default: "draft" },
});

export const GeneratedContentSchema = defineSchema(
	{
		schoolId: { type: ObjectId, required: true, index: true },
		ownerId: { type: ObjectId, required: true },
		kind: { type: String, enum: GENERATED_KINDS, required: true },
		sourceIds: { type: [ObjectId], default: [] },
		subject: { type: String, required: true },
		mode: { type: String, enum: ["llm", "extractive"], required: true },
		model: { type: String, default: null },
		items: { type: [GeneratedItem], default: [] },
		/** A path draft: the body for POST /api/learning-paths/create, as the teacher will edit it. */
		pathDraft: { type: Object, default: null },
		promptTokens: { type: Number, default: 0 },
		completionTokens: { type: Number, default: 0 },
	},
	{ minimize: false },
);
GeneratedContentSchema.index({ schoolId: 1, ownerId: 1, _id: -1 });

export const GeneratedContent = defineModel("GeneratedContent", GeneratedContentSchema);
