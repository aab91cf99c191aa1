/**
 * One exchange between a student and a tutor, archived whole: who, where (path, step, session, item),
 * the question and the answer as delivered, the chunks cited with their scores, the model, tokens,
 * latency, the question's complexity (Bloom level) and any flags. Owned by services/ai/tutor.service.ts.
 */
import { FLAGS, PEDAGOGY_MODES } from "../services/ai/ai-types.js";
import { defineModel, defineSchema, ObjectId, part } from "./define.js";

const CitedChunk = part({
	chunkId: { type: ObjectId, required: true },
	sourceId: { type: ObjectId, required: true },
	label: { type: String, required: true },
	score: { type: Number, required: true },
	cosine: { type: Number, default: null },
	bm25: { type: Number, default: null },
	cited: { type: Boolean, required: true },
	headingPath: { type: [String], default: [] },
});

export const AiInteractionSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, index: true },
	studentId: { type: ObjectId, required: true },
	teacherId: { type: ObjectId, default: null },
	agentId: { type: ObjectId, default: null },
	pathId: { type: ObjectId, required: true },
	stepId: { type: String, default: null },
	sessionId: { type: ObjectId, default: null },
	itemId: { type: ObjectId, default: null },
	subject: { type: String, default: null },
	classIds: { type: [ObjectId], default: [] },
	question: { type: String, required: true },
	answer: { type: String, required: true },
	/** extractive (no LLM), llm, not_covered (nothing relevant found), refused (tutor off, flagged). */
	mode: { type: String, enum: ["llm", "extractive", "not_covered", "refused"], required: true },
	pedagogy: { type: String, enum: PEDAGOGY_MODES, default: null },
	chunks: { type: [CitedChunk], default: [] },
	model: { type: String, default: null },
	promptTokens: { type: Number, default: 0 },
	completionTokens: { type: Number, default: 0 },
	latencyMs: { type: Number, required: true },
	complexity: {
		type: part({ level: { type: Number, required: true }, name: { type: String, required: true }, source: { type: String, required: true } }),
		required: true,
	},
	flags: { type: [{ type: String, enum: FLAGS }], default: [] },
	/** What the server changed before delivery: invalid citations dropped, answer key redacted, regenerated. */
	guards: { type: [String], default: [] },
});
AiInteractionSchema.index({ schoolId: 1, studentId: 1, _id: -1 });
AiInteractionSchema.index({ schoolId: 1, pathId: 1, _id: -1 });
AiInteractionSchema.index({ schoolId: 1, classIds: 1, _id: -1 });

export const AiInteraction = defineModel("AiInteraction", AiInteractionSchema);
