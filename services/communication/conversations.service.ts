/**
 * Chat conversations and their messages (scenario 3). Who may talk to whom is decided here (chat-rules.ts),
 * from the users, schools and classes services. Every message is stored before anyone hears of it: the
 * plain broadcast `communication.message.sent` then reaches every realtime node, which relays it to the
 * conversation's room; members not in the room get an in-app notification, and the durable channel of the
 * same name feeds reporting. The realtime rooms call these actions as the connected user, so a message
 * sent over WebSocket or REST follows exactly one path.
 */
import mongoose from "mongoose";
import { STAFF_ROLES } from "../../config/roles.js";
import { Conversation } from "../../models/conversation.model.js";
import { Message } from "../../models/message.model.js";
import { recordAudit } from "../shared/audit-trail.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { forbidden, invalid, isDuplicateKey, notFound } from "../shared/errors.js";
import { currentUser, hasRole, type AuthUser, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import {
	checkMessageText,
	conversationKey,
	DEFAULT_STUDENT_CONTACT_POLICY,
	MESSAGE_RULES,
	pairKind,
	STUDENT_CONTACT_POLICIES,
	studentTeacherAllowed,
	teachesStudent,
	type Party,
	type StudentContactPolicy,
} from "./chat-rules.js";
import { ID } from "../shared/params.js";
import { textRule } from "../shared/text-rules.js";
import { EXPORT_PARAMS, exportPage, on, type ExportParams } from "../shared/feed-export.js";

/** The reporting feed's `communication.message.sent` (live, and replayed by `exportMessages`). */
function messageSentMessage(schoolId: string | null, kind: string, m: { id?: unknown; _id?: unknown; conversationId: unknown; senderId: unknown; text: string; createdAt: Date | string }) {
	const messageId = String(m.id ?? m._id);
	const at = new Date(m.createdAt).toISOString();
	return { id: `communication.message.sent:${messageId}`, schoolId, occurredAt: at, conversationId: String(m.conversationId), messageId, senderId: String(m.senderId), kind, length: m.text.length };
}
import { conversationsPersonalData } from "./personal-data.js";

const HISTORY_MAX = 100;
/** How long a send waits for the realtime nodes to say who is in the room before notifying everyone. */
const PRESENCE_TIMEOUT_MS = 2000;
const PREVIEW_LENGTH = 200;

export const MESSAGE_FIELDS = ["id", "schoolId", "conversationId", "senderId", "clientId", "text", "reportedAt", "createdAt"];
const CONVERSATION_FIELDS = ["id", "schoolId", "kind", "memberIds", "members", "lastMessageAt", "lastMessageId", "createdAt", "updatedAt"];

interface ConversationDoc {
	_id: mongoose.Types.ObjectId;
	schoolId: mongoose.Types.ObjectId | null;
	kind: string;
	memberIds: mongoose.Types.ObjectId[];
	members: { userId: mongoose.Types.ObjectId; role: string; lastReadMessageId: mongoose.Types.ObjectId | null; lastReadAt: Date | null }[];
}

const isStaffRole = (role: string) => (STAFF_ROLES as readonly string[]).includes(role);
const idOf = (value: unknown) => (value === null || value === undefined ? null : String(value));

const ConversationsService: ServiceDef = {
	name: "conversations",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [conversationsPersonalData, dbMixin(Conversation, { fields: CONVERSATION_FIELDS, tenant: false })],

	actions: {
		/** The school's chat messages as `communication.message.sent` (reporting rebuilds from them). */
		exportMessages: {
			params: EXPORT_PARAMS,
			async handler(this: any, ctx: Ctx<ExportParams>) {
				const page = await exportPage(Message, ctx.params, {}, (doc: any) => [doc], { conversationId: 1, senderId: 1, text: 1, createdAt: 1 });
				const kinds = new Map<string, string>(
					(await this.model.find({ _id: { $in: [...new Set(page.rows.map((d: any) => String(d.conversationId)))] } }, { kind: 1 }).lean()).map((c: any) => [String(c._id), c.kind]),
				);
				return { ...page, rows: on("communication.message.sent", page.rows.map((d: any) => messageSentMessage(ctx.params.schoolId, kinds.get(String(d.conversationId)) ?? "unknown", d))) };
			},
		},

		open: {
			rest: "POST /conversations",
			params: { $$strict: "remove", userId: ID },
			async handler(this: any, ctx: Ctx<{ userId: string }>) {
				const me = currentUser(ctx);
				if (me.id === ctx.params.userId) throw invalid("userId", "you cannot start a conversation with yourself");
				const other = await this.contactable(ctx, me, ctx.params.userId);
				const pairing = pairKind(me, other);
				if (!pairing) throw forbidden("You may not start a conversation with this user");
				if (pairing.kind === "student_teacher") await this.assertStudentTeacherAllowed(ctx, me, other, pairing.roles[0] === "student");

				const key = conversationKey(pairing.kind, me.id, other.id);
				const existing = await this.model.findOne({ key });
				if (existing) return this.toJSON(ctx, existing);
				const schoolId = me.schoolId ?? other.schoolId ?? null;
				try {
					const created = await this.model.create({
						schoolId,
						kind: pairing.kind,
						key,
						memberIds: [me.id, other.id],
						members: [
							{ userId: me.id, role: pairing.roles[0] },
							{ userId: other.id, role: pairing.roles[1] },
						],
					});
					ctx.meta.$statusCode = 201;
					return this.toJSON(ctx, created);
				} catch (err) {
					// The other side opened it at the same moment: the unique key kept one, return it.
					if (!isDuplicateKey(err)) throw err;
					const winner = await this.model.findOne({ key });
					if (!winner) throw err;
					return this.toJSON(ctx, winner);
				}
			},
		},

		list: {
			rest: "GET /conversations",
			params: { $$strict: "remove", ...PAGE_PARAMS },
			handler(this: any, ctx: Ctx<PageParams>) {
				return this.pageOf(ctx, { memberIds: currentUser(ctx).id }, ctx.params, { lastMessageAt: -1, _id: -1 });
			},
		},

		get: {
			rest: "GET /conversations/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const { conversation, reviewing } = await this.readable(ctx, ctx.params.id);
				if (reviewing) await this.auditReview(ctx, conversation, {});
				return this.toJSON(ctx, conversation);
			},
		},

		/** For the realtime rooms: the conversation if the caller is one of its members, else 404. */
		access: {
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				return this.toJSON(ctx, await this.memberOf(ctx, ctx.params.id));
			},
		},

		messages: {
			rest: "GET /conversations/:id/messages",
			params: {
				$$strict: "remove",
				id: ID,
				before: { ...ID, optional: true },
				limit: { type: "number", integer: true, min: 1, max: HISTORY_MAX, optional: true, convert: true },
			},
			async handler(this: any, ctx: Ctx<{ id: string; before?: string; limit?: number }>) {
				const { id, before, limit = 50 } = ctx.params;
				const { conversation, reviewing } = await this.readable(ctx, id);
				// A safeguarding review is only served once it is on the audit log.
				if (reviewing) await this.auditReview(ctx, conversation, { before, limit });
				const filter: Record<string, unknown> = { conversationId: conversation._id };
				if (before) filter._id = { $lt: new mongoose.Types.ObjectId(before) };
				const docs = await Message.find(filter).sort({ _id: -1 }).limit(limit + 1);
				const page = docs.slice(0, limit);
				return {
					rows: page.map((doc: any) => this.messageJSON(doc)),
					hasMore: docs.length > limit,
					nextBefore: docs.length > limit ? String(page[page.length - 1]._id) : null,
				};
			},
		},

		send: {
			rest: "POST /conversations/:id/messages",
			params: { $$strict: "remove", id: ID, ...MESSAGE_RULES },
			async handler(this: any, ctx: Ctx<{ id: string; clientId: string; text: string }>) {
				const me = currentUser(ctx);
				const conversation: ConversationDoc = await this.memberOf(ctx, ctx.params.id);
				const verdict = checkMessageText(ctx.params.text);
				if (!verdict.ok) throw invalid("text", verdict.message);
				// The school's chat policy and the class ties it rests on are checked on every message (REST and
				// room alike), not only when the conversation opened: a policy closed or a class left since ends it.
				if (conversation.kind === "student_teacher") {
					const mine = conversation.members.find(m => String(m.userId) === me.id)!;
					const other = conversation.members.find(m => String(m.userId) !== me.id)!;
					await this.assertStudentTeacherAllowed(ctx, me, { id: String(other.userId), schoolId: me.schoolId, roles: [other.role] }, mine.role === "student");
				}

				const { message, duplicate } = await this.storeOnce(conversation, me.id, ctx.params.clientId, verdict.text);
				if (duplicate) return { message, duplicate: true };
				ctx.meta.$statusCode = 201;
				await this.afterStored(ctx, conversation, message);
				return { message, duplicate: false };
			},
		},

		markRead: {
			rest: "POST /conversations/:id/read",
			params: { $$strict: "remove", id: ID, messageId: ID },
			async handler(this: any, ctx: Ctx<{ id: string; messageId: string }>) {
				const me = currentUser(ctx);
				const conversation: ConversationDoc = await this.memberOf(ctx, ctx.params.id);
				const message = await Message.findOne({ _id: ctx.params.messageId, conversationId: conversation._id });
				if (!message) throw notFound("Message", ctx.params.messageId);
				const index = conversation.members.findIndex(m => String(m.userId) === me.id);
				const at = new Date();
				// Receipts only move forward: reading an older message later changes nothing.
				const updated = await this.model.findOneAndUpdate(
					{
						_id: conversation._id,
						$or: [{ [`members.${index}.lastReadMessageId`]: null }, { [`members.${index}.lastReadMessageId`]: { $lt: message._id } }],
					},
					{ $set: { [`members.${index}.lastReadMessageId`]: message._id, [`members.${index}.lastReadAt`]: at } },
					{ new: true },
				);
				const member = (updated ?? (await this.model.findById(conversation._id))).members[index];
				const receipt = {
					conversationId: String(conversation._id),
					userId: me.id,
					lastReadMessageId: idOf(member.lastReadMessageId),
					lastReadAt: member.lastReadAt,
				};
				if (updated) {
					ctx.broadcast("communication.conversation.read", {
						schoolId: idOf(conversation.schoolId),
						memberIds: conversation.memberIds.map(String),
						...receipt,
					});
				}
				return receipt;
			},
		},

		report: {
			rest: "POST /messages/:id/report",
			params: { $$strict: "remove", id: ID, reason: textRule({ max: 1000, multiline: true }) },
			async handler(this: any, ctx: Ctx<{ id: string; reason: string }>) {
				const me = currentUser(ctx);
				const message = await Message.findById(ctx.params.id);
				if (!message) throw notFound("Message", ctx.params.id);
				const conversation: ConversationDoc = await this.memberOf(ctx, String(message.conversationId), "Message", ctx.params.id);
				if (String(message.senderId) === me.id) throw invalid("id", "you cannot report your own message");
				const at = new Date();
				// One report per reporter: a second one (a double click, a retry) changes nothing.
				const reported = await Message.findOneAndUpdate(
					{ _id: message._id, "reports.userId": { $ne: new mongoose.Types.ObjectId(me.id) } },
					{ $push: { reports: { userId: me.id, reason: ctx.params.reason, at } }, $set: { reportedAt: at } },
					{ new: true },
				);
				if (reported) {
					await recordAudit(ctx, {
						schoolId: idOf(conversation.schoolId),
						action: "message.reported",
						targetType: "message",
						targetId: String(message._id),
						data: { conversationId: String(conversation._id) },
					});
					await this.notifySchoolAdmins(ctx, conversation, message, me.id);
				}
				return { ...this.messageJSON(reported ?? (await Message.findById(message._id))), reported: true };
			},
		},

		reports: {
			rest: "GET /reports",
			params: { $$strict: "remove", ...PAGE_PARAMS },
			async handler(this: any, ctx: Ctx<PageParams>) {
				const schoolId = currentUser(ctx).schoolId;
				if (!schoolId) throw forbidden("Reports belong to a school");
				const pageSize = Math.min(ctx.params.pageSize ?? 20, 100);
				const page = ctx.params.page ?? 1;
				const filter = { schoolId, reportedAt: { $ne: null } };
				const [docs, total] = await Promise.all([
					Message.find(filter).sort({ reportedAt: -1, _id: -1 }).skip((page - 1) * pageSize).limit(pageSize),
					Message.countDocuments(filter),
				]);
				const rows = docs.map((doc: any) => ({
					...this.messageJSON(doc),
					reports: doc.reports.map((r: any) => ({ userId: String(r.userId), reason: r.reason, at: r.at })),
				}));
				return { rows, total, page, pageSize, totalPages: Math.ceil(total / pageSize) };
			},
		},
	},

	methods: {
		/** The other party as chat rules see them; 404 for a missing, inactive or other school's user. */
		async contactable(this: any, ctx: Ctx<any>, me: AuthUser, userId: string): Promise<Party> {
			let user: any;
			try {
				user = await ctx.call("users.sessionUser", { userId });
			} catch (err: any) {
				if (err?.code === 404) throw notFound("User", userId);
				throw err;
			}
			const other: Party = { id: String(user.id), schoolId: user.schoolId ?? null, roles: user.roles ?? [] };
			const supportInvolved = hasRole(me, "support") || other.roles.includes("support");
			// Another school's user looks exactly like a missing one.
			if (user.status !== "active" || (!supportInvolved && other.schoolId !== me.schoolId)) throw notFound("User", userId);
			return other;
		},

		async assertStudentTeacherAllowed(this: any, ctx: Ctx<any>, me: AuthUser, other: Party, meIsStudent: boolean) {
			const school: any = await ctx.call("schools.mine");
			const policy: StudentContactPolicy = STUDENT_CONTACT_POLICIES.includes(school?.settings?.chat?.studentsMayContact)
				? school.settings.chat.studentsMayContact
				: DEFAULT_STUDENT_CONTACT_POLICY;
			let shares = false;
			if (policy === "own_teachers") {
				const [mine, theirs] = await Promise.all([
					ctx.call<any, any>("classes.membership", { userId: me.id }),
					ctx.call<any, any>("classes.membership", { userId: other.id }),
				]);
				shares = meIsStudent ? teachesStudent(theirs, mine) : teachesStudent(mine, theirs);
			}
			if (!studentTeacherAllowed(policy, shares)) {
				throw forbidden(
					policy === "none" ? "Your school does not allow student-teacher messaging" : "Students may only message the teachers of their classes",
				);
			}
		},

		/** The conversation, if the caller is a member; 404 otherwise (existence is not revealed). */
		async memberOf(this: any, ctx: Ctx<any>, id: string, entity = "Conversation", entityId = id): Promise<ConversationDoc> {
			const me = currentUser(ctx);
			const doc = mongoose.isValidObjectId(me.id) ? await this.model.findOne({ _id: id, memberIds: me.id }) : null;
			if (!doc) throw notFound(entity, entityId);
			return doc;
		},

		/** Members read; a school admin may also review a student ↔ teacher conversation of their school. */
		async readable(this: any, ctx: Ctx<any>, id: string): Promise<{ conversation: ConversationDoc; reviewing: boolean }> {
			const me = currentUser(ctx);
			const doc: ConversationDoc | null = await this.model.findById(id);
			if (doc && doc.memberIds.some(m => String(m) === me.id)) return { conversation: doc, reviewing: false };
			const reviewable =
				doc && hasRole(me, "school_admin") && doc.kind === "student_teacher" && me.schoolId !== null && idOf(doc.schoolId) === me.schoolId;
			if (!reviewable) throw notFound("Conversation", id);
			return { conversation: doc, reviewing: true };
		},

		async auditReview(this: any, ctx: Ctx<any>, conversation: ConversationDoc, data: Record<string, unknown>) {
			const me = currentUser(ctx);
			await ctx.call("audit.record", {
				schoolId: idOf(conversation.schoolId),
				actorId: me.id,
				action: "conversation.reviewed",
				targetType: "conversation",
				targetId: String(conversation._id),
				...(ctx.meta.clientIp ? { ip: ctx.meta.clientIp } : {}),
				data: { ...data, memberIds: conversation.memberIds.map(String) },
			});
		},

		/** Inserts the message, or returns the one this client id already stored. */
		async storeOnce(this: any, conversation: ConversationDoc, senderId: string, clientId: string, text: string) {
			try {
				const created = await Message.create({ schoolId: conversation.schoolId, conversationId: conversation._id, senderId, clientId, text });
				return { message: this.messageJSON(created), duplicate: false };
			} catch (err) {
				if (!isDuplicateKey(err)) throw err;
				const existing = await Message.findOne({ conversationId: conversation._id, senderId, clientId });
				if (!existing) throw err;
				return { message: this.messageJSON(existing), duplicate: true };
			}
		},

		/** What follows a stored message: the inbox order, live delivery, notifications, the reporting feed. */
		async afterStored(this: any, ctx: Ctx<any>, conversation: ConversationDoc, message: any) {
			const messageId = new mongoose.Types.ObjectId(message.id as string);
			const senderIndex = conversation.members.findIndex(m => String(m.userId) === message.senderId);
			await this.model.updateOne(
				{ _id: conversation._id, $or: [{ lastMessageId: null }, { lastMessageId: { $lt: messageId } }] },
				{ $set: { lastMessageAt: message.createdAt, lastMessageId: messageId } },
			);
			// The sender has read what they wrote.
			await this.model.updateOne(
				{
					_id: conversation._id,
					$or: [{ [`members.${senderIndex}.lastReadMessageId`]: null }, { [`members.${senderIndex}.lastReadMessageId`]: { $lt: messageId } }],
				},
				{ $set: { [`members.${senderIndex}.lastReadMessageId`]: messageId, [`members.${senderIndex}.lastReadAt`]: message.createdAt } },
			);
			const schoolId = idOf(conversation.schoolId);
			const memberIds = conversation.memberIds.map(String);
			ctx.broadcast("communication.message.sent", { schoolId, conversationId: message.conversationId, memberIds, message });

			const others = conversation.members.filter(m => String(m.userId) !== message.senderId);
			const present = new Set(await this.presentUsers(ctx, message.conversationId, others.map(m => String(m.userId))));
			const absent = others.filter(m => !present.has(String(m.userId)));
			// Staff have no school: their notifications live in the school-less inbox.
			for (const staff of [false, true]) {
				const userIds = absent.filter(m => isStaffRole(m.role) === staff).map(m => String(m.userId));
				if (userIds.length === 0) continue;
				await publishDurable(this.broker, "notifications.requested", {
					id: `chat.message:${message.id}:${staff ? "staff" : "school"}`,
					schoolId: staff ? null : schoolId,
					userIds,
					type: "chat.message",
					title: "New message",
					body: message.text.slice(0, PREVIEW_LENGTH),
					data: { conversationId: message.conversationId, messageId: message.id, senderId: message.senderId },
				});
			}
			await publishDurable(this.broker, "communication.message.sent", messageSentMessage(schoolId, conversation.kind, message));
		},

		/** Who of these users is in the conversation's room on any realtime node; nobody when none answers. */
		async presentUsers(this: any, ctx: Ctx<any>, conversationId: string, userIds: string[]): Promise<string[]> {
			if (userIds.length === 0) return [];
			try {
				const res: any = await ctx.call("realtime.presentUsers", { conversationId, userIds }, { timeout: PRESENCE_TIMEOUT_MS });
				return Array.isArray(res?.present) ? res.present : [];
			} catch (err) {
				this.logger.warn("Realtime presence unavailable: notifying every other member", err instanceof Error ? err.message : err);
				return [];
			}
		},

		async notifySchoolAdmins(this: any, ctx: Ctx<any>, conversation: ConversationDoc, message: any, reporterId: string) {
			const schoolId = idOf(conversation.schoolId);
			if (!schoolId) return;
			const admins: { id: string }[] = await ctx.call("users.schoolAdmins", { schoolId });
			const userIds = admins.map(a => a.id).filter(id => id !== reporterId);
			if (userIds.length === 0) return;
			await publishDurable(this.broker, "notifications.requested", {
				id: `chat.report:${message._id}:${reporterId}`,
				schoolId,
				userIds,
				type: "chat.report",
				title: "A message was reported",
				body: "A chat message was reported and awaits your review.",
				data: { conversationId: String(conversation._id), messageId: String(message._id) },
			});
		},

		messageJSON(doc: any) {
			const json = doc.toJSON();
			return Object.fromEntries(MESSAGE_FIELDS.map(f => [f, f === "id" ? String(doc._id) : (json[f] ?? null)]));
		},
	},

	async started() {
		// The mixin builds the Conversation indexes; messages need theirs (the client-id key) too.
		await Message.init();
	},
};

export default ConversationsService;
