/**
 * A user's notification preferences: per category, whether in-app, email (instant or in the daily digest)
 * and push are wanted (only the user's overrides of the defaults are stored), reminder offsets, time zone
 * and the hour of the daily digest. Owned by services/communication/preferences.service.ts.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const NotificationPreferenceSchema = defineSchema(
	{
		schoolId: { type: ObjectId, default: null },
		userId: { type: ObjectId, required: true, unique: true },
		channels: { type: Object, default: {} },
		reminderOffsets: { type: [Number], default: undefined },
		timezone: { type: String, default: null },
		digestHour: { type: Number, min: 0, max: 23, default: 7 },
		/** The user's local date (YYYY-MM-DD) of the last digest sent: one per day at most. */
		lastDigestDate: { type: String, default: null },
	},
	{ minimize: false },
);

export const NotificationPreference = defineModel("NotificationPreference", NotificationPreferenceSchema);
