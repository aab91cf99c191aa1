/**
 * One reminder of one event for one user at one offset, scheduled in the database and fired by the
 * communication tick (reminders.service.ts). `(visioId, userId, offsetMinutes)` is unique: moving the event
 * updates the same reminder, so it can never be sent twice for one event time.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const REMINDER_STATUSES = ["scheduled", "sending", "sent", "skipped", "cancelled"] as const;

export const ReminderSchema = defineSchema({
	schoolId: { type: ObjectId, required: true },
	userId: { type: ObjectId, required: true },
	visioId: { type: ObjectId, required: true },
	offsetMinutes: { type: Number, required: true },
	fireAt: { type: Date, required: true },
	eventStart: { type: Date, required: true },
	eventEnd: { type: Date, required: true },
	eventVersion: { type: Number, required: true },
	title: { type: String, required: true },
	status: { type: String, enum: REMINDER_STATUSES, required: true, default: "scheduled" },
	claimedAt: { type: Date, default: null },
	sentAt: { type: Date, default: null },
	skippedReason: { type: String, default: null },
});
ReminderSchema.index({ visioId: 1, userId: 1, offsetMinutes: 1 }, { unique: true });
ReminderSchema.index({ status: 1, fireAt: 1 });
ReminderSchema.index({ schoolId: 1, userId: 1, fireAt: 1 });

export const Reminder = defineModel("Reminder", ReminderSchema);
