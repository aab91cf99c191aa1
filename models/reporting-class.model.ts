/**
 * A class as the users.class.* feed last described it: name, teachers, students (what attributes a student's
 * activity to class buckets). Owned by services/reporting.
 */
import { defineModel, defineSchema } from "./define.js";

export const ReportingClassSchema = defineSchema({
	_id: { type: String, required: true },
	schoolId: { type: String, required: true },
	g: { type: Number, required: true },
	classId: { type: String, required: true },
	name: { type: String, default: "" },
	teacherIds: { type: [String], default: [] },
	studentIds: { type: [String], default: [] },
	removed: { type: Boolean, default: false },
	at: { type: Date, default: null },
}, { timestamps: false, collection: "reporting_classes", minimize: false });
ReportingClassSchema.index({ schoolId: 1, g: 1 });

export const ReportingClass = defineModel("ReportingClass", ReportingClassSchema);
