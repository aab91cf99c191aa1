/**
 * Per student (school, generation): for each item reviewed, the counts and the last answers (time, right or not,
 * the model's predicted recall before it, stability after), kept sorted by time so late events land in place.
 * The heatmap, weakest items and repeated failures read it. Owned by services/reporting.
 */
import { Schema } from "mongoose";
import { defineModel, defineSchema } from "./define.js";

export const ReportingMasterySchema = defineSchema({
	_id: { type: String, required: true },
	schoolId: { type: String, required: true },
	g: { type: Number, required: true },
	studentId: { type: String, required: true },
	i: { type: Schema.Types.Mixed, default: {} },
}, { timestamps: false, collection: "reporting_mastery", minimize: false });
ReportingMasterySchema.index({ schoolId: 1, g: 1 });

export const ReportingMastery = defineModel("ReportingMastery", ReportingMasterySchema);
