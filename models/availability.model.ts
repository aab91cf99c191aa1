/**
 * A teacher's published availability for rendez-vous: weekly windows in their time zone, with dated
 * exceptions (a day or hours off, or extra hours). One per teacher. Owned by
 * services/communication/availability.service.ts.
 */
import { defineModel, defineSchema, ObjectId, part } from "./define.js";

const Window = part({
	/** ISO weekday: 1 = Monday ... 7 = Sunday. */
	weekday: { type: Number, required: true, min: 1, max: 7 },
	start: { type: String, required: true },
	end: { type: String, required: true },
});

const Exception = part({
	/** The teacher's local date, YYYY-MM-DD. */
	date: { type: String, required: true },
	/** false: off (the whole day, or start-end); true: extra hours start-end. */
	available: { type: Boolean, required: true },
	start: { type: String, default: null },
	end: { type: String, default: null },
	note: { type: String, default: null, maxlength: 200 },
});

export const AvailabilitySchema = defineSchema({
	schoolId: { type: ObjectId, required: true },
	teacherId: { type: ObjectId, required: true },
	timezone: { type: String, required: true },
	slotMinutes: { type: Number, required: true, default: 30 },
	weekly: { type: [Window], default: [] },
	exceptions: { type: [Exception], default: [] },
});
AvailabilitySchema.index({ schoolId: 1, teacherId: 1 }, { unique: true });

export const Availability = defineModel("Availability", AvailabilitySchema);
