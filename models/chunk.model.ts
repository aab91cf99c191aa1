/**
 * One retrievable passage of a source version: its text, the headings above it, its position, its
 * token count and its embedding (float32 bytes). Owned by services/ai/sources.service.ts (written by
 * ingestion, read by retrieval through the same service's index loader).
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const ChunkSchema = defineSchema(
	{
		schoolId: { type: ObjectId, required: true },
		sourceId: { type: ObjectId, required: true },
		sourceVersion: { type: Number, required: true },
		position: { type: Number, required: true },
		headingPath: { type: [String], default: [] },
		text: { type: String, required: true },
		tokens: { type: Number, required: true },
		embedding: { type: Buffer, required: true },
	},
	{ timestamps: false },
);
ChunkSchema.index({ schoolId: 1, sourceId: 1, sourceVersion: 1, position: 1 }, { unique: true });

export const Chunk = defineModel("Chunk", ChunkSchema);
