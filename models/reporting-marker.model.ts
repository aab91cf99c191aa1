/**
 * One per fact counted into a generation of a school's projections (its id is the event's): a second delivery
 * finds it and counts nothing. While its buckets are being written, its batch (reporting-batch.model.ts) names
 * it. Owned by services/reporting.
 */
import { defineModel, defineSchema } from "./define.js";

export const ReportingMarkerSchema = defineSchema({
	_id: { type: String, required: true },
	schoolId: { type: String, required: true },
	g: { type: Number, required: true },
	at: { type: Date, required: true },
}, { timestamps: false, collection: "reporting_markers", minimize: false });
ReportingMarkerSchema.index({ schoolId: 1, g: 1 });

export const ReportingMarker = defineModel("ReportingMarker", ReportingMarkerSchema);
