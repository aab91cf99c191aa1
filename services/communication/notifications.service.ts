/**
 * In-app notifications. A user sees and marks only their own: every query is confined to the caller's
 * userId and schoolId (null for platform staff), which is why the db mixin's school-only tenant filter
 * is switched off here. Other blocks ask for notifications on the durable channel
 * `notifications.requested`, consumed once per (message id, user). Each recipient's preferences
 * (preferences.service.ts) decide the channels: in-app here; email and Web Push are handed on, durably, to
 * the delivery service (`communication.delivery.requested`).
 */
import { randomUUID } from "node:crypto";
import { Errors } from "moleculer";
import mongoose from "mongoose";
import { Notification } from "../../models/notification.model.js";
import { dbMixin, PAGE_PARAMS, type Filter, type PageParams } from "../shared/db.mixin.js";
import { publishDurable, type DurableMessage } from "../shared/durable.js";
import { forbidden, isDuplicateKey, notFound } from "../shared/errors.js";
import { currentUser, systemMeta, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { ID } from "../shared/params.js";
import { categoryOf, DEFAULT_CHANNELS, type EmailMode } from "./notification-prefs.js";
import { notificationsPersonalData } from "./personal-data.js";

const CONTENT = {
	type: { type: "string", min: 1, max: 100, pattern: /^[a-z0-9][a-z0-9._-]*$/i },
	title: { type: "string", min: 1, max: 300 },
	body: { type: "string", max: 5000, optional: true },
	data: { type: "object", optional: true },
} as const;

export interface NotificationInput {
	userId: string;
	schoolId: string | null;
	type: string;
	title: string;
	body?: string;
	data?: Record<string, unknown>;
	sourceId?: string;
}

interface RequestedMessage extends DurableMessage {
	userIds: string[];
	type: string;
	title: string;
	body?: string;
	data?: Record<string, unknown>;
}

/** How many notifications of one message are written at once: a whole school must not flood the pool. */
const WRITE_BATCH = 20;

/** moleculer's schema type does not know the `channels` section @moleculer/channels reads. */
const NotificationsService: ServiceDef & { channels: Record<string, unknown> } = {
	name: "notifications",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [notificationsPersonalData, 
		dbMixin(Notification, {
			fields: ["id", "schoolId", "userId", "type", "title", "body", "data", "readAt", "sourceId", "createdAt"],
			tenant: false,
		}),
	],

	actions: {
		list: {
			rest: "GET /notifications",
			params: { $$strict: "remove", unread: { type: "boolean", optional: true, convert: true }, ...PAGE_PARAMS },
			handler(this: any, ctx: Ctx<PageParams & { unread?: boolean }>) {
				const filter = ctx.params.unread ? { ...this.inbox(ctx), readAt: null } : this.inbox(ctx);
				return this.pageOf(ctx, filter, ctx.params, { _id: -1 });
			},
		},

		unreadCount: {
			rest: "GET /notifications/unread-count",
			async handler(this: any, ctx: Ctx) {
				return { count: await this.model.countDocuments({ ...this.inbox(ctx), readAt: null }) };
			},
		},

		markRead: {
			rest: "POST /notifications/:id/read",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const mine = { ...this.inbox(ctx), _id: ctx.params.id };
				// Reading twice keeps the first readAt: the second lookup is only for the already-read case.
				const doc =
					(await this.model.findOneAndUpdate({ ...mine, readAt: null }, { $set: { readAt: new Date() } }, { new: true })) ??
					(await this.model.findOne(mine));
				if (!doc) throw notFound("Notification", ctx.params.id);
				return this.toJSON(ctx, doc);
			},
		},

		markAllRead: {
			rest: "POST /notifications/read-all",
			async handler(this: any, ctx: Ctx) {
				const result = await this.model.updateMany({ ...this.inbox(ctx), readAt: null }, { $set: { readAt: new Date() } });
				return { updated: result.modifiedCount };
			},
		},

		/** For other services; a school member's call may only notify users of that member's school. */
		create: {
			params: {
				$$strict: "remove",
				userId: ID,
				schoolId: { ...ID, nullable: true },
				...CONTENT,
				sourceId: { type: "string", min: 1, max: 200, optional: true },
			},
			handler(this: any, ctx: Ctx<NotificationInput>) {
				const callerSchool = ctx.meta.user?.schoolId;
				if (callerSchool && callerSchool !== ctx.params.schoolId) {
					throw forbidden("A school may only notify its own users");
				}
				return this.createOnce(ctx, ctx.params);
			},
		},
	},

	channels: {
		"notifications.requested": {
			group: "notifications",
			context: true,
			async handler(this: any, ctx: Ctx<RequestedMessage>) {
				// Whoever published, the consumer acts as the system, never as a user.
				ctx.meta.user = systemMeta().user;
				const problems = this.checkRequest(ctx.params);
				if (problems !== true) {
					// Redelivering a malformed message would fail the same way: drop it loudly.
					this.logger.error("Dropping malformed notifications.requested message", ctx.params?.id, problems);
					return;
				}
				const { id, schoolId, userIds, type, title, body, data } = ctx.params;
				const unique = [...new Set(userIds.map(u => u.toLowerCase()))];
				const recipients: { userId: string; inApp: boolean; email: EmailMode; push: boolean }[] = await this.channelsOf(ctx, unique, type);
				const inApp = recipients.filter(r => r.inApp).map(r => r.userId);
				for (let i = 0; i < inApp.length; i += WRITE_BATCH) {
					await Promise.all(
						inApp
							.slice(i, i + WRITE_BATCH)
							.map(userId => this.createOnce(ctx, { userId, schoolId: schoolId ?? null, type, title, body, data, sourceId: id })),
					);
				}
				const elsewhere = recipients.filter(r => r.email !== "off" || r.push).map(({ userId, email, push }) => ({ userId, email, push }));
				if (elsewhere.length > 0) {
					// Same id on a redelivery: the delivery service acts once per (message, user, channel).
					await publishDurable(this.broker, "communication.delivery.requested", {
						id: `delivery:${id}`,
						schoolId: schoolId ?? null,
						type,
						title,
						body,
						data,
						recipients: elsewhere,
					});
				}
			},
		},
	},

	methods: {
		/** Each recipient's channels; the defaults when no preferences node answers (in-app still goes out). */
		async channelsOf(this: any, ctx: Ctx<any>, userIds: string[], type: string): Promise<{ userId: string; inApp: boolean; email: EmailMode; push: boolean }[]> {
			try {
				const res = (await ctx.call("preferences.resolve", { userIds, type })) as { recipients: { userId: string; inApp: boolean; email: EmailMode; push: boolean }[] };
				return res.recipients;
			} catch (err) {
				if (!(err instanceof Errors.ServiceNotFoundError) && !(err instanceof Errors.ServiceNotAvailableError)) throw err;
				this.logger.warn("Notification preferences unavailable: default channels, in-app only");
				const defaults = DEFAULT_CHANNELS[categoryOf(type)];
				return userIds.map(userId => ({ userId, inApp: defaults.inApp, email: "off" as const, push: false }));
			}
		},

		/** The caller's own notifications: their userId in their school (null for staff). */
		inbox(ctx: Ctx<any>): Filter {
			const user = currentUser(ctx);
			if (!mongoose.isValidObjectId(user.id)) throw forbidden("Only users have notifications");
			return { userId: user.id, schoolId: user.schoolId ?? null };
		},

		/** Inserts, or returns the notification already made for this (sourceId, userId). */
		async createOnce(this: any, ctx: Ctx<any>, input: NotificationInput) {
			const doc = { ...input, schoolId: input.schoolId ?? null, sourceId: input.sourceId ?? randomUUID() };
			try {
				const created = await this.model.create(doc);
				const json = await this.toJSON(ctx, created);
				await this.entityChanged("created", json, ctx, created);
				// Live push to the user's room on whichever realtime node they are connected to.
				this.broker.broadcast("communication.notification.created", { schoolId: json.schoolId ?? null, userId: json.userId, notification: json });
				return json;
			} catch (err) {
				if (!isDuplicateKey(err)) throw err;
				const existing = await this.model.findOne({ sourceId: doc.sourceId, userId: doc.userId });
				if (!existing) throw err;
				return this.toJSON(ctx, existing);
			}
		},
	},

	created(this: any) {
		this.checkRequest = this.broker.validator.compile({
			id: { type: "string", min: 1, max: 200 },
			schoolId: { ...ID, nullable: true, optional: true },
			userIds: { type: "array", items: ID, max: 10_000 },
			...CONTENT,
		});
	},
};

export default NotificationsService;
