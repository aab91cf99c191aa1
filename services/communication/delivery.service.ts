/**
 * Email and Web Push of notifications. The notifications service publishes, on the durable channel
 * `communication.delivery.requested`, the recipients of a notification who want it by email (instant or in
 * the daily digest) or by push. Each (message, user, channel) is claimed once in the Delivery collection,
 * so a redelivered message sends nothing twice; a failed send releases its claim and the message is
 * redelivered. Push goes only to users who are not connected (no open `user` room on any realtime node).
 * The daily digest is sent by the communication tick (reminders.tick → delivery.sendDigests).
 */
import { settings } from "../../config/env.js";
import { Delivery } from "../../models/delivery.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import type { DurableMessage } from "../shared/durable.js";
import { isDuplicateKey } from "../shared/errors.js";
import { systemMeta, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { localeOf, renderDigestMail, renderNotificationMail, type MailContext, type NotificationContent } from "./mail-templates.js";
import { categoryOf, type Category } from "./notification-prefs.js";
import { localDayAndHour } from "./time-rules.js";
import { signUnsubscribe, unsubscribeUrl } from "./unsubscribe-token.js";
import { deliveryPersonalData } from "./personal-data.js";

export interface DeliveryRequest extends DurableMessage {
	type: string;
	title: string;
	body?: string;
	data?: Record<string, unknown>;
	recipients: { userId: string; email: "off" | "instant" | "daily"; push: boolean }[];
}

const DIGEST_MAX_ITEMS = 50;
const PRESENCE_TIMEOUT_MS = 2000;

const DeliveryService: ServiceDef & { channels: Record<string, unknown> } = {
	name: "delivery",
	// The mixin gives this service the shared database connection (it exposes no generic action).
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [deliveryPersonalData, dbMixin(Delivery, { fields: ["key", "userId", "channel", "status", "type", "sentAt"], tenant: false })],

	actions: {
		/** The tick's digest pass: users whose digest hour has come in their zone get one mail per local day. */
		sendDigests: {
			params: { $$strict: "remove", now: { type: "date", convert: true, optional: true } },
			async handler(this: any, ctx: Ctx<{ now?: Date }>) {
				const now = ctx.params.now ?? new Date();
				const userIds: string[] = (await Delivery.distinct("userId", { channel: "digest", status: "queued" })).map(String);
				if (userIds.length === 0) return { sent: 0 };
				const prefs: Record<string, any> = await ctx.call("preferences.forUsers", { userIds });
				let sent = 0;
				for (const userId of userIds) {
					try {
						if (await this.digestFor(ctx, userId, prefs[userId], now)) sent++;
					} catch (err) {
						this.logger.warn("Digest failed", userId, err instanceof Error ? err.message : err);
					}
				}
				return { sent };
			},
		},
	},

	channels: {
		"communication.delivery.requested": {
			group: "delivery",
			context: true,
			async handler(this: any, ctx: Ctx<DeliveryRequest>) {
				ctx.meta.user = systemMeta().user;
				const msg = ctx.params;
				if (!msg?.id || !Array.isArray(msg.recipients)) {
					this.logger.error("Dropping malformed communication.delivery.requested message", msg?.id);
					return;
				}
				const category = categoryOf(msg.type);
				const content = await this.enrich(ctx, msg);
				const pushTo = msg.recipients.filter(r => r.push).map(r => r.userId);
				const connected = new Set(pushTo.length ? await this.connected(ctx, pushTo) : []);
				for (const r of msg.recipients) {
					if (r.email === "instant") await this.emailOnce(ctx, msg, content, category, r.userId);
					if (r.email === "daily") await this.queueDigest(msg, content, r.userId);
					if (r.push && !connected.has(r.userId)) await this.pushOnce(ctx, msg, content, r.userId);
				}
			},
		},
	},

	methods: {
		/** Adds what a mail needs that the notification does not carry (the sender's name of a chat message). */
		async enrich(this: any, ctx: Ctx<any>, msg: DeliveryRequest): Promise<NotificationContent> {
			const data: Record<string, any> = { ...(msg.data ?? {}) };
			if (typeof data.senderId === "string" && !data.senderName) {
				const sender: any = await ctx.call("users.sessionUser", { userId: data.senderId }).catch(() => null);
				if (sender) data.senderName = `${sender.firstName} ${sender.lastName}`;
			}
			return { type: msg.type, title: msg.title, body: msg.body, data };
		},

		async connected(this: any, ctx: Ctx<any>, userIds: string[]): Promise<string[]> {
			try {
				const res: any = await ctx.call("realtime.connectedUsers", { userIds }, { timeout: PRESENCE_TIMEOUT_MS });
				return res?.connected ?? [];
			} catch {
				// No realtime node answers: nobody can be connected.
				return [];
			}
		},

		/** Claims (message, user, channel); false when it was already claimed (sent, or being sent). */
		async claim(this: any, key: string, doc: Record<string, unknown>): Promise<boolean> {
			try {
				await Delivery.create({ key, ...doc });
				return true;
			} catch (err) {
				if (isDuplicateKey(err)) return false;
				throw err;
			}
		},

		async mailContext(this: any, ctx: Ctx<any>, userId: string, category: Category): Promise<{ to: string; context: MailContext } | null> {
			const user: any = await ctx.call("users.sessionUser", { userId }).catch(() => null);
			if (!user?.email || user.status !== "active") return null;
			const [school, prefs]: any[] = await Promise.all([
				user.schoolId ? ctx.call("schools.resolve", { id: user.schoolId }).catch(() => null) : null,
				ctx.call("preferences.forUsers", { userIds: [userId] }),
			]);
			const token = await signUnsubscribe(userId, category);
			return {
				to: user.email,
				context: {
					locale: localeOf(user.locale),
					timezone: prefs[userId]?.timezone ?? school?.timezone ?? "UTC",
					schoolName: school?.name ?? "Learning Platform",
					firstName: user.firstName,
					publicUrl: settings().publicUrl,
					category,
					unsubscribeUrl: unsubscribeUrl(token),
				},
			};
		},

		async emailOnce(this: any, ctx: Ctx<any>, msg: DeliveryRequest, content: NotificationContent, category: Category, userId: string) {
			const key = `${msg.id}:${userId}:email`;
			if (!(await this.claim(key, { schoolId: msg.schoolId ?? null, userId, channel: "email", status: "sending", type: msg.type, title: msg.title }))) return;
			try {
				const target = await this.mailContext(ctx, userId, category);
				if (!target) {
					await Delivery.updateOne({ key }, { $set: { status: "skipped", detail: "no active account with an email" } });
					return;
				}
				const mail = renderNotificationMail(target.context, content);
				await ctx.call("mailer.send", { to: target.to, ...mail, tag: msg.type, unsubscribeUrl: target.context.unsubscribeUrl });
				await Delivery.updateOne({ key }, { $set: { status: "sent", sentAt: new Date() } });
			} catch (err) {
				// Released, so the redelivered message tries again.
				await Delivery.deleteOne({ key, status: "sending" });
				throw err;
			}
		},

		async queueDigest(this: any, msg: DeliveryRequest, content: NotificationContent, userId: string) {
			await this.claim(`${msg.id}:${userId}:digest`, {
				schoolId: msg.schoolId ?? null,
				userId,
				channel: "digest",
				status: "queued",
				type: content.type,
				title: content.title,
				body: content.body ?? "",
				data: content.data ?? {},
			});
		},

		async pushOnce(this: any, ctx: Ctx<any>, msg: DeliveryRequest, content: NotificationContent, userId: string) {
			const key = `${msg.id}:${userId}:push`;
			if (!(await this.claim(key, { schoolId: msg.schoolId ?? null, userId, channel: "push", status: "sending", type: msg.type, title: msg.title }))) return;
			try {
				const data = content.data ?? {};
				const url =
					typeof data.visioId === "string" ? `/visios/${data.visioId}` :
					typeof data.rendezvousId === "string" ? `/rendezvous/${data.rendezvousId}` :
					typeof data.conversationId === "string" ? `/conversations/${data.conversationId}` : undefined;
				const result: any = await ctx.call("push.send", {
					userIds: [userId],
					payload: { type: msg.type, title: msg.title, body: (msg.body ?? "").slice(0, 1000), ...(url ? { url } : {}), data: { ...data, notificationId: msg.id } },
					urgency: msg.type.startsWith("reminder.") ? "high" : "normal",
				});
				await Delivery.updateOne({ key }, { $set: { status: result.sent > 0 ? "sent" : "skipped", sentAt: new Date(), detail: JSON.stringify(result) } });
			} catch (err) {
				await Delivery.deleteOne({ key, status: "sending" });
				throw err;
			}
		},

		async digestFor(this: any, ctx: Ctx<any>, userId: string, prefs: any, now: Date): Promise<boolean> {
			const target = await this.mailContext(ctx, userId, "other");
			if (!target) {
				await Delivery.updateMany({ userId, channel: "digest", status: "queued" }, { $set: { status: "skipped", detail: "no active account with an email" } });
				return false;
			}
			const { day, hour } = localDayAndHour(now, target.context.timezone);
			if (hour < (prefs?.digestHour ?? 7)) return false;
			const items = await Delivery.find({ userId, channel: "digest", status: "queued" }).sort({ _id: 1 }).limit(DIGEST_MAX_ITEMS);
			if (items.length === 0) return false;
			const { claimed } = (await ctx.call("preferences.claimDigest", { userId, day, schoolId: items[0].schoolId ? String(items[0].schoolId) : null })) as { claimed: boolean };
			if (!claimed) return false;
			const mail = renderDigestMail(
				{ ...target.context, unsubscribeUrl: target.context.unsubscribeUrl },
				items.map((i: any) => ({ type: i.type, title: i.title, body: i.body, data: i.data })),
			);
			await ctx.call("mailer.send", { to: target.to, ...mail, tag: "digest" });
			await Delivery.updateMany({ _id: { $in: items.map((i: any) => i._id) } }, { $set: { status: "sent", sentAt: now } });
			return true;
		},
	},

};

export default DeliveryService;
