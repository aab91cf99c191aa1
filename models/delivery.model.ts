/**
 * The email and push deliveries of notifications, one per (source message, user, channel): the unique key
 * makes a redelivered durable message send nothing twice. `digest` rows wait (status queued) for the
 * user's daily digest mail. Owned by services/communication/delivery.service.ts.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const DeliverySchema = defineSchema(
	{
		key: { type: String, required: true, unique: true },
		schoolId: { type: ObjectId, default: null },
		userId: { type: ObjectId, required: true },
		channel: { type: String, enum: ["email", "push", "digest"], required: true },
		status: { type: String, enum: ["sending", "sent", "queued", "failed", "skipped"], required: true },
		type: { type: String, required: true },
		title: { type: String, default: "" },
		body: { type: String, default: "" },
		data: { type: Object, default: {} },
		sentAt: { type: Date, default: null },
		detail: { type: String, default: null },
	},
	{ minimize: false },
);
DeliverySchema.index({ channel: 1, status: 1, userId: 1 });

export const Delivery = defineModel("Delivery", DeliverySchema);
