/**
 * An invitation to join a school, redeemed once with the token mailed to the invitee. Only the
 * token's sha256 is stored.
 *
 * At most one pending invitation per email and school: `slot` is always set and unique — `<schoolId>:<email>`
 * while pending, a value of its own (`closed:<random>`) once accepted, revoked or expired. A partial unique
 * index on (schoolId, email) for pending ones would say the same on MongoDB, but the test server
 * (mongo-java-server) enforces a partial index on every document, so one plain unique key serves both.
 */
import { defineModel, defineSchema, ObjectId, maxChars } from "./define.js";

export const INVITATION_ROLES = ["teacher", "student", "school_admin"] as const;
export type InvitationRole = (typeof INVITATION_ROLES)[number];
export const INVITATION_STATUSES = ["pending", "accepted", "revoked", "expired"] as const;
export type InvitationStatus = (typeof INVITATION_STATUSES)[number];

export const InvitationSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, index: true },
	email: { type: String, required: true, lowercase: true, trim: true, maxlength: 254 },
	role: { type: String, enum: INVITATION_ROLES, required: true },
	firstName: { type: String, trim: true, validate: maxChars(100), default: null },
	lastName: { type: String, trim: true, validate: maxChars(100), default: null },
	classIds: { type: [ObjectId], default: [] },
	status: { type: String, enum: INVITATION_STATUSES, required: true, default: "pending" },
	/** Seats held by this invitation (and, once accepted, by the user it became). */
	seats: { type: Number, required: true, min: 0, default: 0 },
	tokenHash: { type: String, required: true, unique: true },
	slot: { type: String, required: true, unique: true },
	expiresAt: { type: Date, required: true },
	invitedBy: { type: String, required: true },
	acceptedAt: { type: Date, default: null },
	userId: { type: String, default: null },
});
InvitationSchema.index({ schoolId: 1, status: 1, createdAt: -1 });
// The purge job's scan: pending invitations past their expiry, across schools.
InvitationSchema.index({ status: 1, expiresAt: 1 });

export const Invitation = defineModel("Invitation", InvitationSchema);
