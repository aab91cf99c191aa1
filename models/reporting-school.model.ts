/**
 * The platform's register of schools as reporting knows it (name, time zone, creation, suspension): new and
 * lost schools for platform admins, the time zone of every bucket. Not per generation: each field is set by
 * the latest event (by its time), so a replay or a rebuild only confirms it. Owned by services/reporting.
 */
import { defineModel, defineSchema } from "./define.js";

export const ReportingSchoolSchema = defineSchema({
	_id: { type: String, required: true },
	name: { type: String, default: null },
	timezone: { type: String, default: null },
	createdAt: { type: Date, default: null },
	status: { type: String, default: "active" },
	statusAt: { type: Date, default: null },
	lostAt: { type: Date, default: null },
}, { timestamps: false, collection: "reporting_schools", minimize: false });

export const ReportingSchool = defineModel("ReportingSchool", ReportingSchoolSchema);
