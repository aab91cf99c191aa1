/**
 * A user: platform staff (no school) or a member of exactly one school. Uniqueness of emails
 * (platform-wide) and usernames (per school) rests on two always-set keys, see
 * services/users/account-keys.ts: plain unique indexes, no partial one (see there why).
 */
import { defineModel, defineSchema, ObjectId, part } from "./define.js";
import { ROLES } from "../config/roles.js";

/** erased: the account of a person whose data was erased (issue 16), kept as a tombstone with nothing personal in it. */
export const USER_STATUSES = ["active", "suspended", "erased"] as const;
export type UserStatus = (typeof USER_STATUSES)[number];

const StudentProfile = part({
	levels: { type: [{ _id: false, subject: { type: String, required: true }, level: { type: String, required: true } }], default: undefined },
	preferences: {
		dailyGoalMinutes: Number,
		sessionLengthMinutes: Number,
		reminders: Boolean,
		reminderTime: String,
		language: String,
	},
	accommodations: {
		extraTimePercent: { type: Number, min: 0, max: 200 },
		largeText: Boolean,
		dyslexiaFont: Boolean,
		textToSpeech: Boolean,
		reducedMotion: Boolean,
		notes: String,
	},
});

export const UserSchema = defineSchema({
	schoolId: { type: ObjectId, default: null, index: true },
	email: { type: String, default: null, lowercase: true, trim: true },
	username: { type: String, default: null, trim: true },
	loginKey: { type: String, required: true, unique: true },
	usernameKey: { type: String, required: true, unique: true },
	passwordHash: { type: String, required: true },
	firstName: { type: String, required: true, trim: true },
	lastName: { type: String, required: true, trim: true },
	locale: { type: String, default: null },
	roles: { type: [{ type: String, enum: ROLES }], required: true },
	status: { type: String, enum: USER_STATUSES, required: true, default: "active" },
	emailVerified: { type: Boolean, required: true, default: false },
	studentProfile: { type: StudentProfile, default: undefined },
	teacherProfile: { type: part({ subjects: { type: [String], default: [] } }), default: undefined },
	suspendedAt: { type: Date, default: null },
	lastLoginAt: { type: Date, default: null },
	/**
	 * Bumped by every change that must end the account's access tokens at once (status, roles, logout,
	 * password): a token carries the version it was signed at, and the edges refuse an older one
	 * (services/shared/live-identity.ts).
	 */
	sessionVersion: { type: Number, default: 0 },
});
UserSchema.index({ schoolId: 1, roles: 1 });

export const User = defineModel("User", UserSchema);
