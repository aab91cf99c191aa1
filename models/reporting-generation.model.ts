/**
 * Which generation of a school's projections dashboards read (`current`), and the one a rebuild is filling
 * (`building`), which the live feed writes too until the rebuild switches over. Owned by services/reporting.
 */
import { defineModel, defineSchema } from "./define.js";

export const ReportingGenerationSchema = defineSchema({
	_id: { type: String, required: true },
	current: { type: Number, required: true, default: 1 },
	building: { type: Number, default: null },
	startedAt: { type: Date, default: null },
}, { timestamps: false, collection: "reporting_generations", minimize: false });

export const ReportingGeneration = defineModel("ReportingGeneration", ReportingGenerationSchema);
