/**
 * A school: the tenant. Every tenant-owned document elsewhere carries this school's id.
 * `code` is what students without email type with their username to log in.
 */
import { defineModel, defineSchema, maxChars } from "./define.js";

export const SCHOOL_STATUSES = ["active", "suspended"] as const;
export type SchoolStatus = (typeof SCHOOL_STATUSES)[number];

export const SchoolSchema = defineSchema({
	name: { type: String, required: true, trim: true, validate: maxChars(120) },
	code: { type: String, required: true, unique: true, uppercase: true },
	timezone: { type: String, required: true },
	status: { type: String, enum: SCHOOL_STATUSES, required: true, default: "active", index: true },
	suspendedAt: { type: Date, default: null },
	suspendedReason: { type: String, default: null, validate: maxChars(500) },
	settings: {
		locale: { type: String, default: "fr", maxlength: 20 },
		/** 0 = Sunday ... 6 = Saturday, for weekly figures in the school's calendar. */
		weekStartsOn: { type: Number, min: 0, max: 6, default: 1 },
		chat: {
			/** Who a student may start a conversation with (see services/communication/chat-rules.ts). */
			studentsMayContact: { type: String, enum: ["own_teachers", "all_teachers", "none"], default: "own_teachers" },
		},
		classes: {
			/**
			 * Who puts students into classes: `school_admins` only (the default), or also `class_teachers`,
			 * into the classes they teach. Enrolment gives a teacher the student's data and chat.
			 */
			enrolment: { type: String, enum: ["school_admins", "class_teachers"], default: "school_admins" },
		},
	},
});
// The platform staff's list of schools, by name.
SchoolSchema.index({ name: 1 });

export const School = defineModel("School", SchoolSchema);
