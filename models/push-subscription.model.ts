/**
 * A browser's Web Push subscription (PushSubscription.toJSON()) for one user. The endpoint is unique:
 * a browser that logs in as someone else moves its subscription to them. Removed when the push service
 * answers 404/410. Owned by services/communication/push.service.ts.
 */
import { defineModel, defineSchema, ObjectId, part } from "./define.js";

export const PushSubscriptionSchema = defineSchema({
	schoolId: { type: ObjectId, default: null },
	userId: { type: ObjectId, required: true },
	endpoint: { type: String, required: true, unique: true, maxlength: 2000 },
	keys: { type: part({ p256dh: { type: String, required: true }, auth: { type: String, required: true } }), required: true },
	userAgent: { type: String, default: null, maxlength: 300 },
	expirationTime: { type: Date, default: null },
	lastSuccessAt: { type: Date, default: null },
	failures: { type: Number, default: 0 },
});
PushSubscriptionSchema.index({ userId: 1 });

export const PushSubscription = defineModel("PushSubscription", PushSubscriptionSchema);
