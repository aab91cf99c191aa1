/**
 * Web Push (RFC 8030 / 8291 / 8292) with the `web-push` package: browsers register their subscription
 * (PushSubscription.toJSON()), the delivery service pushes to users who are not connected. A subscription
 * the push service answers 404 or 410 for has expired and is removed. VAPID keys come from VAPID_PUBLIC_KEY /
 * VAPID_PRIVATE_KEY; outside production, without them, a key pair is generated per process (subscriptions
 * then last as long as the process). In production without keys, push is off.
 */
import webpush from "web-push";
import mongoose from "mongoose";
import { settings } from "../../config/env.js";
import { PushSubscription } from "../../models/push-subscription.model.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { ClientError, ERR, forbidden, invalid, notFound } from "../shared/errors.js";
import { currentUser, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { pushPersonalData } from "./personal-data.js";

const B64URL = { type: "string", min: 8, max: 200, pattern: /^[A-Za-z0-9_-]+={0,2}$/ } as const;
const FIELDS = ["id", "userId", "endpoint", "userAgent", "expirationTime", "lastSuccessAt", "createdAt"];
const SEND_CONCURRENCY = 8;

let generated: { publicKey: string; privateKey: string } | undefined;

export function vapidKeys(): { publicKey: string; privateKey: string } | null {
	const cfg = settings();
	if (cfg.vapidPublicKey && cfg.vapidPrivateKey) return { publicKey: cfg.vapidPublicKey, privateKey: cfg.vapidPrivateKey };
	if (cfg.nodeEnv === "production") return null;
	generated ??= webpush.generateVAPIDKeys();
	return generated;
}

/** A push endpoint we may POST to: https (push services all are), and in production no local or literal-IP host. */
export function endpointProblem(raw: string, production: boolean): string | null {
	let url: URL;
	try {
		url = new URL(raw);
	} catch {
		return "is not a URL";
	}
	if (url.protocol !== "https:") return "must be an https URL";
	if (url.username || url.password) return "must not carry credentials";
	if (production && (/^[\d.]+$/.test(url.hostname) || url.hostname.includes(":") || url.hostname === "localhost" || url.hostname.endsWith(".local"))) {
		return "must be a public push service";
	}
	return null;
}

export interface PushPayload {
	type: string;
	title: string;
	body?: string;
	url?: string;
	data?: Record<string, unknown>;
}

const PushService: ServiceDef = {
	name: "push",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [pushPersonalData, dbMixin(PushSubscription, { fields: FIELDS, tenant: false })],

	actions: {
		publicKey: {
			rest: "GET /push/public-key",
			handler() {
				const keys = vapidKeys();
				if (!keys) throw new ClientError("Web Push is not configured on this platform", 404, ERR.NOT_FOUND);
				return { publicKey: keys.publicKey };
			},
		},

		subscribe: {
			rest: "POST /push/subscriptions",
			params: {
				$$strict: "remove",
				endpoint: { type: "string", min: 10, max: 2000 },
				expirationTime: { type: "number", integer: true, min: 0, optional: true, nullable: true },
				keys: { type: "object", strict: "remove", props: { p256dh: B64URL, auth: { ...B64URL, min: 8, max: 64 } } },
				userAgent: { type: "string", max: 300, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ endpoint: string; expirationTime?: number | null; keys: { p256dh: string; auth: string }; userAgent?: string }>) {
				const me = currentUser(ctx);
				if (!mongoose.isValidObjectId(me.id)) throw forbidden("Only users subscribe to push");
				if (!vapidKeys()) throw new ClientError("Web Push is not configured on this platform", 404, ERR.NOT_FOUND);
				const problem = endpointProblem(ctx.params.endpoint, settings().nodeEnv === "production");
				if (problem) throw invalid("endpoint", problem);
				if (Buffer.from(ctx.params.keys.p256dh, "base64url").length !== 65) throw invalid("keys.p256dh", "must be an uncompressed P-256 public key (65 bytes)");
				if (Buffer.from(ctx.params.keys.auth, "base64url").length !== 16) throw invalid("keys.auth", "must be 16 bytes");
				const set = {
					userId: me.id,
					schoolId: me.schoolId ?? null,
					keys: ctx.params.keys,
					userAgent: ctx.params.userAgent ?? null,
					expirationTime: ctx.params.expirationTime ? new Date(ctx.params.expirationTime) : null,
					failures: 0,
				};
				// The endpoint is the browser: registering it again (or as another user) updates the one record.
				const doc = await this.model.findOneAndUpdate({ endpoint: ctx.params.endpoint }, { $set: set }, { new: true, upsert: true, runValidators: true });
				ctx.meta.$statusCode = 201;
				return this.toJSON(ctx, doc);
			},
		},

		list: {
			rest: "GET /push/subscriptions",
			params: { $$strict: "remove", ...PAGE_PARAMS },
			handler(this: any, ctx: Ctx<PageParams>) {
				return this.pageOf(ctx, { userId: currentUser(ctx).id }, ctx.params, { _id: -1 });
			},
		},

		unsubscribe: {
			rest: "DELETE /push/subscriptions/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const removed = await this.model.findOneAndDelete({ _id: ctx.params.id, userId: currentUser(ctx).id });
				if (!removed) throw notFound("PushSubscription", ctx.params.id);
				return { removed: true };
			},
		},

		/** To every subscription of these users: → counts; expired subscriptions (404/410) are removed. */
		send: {
			params: {
				$$strict: "remove",
				userIds: { type: "array", min: 1, max: 1000, items: ID },
				payload: {
					type: "object",
					strict: "remove",
					props: {
						type: { type: "string", min: 1, max: 100 },
						title: { type: "string", min: 1, max: 300 },
						body: { type: "string", max: 1000, optional: true },
						url: { type: "string", max: 2000, optional: true },
						data: { type: "object", optional: true },
					},
				},
				ttlSeconds: { type: "number", integer: true, min: 0, max: 2_419_200, optional: true },
				urgency: { type: "enum", values: ["very-low", "low", "normal", "high"], optional: true },
			},
			async handler(this: any, ctx: Ctx<{ userIds: string[]; payload: PushPayload; ttlSeconds?: number; urgency?: "very-low" | "low" | "normal" | "high" }>) {
				const keys = vapidKeys();
				if (!keys) return { sent: 0, removed: 0, failed: 0, disabled: true };
				const subs = await this.model.find({ userId: { $in: ctx.params.userIds } });
				const body = JSON.stringify(ctx.params.payload);
				const counts = { sent: 0, removed: 0, failed: 0 };
				for (let i = 0; i < subs.length; i += SEND_CONCURRENCY) {
					await Promise.all(subs.slice(i, i + SEND_CONCURRENCY).map((sub: any) => this.pushOne(sub, body, keys, ctx.params, counts)));
				}
				return counts;
			},
		},
	},

	methods: {
		async pushOne(this: any, sub: any, body: string, keys: { publicKey: string; privateKey: string }, opts: { ttlSeconds?: number; urgency?: any }, counts: Record<string, number>) {
			try {
				await webpush.sendNotification({ endpoint: sub.endpoint, keys: { p256dh: sub.keys.p256dh, auth: sub.keys.auth } }, body, {
					vapidDetails: { subject: settings().vapidSubject, publicKey: keys.publicKey, privateKey: keys.privateKey },
					TTL: opts.ttlSeconds ?? 3600,
					urgency: opts.urgency ?? "normal",
					contentEncoding: "aes128gcm",
					timeout: 10_000,
				});
				counts.sent++;
				await this.model.updateOne({ _id: sub._id }, { $set: { lastSuccessAt: new Date(), failures: 0 } });
			} catch (err: any) {
				const status = err?.statusCode;
				if (status === 404 || status === 410) {
					// The browser unsubscribed or the subscription expired: it will never work again.
					await this.model.deleteOne({ _id: sub._id, endpoint: sub.endpoint });
					counts.removed++;
					return;
				}
				counts.failed++;
				await this.model.updateOne({ _id: sub._id }, { $inc: { failures: 1 } });
				this.logger.warn("Web Push failed", status ?? err?.message);
			}
		},
	},
};

export default PushService;
