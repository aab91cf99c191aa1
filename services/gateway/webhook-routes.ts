/**
 * Routes that must see the request body exactly as it was sent: a webhook's signature covers those
 * bytes, and the JSON parser of /api would rebuild them differently. Each keeps the raw body (as text)
 * for one action; nothing else is reachable through these routes.
 */
import type { IncomingMessage } from "node:http";
import type { Ctx } from "../shared/identity.js";
import { clientIp } from "./request-guard.js";

type Req = IncomingMessage & { body?: unknown; $params?: Record<string, unknown> };

export function stripeWebhookRoute(maxBodyBytes: number, trustedProxies: readonly string[]) {
	return {
		path: "/api/billing/webhooks",
		authentication: false,
		mappingPolicy: "restrict",
		// Whatever the content type, the body stays bytes: the signature is checked on them.
		bodyParsers: { json: false, urlencoded: false, raw: { type: () => true, limit: maxBodyBytes } },
		onBeforeCall(this: unknown, ctx: Ctx<unknown>, _route: unknown, req: Req) {
			for (const key of Object.keys(ctx.meta)) delete ctx.meta[key];
			ctx.meta.clientIp = clientIp(req, trustedProxies);
			const header = req.headers["stripe-signature"];
			req.$params = {
				payload: Buffer.isBuffer(req.body) ? req.body.toString("utf8") : "",
				signature: typeof header === "string" ? header : "",
			};
		},
		aliases: { "POST stripe": "stripeWebhooks.receive" },
	};
}
