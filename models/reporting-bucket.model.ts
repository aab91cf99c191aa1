/**
 * Reporting's daily buckets: one document per (school, generation, scope, key, month in the school's time zone),
 * holding a map of local days to counters (`d["2026-03-14"].rv`: reviews that day). Scopes: school, class,
 * path, student, student×path, item, teacher, subject. Written only by services/reporting (feed/), read by
 * its dashboards by primary key. See docs/REPORTING.md for the counters.
 */
import { Schema } from "mongoose";
import { defineModel, defineSchema } from "./define.js";

export const ReportingBucketSchema = defineSchema({
	_id: { type: String, required: true },
	schoolId: { type: String, required: true },
	g: { type: Number, required: true },
	scope: { type: String, required: true },
	key: { type: String, required: true },
	month: { type: String, required: true },
	d: { type: Schema.Types.Mixed, default: {} },
}, { timestamps: false, collection: "reporting_buckets", minimize: false });
ReportingBucketSchema.index({ schoolId: 1, g: 1 });

export const ReportingBucket = defineModel("ReportingBucket", ReportingBucketSchema);
