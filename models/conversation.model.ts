/**
 * A conversation between two users: student ↔ teacher, teacher ↔ school admin, or anyone ↔ support.
 * `key` (kind + the sorted pair) is unique, so create-or-get stays one conversation under concurrent
 * requests: the second insert fails on the index and reads the first. Read receipts live on each member, updated in one document op.
 * Support conversations carry the school of the non-staff member (null when both are staff).
 */
import { defineModel, defineSchema, ObjectId } from "./define.js";

export const CONVERSATION_KINDS = ["student_teacher", "teacher_admin", "support"] as const;
export type ConversationKind = (typeof CONVERSATION_KINDS)[number];

const MemberSchema = defineSchema(
	{
		userId: { type: ObjectId, required: true },
		/** The role the member speaks in (student, teacher, school_admin, support, or the staff role). */
		role: { type: String, required: true, maxlength: 30 },
		lastReadMessageId: { type: ObjectId, default: null },
		lastReadAt: { type: Date, default: null },
	},
	{ _id: false, timestamps: false },
);

export const ConversationSchema = defineSchema({
	schoolId: { type: ObjectId, default: null, index: true },
	kind: { type: String, enum: CONVERSATION_KINDS, required: true },
	key: { type: String, required: true, maxlength: 120 },
	memberIds: { type: [ObjectId], required: true },
	members: { type: [MemberSchema], required: true },
	lastMessageAt: { type: Date, default: null },
	lastMessageId: { type: ObjectId, default: null },
});

ConversationSchema.index({ key: 1 }, { unique: true });
// A member's inbox, most recent activity first.
ConversationSchema.index({ memberIds: 1, lastMessageAt: -1 });

export const Conversation = defineModel("Conversation", ConversationSchema);
