/**
 * One per fact counted into a generation of a school's projections (its id is the event's): a second delivery
 * finds it and counts nothing. `done` turns true once the fact's buckets are written; a marker left undone is
 * a fact in doubt (the process died between the two writes), which a rebuild settles. Owned by services/reporting.
 */
import { defineModel, defineSchema } from "./define.js";

export const ReportingMarkerSchema = defineSchema({
	_id: { type: String, required: true },
	schoolId: { type: String, required: true },
	g: { type: Number, required: true },
	done: { type: Boolean, default: false },
	at: { type: Date, required: true },
}, { timestamps: false, collection: "reporting_markers", minimize: false });
ReportingMarkerSchema.index({ schoolId: 1, g: 1 });
ReportingMarkerSchema.index({ done: 1, at: 1 });

export const ReportingMarker = defineModel("ReportingMarker", ReportingMarkerSchema);
