/**
 * One layer of a scheduling profile (memory/profile-layers.ts): the school's defaults, a subject's,
 * a teacher's, or a student's (optionally for one subject). `values` and `studentBounds` hold only what
 * the layer sets, so they are free-form here and checked by validateLayer before every write.
 * `key` names the layer inside its school ("school", "subject:maths", "teacher:<id>",
 * "student:<id>", "student:<id>:subject:maths") and is unique, so a layer is upserted in one write.
 */
import { Schema } from "mongoose";
import { defineModel, defineSchema, ObjectId } from "./define.js";
import { leaseModel } from "./lease.model.js";

export const LAYER_KINDS = ["school", "subject", "teacher", "student"] as const;
export type LayerKind = (typeof LAYER_KINDS)[number];

export const SchedulingProfileSchema = defineSchema(
	{
		schoolId: { type: ObjectId, required: true, index: true },
		key: { type: String, required: true },
		kind: { type: String, enum: LAYER_KINDS, required: true },
		subject: { type: String, default: null },
		teacherId: { type: ObjectId, default: null },
		studentId: { type: ObjectId, default: null },
		values: { type: Schema.Types.Mixed, default: () => ({}) },
		studentBounds: { type: Schema.Types.Mixed, default: undefined },
		updatedBy: { type: String, default: null },
		/** Set by the optimiser on a student layer when it adopted a fit: when it fitted `values.fsrsParameters`, from how many reviews. */
		optimizedAt: { type: Date, default: undefined },
		reviewsUsed: { type: Number, default: undefined },
		/** The last optimisation of a student layer, adopted or not: both figures on the held-out reviews (memory/optimization-record.ts). */
		lastOptimization: { type: Schema.Types.Mixed, default: undefined },
	},
	{ minimize: false },
);
SchedulingProfileSchema.index({ schoolId: 1, key: 1 }, { unique: true });
SchedulingProfileSchema.index({ schoolId: 1, studentId: 1 });

export const SchedulingProfile = defineModel("SchedulingProfile", SchedulingProfileSchema);

/** Held by the node running the nightly optimisation, so two API nodes do not run it together. */
export const SchedulingLease = leaseModel("SchedulingLease");
