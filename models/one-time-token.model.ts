/**
 * Single-use tokens mailed to a user (email verification, password reset), stored as their sha256
 * and consumed with one conditional update, so a link works once and only before it expires.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const ONE_TIME_PURPOSES = ["verify-email", "password-reset"] as const;
export type OneTimePurpose = (typeof ONE_TIME_PURPOSES)[number];

export const OneTimeTokenSchema = defineSchema({
	userId: { type: ObjectId, required: true, index: true },
	schoolId: { type: ObjectId, default: null, index: true },
	purpose: { type: String, enum: ONE_TIME_PURPOSES, required: true },
	tokenHash: { type: String, required: true, unique: true },
	/** TTL a week after expiry: until then a late click still answers "expired" rather than "not valid". */
	expiresAt: { type: Date, required: true, expires: 7 * 86400 },
	usedAt: { type: Date, default: null },
});

export const OneTimeToken = defineModel("OneTimeToken", OneTimeTokenSchema);
