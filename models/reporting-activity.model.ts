/**
 * Who was active: per (school, generation) and local day (or month, or subject-month), the distinct ids of the
 * students, teachers and others who did something (a review, a session, a message, a question to the tutor,
 * a visio). Sets, so a replay adds nothing. Owned by services/reporting.
 */
import { defineModel, defineSchema } from "./define.js";

export const ReportingActivitySchema = defineSchema({
	_id: { type: String, required: true },
	schoolId: { type: String, required: true },
	g: { type: Number, required: true },
	span: { type: String, enum: ["day", "month", "subject-month"], required: true },
	key: { type: String, required: true },
	st: { type: [String], default: [] },
	te: { type: [String], default: [] },
	ot: { type: [String], default: [] },
}, { timestamps: false, collection: "reporting_activity", minimize: false });
ReportingActivitySchema.index({ schoolId: 1, g: 1 });

export const ReportingActivity = defineModel("ReportingActivity", ReportingActivitySchema);
