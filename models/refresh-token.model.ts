/**
 * A refresh token, stored as its sha256 only. Tokens rotate: each use revokes the token and issues
 * its successor in the same family, so a stolen token that is replayed after rotation is detected
 * and the whole family revoked. Expiry is checked in queries; MongoDB deletes expired tokens (TTL index).
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const RefreshTokenSchema = defineSchema({
	userId: { type: ObjectId, required: true, index: true },
	/** null for platform staff. */
	schoolId: { type: ObjectId, default: null, index: true },
	familyId: { type: String, required: true, index: true },
	tokenHash: { type: String, required: true, unique: true },
	/** TTL: MongoDB removes a token once it has expired (a spent one is kept till then, to detect its reuse). */
	expiresAt: { type: Date, required: true, expires: 0 },
	revokedAt: { type: Date, default: null },
	replacedByHash: { type: String, default: null },
});

export const RefreshToken = defineModel("RefreshToken", RefreshTokenSchema);
