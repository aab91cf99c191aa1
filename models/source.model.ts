/**
 * A document a teacher gives the AI (markdown, text, PDF, HTML), selected for paths and agents. Each
 * change of content is a new `version` with its `checksum`; ingestion turns the current version into
 * chunks and reports its progress here. Owned by services/ai/sources.service.ts.
 */
import { SOURCE_FORMATS, SOURCE_STATUSES } from "../services/ai/ai-types.js";
import { defineModel, defineSchema, ObjectId, part } from "./define.js";

export const SourceSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, index: true },
	ownerId: { type: ObjectId, required: true },
	title: { type: String, required: true, trim: true, maxlength: 200 },
	format: { type: String, enum: SOURCE_FORMATS, required: true },
	/** Text formats keep their text, a PDF its bytes. */
	text: { type: String, default: null },
	data: { type: Buffer, default: null },
	bytes: { type: Number, required: true },
	version: { type: Number, required: true, default: 1 },
	checksum: { type: String, required: true },
	status: { type: String, enum: SOURCE_STATUSES, required: true, default: "ingesting" },
	failureReason: { type: String, default: null },
	progress: {
		type: part({ chunksDone: { type: Number, default: 0 }, chunksTotal: { type: Number, default: 0 }, stage: { type: String, default: "queued" } }),
		default: () => ({ chunksDone: 0, chunksTotal: 0, stage: "queued" }),
	},
	/** The version whose chunks are the ready ones (the previous one stays served while a new one ingests). */
	readyVersion: { type: Number, default: null },
	chunkCount: { type: Number, default: 0 },
	embeddingModel: { type: String, default: null },
	/** Paths this source is selected for (an agent's own sources are listed on the agent). */
	pathIds: { type: [ObjectId], default: [] },
	ingestedAt: { type: Date, default: null },
});
SourceSchema.index({ schoolId: 1, pathIds: 1 });
SourceSchema.index({ schoolId: 1, ownerId: 1 });

export const Source = defineModel("Source", SourceSchema);
