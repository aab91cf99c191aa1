/**
 * A chat message. The unique (conversationId, senderId, clientId) index makes a client's retry (after a
 * reconnect, or REST after WebSocket) return the stored message instead of storing it twice.
 * Safeguarding reports are embedded: one atomic push per reporter, and `reportedAt` marks the message
 * for the school admin's review list.
 */
import { defineModel, defineSchema, ObjectId, maxChars } from "./define.js";

export const MESSAGE_MAX_LENGTH = 4000;

const ReportSchema = defineSchema(
	{
		userId: { type: ObjectId, required: true },
		reason: { type: String, required: true, validate: maxChars(1000) },
		at: { type: Date, required: true },
	},
	{ _id: false, timestamps: false },
);

export const MessageSchema = defineSchema({
	schoolId: { type: ObjectId, default: null, index: true },
	conversationId: { type: ObjectId, required: true },
	senderId: { type: ObjectId, required: true },
	clientId: { type: String, required: true, maxlength: 64 },
	text: { type: String, required: true, validate: maxChars(MESSAGE_MAX_LENGTH) },
	reports: { type: [ReportSchema], default: [] },
	reportedAt: { type: Date, default: null },
});

MessageSchema.index({ conversationId: 1, senderId: 1, clientId: 1 }, { unique: true });
// History pages: newest first, before a given message id.
MessageSchema.index({ conversationId: 1, _id: -1 });
// The school admin's list of reported messages.
MessageSchema.index({ schoolId: 1, reportedAt: -1 });

export const Message = defineModel("Message", MessageSchema);
