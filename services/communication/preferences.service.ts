/**
 * Notification preferences (channel × category, reminder offsets, time zone, daily digest hour) and the
 * unsubscribe links of mails, which work without logging in (a signed token, unsubscribe-token.ts).
 * Users read and change only their own; the other communication services ask `resolve` which channels
 * each recipient of a notification wants.
 */
import mongoose from "mongoose";
import { settings } from "../../config/env.js";
import { NotificationPreference } from "../../models/notification-preference.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import { ClientError, ERR, forbidden, invalid } from "../shared/errors.js";
import { currentUser, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { categoryOf, CATEGORIES, EMAIL_MODES, effectiveChannels, emailModesOf, type Category, type ChannelOverrides, type EmailMode } from "./notification-prefs.js";
import { DEFAULT_OFFSETS } from "./reminder-rules.js";
import { isValidZone } from "./time-rules.js";
import { verifyUnsubscribe } from "./unsubscribe-token.js";
import { preferencesPersonalData } from "./personal-data.js";

const CHANNEL_RULE = {
	type: "object",
	strict: true,
	optional: true,
	props: {
		inApp: { type: "boolean", optional: true },
		email: { type: "enum", values: [...EMAIL_MODES], optional: true },
		push: { type: "boolean", optional: true },
	},
} as const;

const TOKEN = { type: "string", min: 20, max: 2000, pattern: /^[A-Za-z0-9_.-]+$/ } as const;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, c => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

function page(title: string, body: string): string {
	return `<!doctype html><html><head><meta charset="utf-8"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title></head><body style="font-family:Arial,Helvetica,sans-serif;max-width:480px;margin:48px auto">${body}</body></html>`;
}

interface PrefsDoc {
	userId: mongoose.Types.ObjectId;
	channels?: ChannelOverrides;
	reminderOffsets?: number[] | null;
	timezone?: string | null;
	digestHour?: number;
	lastDigestDate?: string | null;
}

const PreferencesService: ServiceDef = {
	name: "preferences",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [preferencesPersonalData, dbMixin(NotificationPreference, { fields: ["userId", "channels", "reminderOffsets", "timezone", "digestHour"], tenant: false })],

	actions: {
		get: {
			rest: "GET /notification-preferences",
			async handler(this: any, ctx: Ctx) {
				const me = this.ownId(ctx);
				return this.view(ctx, await this.model.findOne({ userId: me }));
			},
		},

		update: {
			rest: "PATCH /notification-preferences",
			params: {
				$$strict: true,
				channels: { type: "object", strict: true, optional: true, props: Object.fromEntries(CATEGORIES.map(c => [c, CHANNEL_RULE])) },
				reminderOffsetsMinutes: { type: "array", optional: true, max: 5, unique: true, items: { type: "number", integer: true, min: 1, max: 10080 } },
				timezone: { type: "string", optional: true, nullable: true, max: 64 },
				digestHour: { type: "number", integer: true, min: 0, max: 23, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ channels?: ChannelOverrides; reminderOffsetsMinutes?: number[]; timezone?: string | null; digestHour?: number }>) {
				const me = this.ownId(ctx);
				const { channels, reminderOffsetsMinutes, timezone, digestHour } = ctx.params;
				const set: Record<string, unknown> = {};
				for (const [category, wanted] of Object.entries(channels ?? {}) as [Category, { inApp?: boolean; email?: EmailMode; push?: boolean }][]) {
					if (wanted.email !== undefined && !emailModesOf(category).includes(wanted.email)) {
						throw invalid(`channels.${category}.email`, `must be one of ${emailModesOf(category).join(", ")}`);
					}
					for (const [channel, value] of Object.entries(wanted)) if (value !== undefined) set[`channels.${category}.${channel}`] = value;
				}
				if (timezone !== undefined) {
					if (timezone !== null && !isValidZone(timezone)) throw invalid("timezone", "is not a known IANA time zone");
					set.timezone = timezone;
				}
				if (reminderOffsetsMinutes !== undefined) set.reminderOffsets = [...reminderOffsetsMinutes].sort((a, b) => b - a);
				if (digestHour !== undefined) set.digestHour = digestHour;
				const user = currentUser(ctx);
				const doc = Object.keys(set).length
					? await this.model.findOneAndUpdate({ userId: me }, { $set: set, $setOnInsert: { schoolId: user.schoolId ?? null } }, { new: true, upsert: true })
					: await this.model.findOne({ userId: me });
				if (reminderOffsetsMinutes !== undefined || timezone !== undefined) {
					// Reminders already scheduled follow the new offsets.
					await ctx.call("reminders.resyncUser", { userId: me }).catch((err: unknown) => this.logger.warn("Could not reschedule reminders", err));
				}
				return this.view(ctx, doc);
			},
		},

		/** For the notification pipeline: the channels each recipient wants for a notification type. */
		resolve: {
			params: { $$strict: "remove", userIds: { type: "array", max: 10_000, items: ID }, type: { type: "string", min: 1, max: 100 } },
			async handler(this: any, ctx: Ctx<{ userIds: string[]; type: string }>) {
				const category = categoryOf(ctx.params.type);
				const docs: PrefsDoc[] = ctx.params.userIds.length ? await this.model.find({ userId: { $in: ctx.params.userIds } }, { userId: 1, channels: 1 }) : [];
				const byUser = new Map(docs.map(d => [String(d.userId), d]));
				return {
					category,
					recipients: ctx.params.userIds.map(userId => ({ userId, ...effectiveChannels(byUser.get(userId.toLowerCase())?.channels)[category] })),
				};
			},
		},

		/** For reminders and mail: offsets, chosen time zone (null: the school's), digest state per user. */
		forUsers: {
			params: { $$strict: "remove", userIds: { type: "array", max: 10_000, items: ID } },
			async handler(this: any, ctx: Ctx<{ userIds: string[] }>) {
				const docs: PrefsDoc[] = ctx.params.userIds.length ? await this.model.find({ userId: { $in: ctx.params.userIds } }) : [];
				const byUser = new Map(docs.map(d => [String(d.userId), d]));
				return Object.fromEntries(
					ctx.params.userIds.map(userId => {
						const d = byUser.get(userId.toLowerCase());
						return [userId, {
							reminderOffsets: d?.reminderOffsets?.length ? d.reminderOffsets : (settings().reminderDefaultOffsets ?? [...DEFAULT_OFFSETS]),
							timezone: d?.timezone ?? null,
							digestHour: d?.digestHour ?? 7,
							lastDigestDate: d?.lastDigestDate ?? null,
						}];
					}),
				);
			},
		},

		/** Takes today's digest turn for a user: true once per local day, whoever asks twice. */
		claimDigest: {
			params: { $$strict: "remove", userId: ID, day: { type: "string", pattern: /^\d{4}-\d{2}-\d{2}$/ }, schoolId: { ...ID, nullable: true, optional: true } },
			async handler(this: any, ctx: Ctx<{ userId: string; day: string; schoolId?: string | null }>) {
				const { userId, day } = ctx.params;
				await this.model.updateOne({ userId }, { $setOnInsert: { schoolId: ctx.params.schoolId ?? null } }, { upsert: true }).catch(() => undefined);
				const claimed = await this.model.findOneAndUpdate({ userId, $or: [{ lastDigestDate: null }, { lastDigestDate: { $lt: day } }] }, { $set: { lastDigestDate: day } }, { new: true });
				return { claimed: !!claimed };
			},
		},

		unsubscribePage: {
			rest: "GET /mail/unsubscribe",
			params: { $$strict: "remove", token: TOKEN },
			async handler(this: any, ctx: Ctx<{ token: string }>) {
				const target = await verifyUnsubscribe(ctx.params.token);
				ctx.meta.$responseType = "text/html; charset=utf-8";
				if (!target) {
					ctx.meta.$statusCode = 404;
					return page("Lien invalide / Invalid link", "<p>Ce lien de désinscription n'est pas valide.</p><p>This unsubscribe link is not valid.</p>");
				}
				// A GET only asks: mail scanners open links, and must not unsubscribe anyone by doing so.
				const action = `/api/mail/unsubscribe?token=${encodeURIComponent(ctx.params.token)}&format=html`;
				return page(
					"Se désinscrire / Unsubscribe",
					`<p>Ne plus recevoir les e-mails « ${escapeHtml(target.category)} » ? / Stop "${escapeHtml(target.category)}" emails?</p>` +
						`<form method="post" action="${escapeHtml(action)}"><button type="submit">Confirmer / Confirm</button></form>`,
				);
			},
		},

		unsubscribe: {
			rest: "POST /mail/unsubscribe",
			params: { $$strict: "remove", token: TOKEN, format: { type: "enum", values: ["json", "html"], optional: true } },
			async handler(this: any, ctx: Ctx<{ token: string; format?: "json" | "html" }>) {
				const target = await verifyUnsubscribe(ctx.params.token);
				if (!target) throw new ClientError("This unsubscribe link is not valid", 404, ERR.INVALID_TOKEN);
				const user: any = await ctx.call("users.sessionUser", { userId: target.userId }).catch(() => null);
				if (!user) throw new ClientError("This unsubscribe link is not valid", 404, ERR.INVALID_TOKEN);
				await this.model.updateOne(
					{ userId: target.userId },
					{ $set: { [`channels.${target.category}.email`]: "off" }, $setOnInsert: { schoolId: user.schoolId ?? null } },
					{ upsert: true },
				);
				if (ctx.params.format === "html") {
					ctx.meta.$responseType = "text/html; charset=utf-8";
					return page("Désinscrit / Unsubscribed", `<p>C'est fait : plus d'e-mails « ${escapeHtml(target.category)} ». / Done: no more "${escapeHtml(target.category)}" emails.</p>`);
				}
				return { unsubscribed: true, category: target.category, email: "off" };
			},
		},
	},

	methods: {
		ownId(ctx: Ctx<any>): string {
			const me = currentUser(ctx);
			if (!mongoose.isValidObjectId(me.id)) throw forbidden("Only users have preferences");
			return me.id;
		},

		async view(this: any, ctx: Ctx<any>, doc: PrefsDoc | null) {
			const me = currentUser(ctx);
			let schoolTimezone: string | null = null;
			if (me.schoolId) {
				const school: any = await ctx.call("schools.resolve", { id: me.schoolId }).catch(() => null);
				schoolTimezone = school?.timezone ?? null;
			}
			return {
				categories: CATEGORIES,
				channels: effectiveChannels(doc?.channels),
				reminderOffsetsMinutes: doc?.reminderOffsets?.length ? doc.reminderOffsets : settings().reminderDefaultOffsets,
				timezone: doc?.timezone ?? null,
				effectiveTimezone: doc?.timezone ?? schoolTimezone ?? "UTC",
				digestHour: doc?.digestHour ?? 7,
			};
		},
	},
};

export default PreferencesService;
