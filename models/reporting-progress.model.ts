/**
 * A student's completed steps on one path (step id -> when it was first completed), from learning.step.completed.
 * Owned by services/reporting.
 */
import { Schema } from "mongoose";
import { defineModel, defineSchema } from "./define.js";

export const ReportingProgressSchema = defineSchema({
	_id: { type: String, required: true },
	schoolId: { type: String, required: true },
	g: { type: Number, required: true },
	studentId: { type: String, required: true },
	pathId: { type: String, required: true },
	steps: { type: Schema.Types.Mixed, default: {} },
}, { timestamps: false, collection: "reporting_progress", minimize: false });
ReportingProgressSchema.index({ schoolId: 1, g: 1 });

export const ReportingProgress = defineModel("ReportingProgress", ReportingProgressSchema);
