/**
 * An AI tutor configured by a teacher for one subject: the level and language it answers at, its
 * pedagogy (socratic, hints only, full explanation), whether it stays silent while a student sits an
 * evaluation, extra instructions, and what it serves: paths and its own sources. Owned by
 * services/ai/agents.service.ts.
 */
import { PEDAGOGY_MODES } from "../services/ai/ai-types.js";
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const AiAgentSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, index: true },
	ownerId: { type: ObjectId, required: true },
	name: { type: String, required: true, trim: true, maxlength: 200 },
	subject: { type: String, required: true, trim: true, maxlength: 100 },
	level: { type: String, required: true, trim: true, maxlength: 100 },
	language: { type: String, required: true, trim: true, maxlength: 20 },
	pedagogy: { type: String, enum: PEDAGOGY_MODES, required: true },
	disabledDuringEvaluations: { type: Boolean, required: true, default: true },
	extraInstructions: { type: String, default: "", maxlength: 4000 },
	goals: { type: [String], default: [] },
	pathIds: { type: [ObjectId], default: [] },
	sourceIds: { type: [ObjectId], default: [] },
	enabled: { type: Boolean, required: true, default: true },
});
AiAgentSchema.index({ schoolId: 1, pathIds: 1 });
AiAgentSchema.index({ schoolId: 1, subject: 1 });

export const AiAgent = defineModel("AiAgent", AiAgentSchema);
