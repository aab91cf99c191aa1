/**
 * A batch of facts being counted into a school's projections: written before the facts' markers and deleted
 * once their buckets are written, so one left behind names facts in doubt (the process died in between), which
 * `reportingFeed.status` reports and a rebuild settles. Owned by services/reporting.
 */
import { defineModel, defineSchema } from "./define.js";

export const ReportingBatchSchema = defineSchema(
	{
		_id: { type: String, required: true },
		schoolId: { type: String, required: true },
		g: { type: Number, required: true },
		markerIds: { type: [String], default: [] },
		at: { type: Date, required: true },
	},
	{ timestamps: false, collection: "reporting_batches", minimize: false },
);
ReportingBatchSchema.index({ at: 1 });

export const ReportingBatch = defineModel("ReportingBatch", ReportingBatchSchema);
