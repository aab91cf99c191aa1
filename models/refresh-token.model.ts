/**
 * A refresh token, stored as its sha256 only. Tokens rotate: each use revokes the token and issues
 * its successor in the same family, so a stolen token that is replayed after rotation is detected
 * and the whole family revoked. Expiry is checked in queries (FerretDB has no TTL index).
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const RefreshTokenSchema = defineSchema({
	userId: { type: ObjectId, required: true, index: true },
	/** null for platform staff. */
	schoolId: { type: ObjectId, default: null, index: true },
	familyId: { type: String, required: true, index: true },
	tokenHash: { type: String, required: true, unique: true },
	expiresAt: { type: Date, required: true },
	revokedAt: { type: Date, default: null },
	replacedByHash: { type: String, default: null },
});

export const RefreshToken = defineModel("RefreshToken", RefreshTokenSchema);
