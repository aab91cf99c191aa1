/**
 * An in-app notification for one user. Platform staff have no school: their notifications carry
 * `schoolId: null`. `sourceId` names the fact that caused it (a durable message id) so a redelivered
 * message never notifies twice; it is always set (a random id when there is no source), since a unique
 * index without partial-index support would otherwise clash on repeated nulls.
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const NotificationSchema = defineSchema({
	schoolId: { type: ObjectId, default: null, index: true },
	userId: { type: ObjectId, required: true },
	type: { type: String, required: true, maxlength: 100 },
	title: { type: String, required: true, maxlength: 300 },
	body: { type: String, default: "", maxlength: 5000 },
	data: { type: Object, default: {} },
	readAt: { type: Date, default: null },
	sourceId: { type: String, required: true, maxlength: 200 },
}, { minimize: false });

NotificationSchema.index({ sourceId: 1, userId: 1 }, { unique: true });
// A user's inbox, newest first, and its unread count.
NotificationSchema.index({ userId: 1, schoolId: 1, _id: -1 });
NotificationSchema.index({ userId: 1, schoolId: 1, readAt: 1 });

export const Notification = defineModel("Notification", NotificationSchema);
