/**
 * The PDF of a final invoice or credit note, rendered once and kept (owned by invoices): the copy the
 * school was mailed is the copy it downloads later, whatever happens to the template.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const BillingDocumentSchema = defineSchema({
	ownerId: { type: ObjectId, required: true, unique: true },
	kind: { type: String, enum: ["invoice", "credit_note"], required: true },
	schoolId: { type: ObjectId, required: true },
	filename: { type: String, required: true },
	sha256: { type: String, required: true },
	pdf: { type: Buffer, required: true },
});

export const BillingDocument = defineModel("BillingDocument", BillingDocumentSchema);
