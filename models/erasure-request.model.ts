/**
 * The register of erasure requests (issue 16): who asked for whose data (a user's, or a whole school's)
 * to be erased, when, and which part of the platform confirmed its share, with counts. What the parts
 * need to find the person in text (email, names) is held in `subject` only until every part is done,
 * then removed: the register itself keeps nothing personal. Owned by services/ops/data-rights.service.ts.
 */
import { Schema } from "mongoose";
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const ERASURE_KINDS = ["user", "school"] as const;
export const ERASURE_STATUSES = ["pending", "completed"] as const;

export const ErasureRequestSchema = defineSchema({
	schoolId: { type: ObjectId, required: true },
	kind: { type: String, enum: ERASURE_KINDS, required: true },
	userId: { type: ObjectId, default: null },
	/** The user who asked (the person themself, a school admin, platform staff) or "system" (a closure that came due). */
	requestedBy: { type: String, required: true },
	status: { type: String, enum: ERASURE_STATUSES, required: true, default: "pending" },
	/** The parts expected to confirm (services/ops/data-rights-parts.ts at the time of the request). */
	expectedParts: { type: [String], required: true },
	parts: { type: [new Schema({ part: { type: String, required: true }, at: { type: Date, required: true }, counts: { type: Object, default: {} } }, { _id: false })], default: [] },
	subject: {
		type: new Schema({ email: String, username: String, firstName: String, lastName: String }, { _id: false }),
		default: null,
	},
	completedAt: { type: Date, default: null },
});
ErasureRequestSchema.index({ schoolId: 1, createdAt: -1 });
ErasureRequestSchema.index({ userId: 1, status: 1 });

export const ErasureRequest = defineModel("ErasureRequest", ErasureRequestSchema);
