/**
 * An account as reporting knows it from the users.* feed: roles and status (each with the time of the event
 * that set it, so an older event arriving late changes nothing) and creation time. Seats used and the role of
 * a message's sender come from here. Owned by services/reporting.
 */
import { defineModel, defineSchema } from "./define.js";

export const ReportingPersonSchema = defineSchema({
	_id: { type: String, required: true },
	schoolId: { type: String, required: true },
	g: { type: Number, required: true },
	userId: { type: String, required: true },
	roles: { type: [String], default: [] },
	rolesAt: { type: Date, default: null },
	status: { type: String, default: "active" },
	statusAt: { type: Date, default: null },
	createdAt: { type: Date, default: null },
}, { timestamps: false, collection: "reporting_people", minimize: false });
ReportingPersonSchema.index({ schoolId: 1, g: 1 });

export const ReportingPerson = defineModel("ReportingPerson", ReportingPersonSchema);
