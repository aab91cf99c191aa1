/**
 * A school leaving the platform (issue 16): asked by its admin or by platform staff, its data is erased
 * once `eraseAfter` has passed (SCHOOL_ERASURE_GRACE_DAYS), unless cancelled meanwhile; during the grace
 * period the school keeps working and can export. One per school. Owned by services/ops/data-rights.service.ts.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const CLOSURE_STATUSES = ["scheduled", "cancelled", "erasing", "erased"] as const;

export const SchoolClosureSchema = defineSchema({
	schoolId: { type: ObjectId, required: true, unique: true },
	status: { type: String, enum: CLOSURE_STATUSES, required: true, default: "scheduled" },
	requestedBy: { type: String, required: true },
	requestedAt: { type: Date, required: true },
	eraseAfter: { type: Date, required: true },
	cancelledAt: { type: Date, default: null },
	erasureId: { type: ObjectId, default: null },
});
SchoolClosureSchema.index({ status: 1, eraseAfter: 1 });

export const SchoolClosure = defineModel("SchoolClosure", SchoolClosureSchema);
