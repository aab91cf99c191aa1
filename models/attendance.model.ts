/**
 * Who was in a visio and when, from LiveKit's participant_joined / participant_left webhooks: one record
 * per LiveKit participant session (a reconnect is a new sid). Owned by visio.service.ts.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const AttendanceSchema = defineSchema({
	schoolId: { type: ObjectId, required: true },
	visioId: { type: ObjectId, required: true },
	userId: { type: ObjectId, required: true },
	role: { type: String, enum: ["host", "participant"], required: true },
	participantSid: { type: String, required: true },
	joinedAt: { type: Date, required: true },
	leftAt: { type: Date, default: null },
	seconds: { type: Number, default: null },
});
AttendanceSchema.index({ visioId: 1, participantSid: 1 }, { unique: true });
AttendanceSchema.index({ schoolId: 1, visioId: 1, userId: 1 });

export const Attendance = defineModel("Attendance", AttendanceSchema);
