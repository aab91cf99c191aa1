/**
 * A user's private iCalendar feed: the secret in its URL is stored hashed (SHA-256), so a database leak
 * does not give the feeds away. Revoking deletes it; a new one has a new secret. Owned by agenda.service.ts.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const CalendarFeedSchema = defineSchema({
	schoolId: { type: ObjectId, required: true },
	userId: { type: ObjectId, required: true, unique: true },
	tokenHash: { type: String, required: true, unique: true },
	lastUsedAt: { type: Date, default: null },
});

export const CalendarFeed = defineModel("CalendarFeed", CalendarFeedSchema);
