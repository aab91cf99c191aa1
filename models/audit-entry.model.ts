/**
 * One line of the security audit log: who did what to what, from where. Written once, never updated.
 * schoolId is null for platform-level facts (a platform admin acting, a failed login on an unknown email).
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const AuditEntrySchema = defineSchema(
	{
		schoolId: { type: ObjectId, default: null, index: true },
		/** A user id, "system" for jobs, or null for an anonymous caller. */
		actorId: { type: String, default: null, maxlength: 64 },
		action: { type: String, required: true, maxlength: 100 },
		targetType: { type: String, maxlength: 50 },
		targetId: { type: String, maxlength: 64 },
		ip: { type: String, maxlength: 64 },
		data: { type: Object },
	},
	{ timestamps: { createdAt: true, updatedAt: false } },
);
// Newest first within a school, optionally narrowed by action or actor.
AuditEntrySchema.index({ schoolId: 1, createdAt: -1 });
AuditEntrySchema.index({ schoolId: 1, action: 1, createdAt: -1 });
AuditEntrySchema.index({ schoolId: 1, actorId: 1, createdAt: -1 });

export const AuditEntry = defineModel("AuditEntry", AuditEntrySchema);
