/**
 * A school's AI token usage for one calendar month (UTC), counted as exchanges happen; the quota check
 * reads it. One document per (school, month), incremented atomically. Owned by services/ai/usage.service.ts.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const AiUsageSchema = defineSchema({
	schoolId: { type: ObjectId, required: true },
	month: { type: String, required: true },
	tokens: { type: Number, required: true, default: 0 },
	requests: { type: Number, required: true, default: 0 },
});
AiUsageSchema.index({ schoolId: 1, month: 1 }, { unique: true });

export const AiUsage = defineModel("AiUsage", AiUsageSchema);
