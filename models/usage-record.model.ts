/**
 * Metered usage a module reports for billing (owned by billingUsage), e.g. AI tokens. One document per
 * report, keyed by the reporter's id, so a retried report counts once.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const UsageRecordSchema = defineSchema(
	{
		_id: { type: String, required: true },
		schoolId: { type: ObjectId, required: true },
		metric: { type: String, required: true },
		quantity: { type: Number, required: true, min: 0 },
		occurredAt: { type: Date, required: true },
	},
	{ timestamps: false },
);
UsageRecordSchema.index({ occurredAt: 1, schoolId: 1 });

export const UsageRecord = defineModel("UsageRecord", UsageRecordSchema);
