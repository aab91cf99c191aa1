/**
 * A learning path as the learning.path.* feed last described it: owner, name, subject, status, who is assigned,
 * its step count and items. Owned by services/reporting.
 */
import { defineModel, defineSchema } from "./define.js";

export const ReportingPathSchema = defineSchema({
	_id: { type: String, required: true },
	schoolId: { type: String, required: true },
	g: { type: Number, required: true },
	pathId: { type: String, required: true },
	ownerId: { type: String, default: null },
	name: { type: String, default: "" },
	subject: { type: String, default: null },
	status: { type: String, default: null },
	classIds: { type: [String], default: [] },
	studentIds: { type: [String], default: [] },
	stepCount: { type: Number, default: 0 },
	itemIds: { type: [String], default: [] },
	at: { type: Date, default: null },
}, { timestamps: false, collection: "reporting_paths", minimize: false });
ReportingPathSchema.index({ schoolId: 1, g: 1 });

export const ReportingPath = defineModel("ReportingPath", ReportingPathSchema);
