/**
 * Enforces the permission matrix of config/permissions on every action this node runs, whether the
 * call came from the gateway, another node or a job. Unlisted actions are refused (fail closed).
 */
import type { Middleware } from "moleculer";
import { principalsFor } from "../../config/permissions/index.js";
import { ERR, forbidden, unauthorized } from "./errors.js";
import type { Ctx } from "./identity.js";

/** Services that act for an outside client: a call from them is the client's, not a service's. */
export const EDGE_SERVICES = ["api", "realtime"];

export function checkPermission(action: string, ctx: Ctx<any>): void {
	const allowed = principalsFor(action);
	if (!allowed) throw forbidden(`No permission rule for ${action}`, ERR.FORBIDDEN_ROLE);
	if (allowed.includes("anonymous")) return;
	const caller = ctx.caller;
	if (allowed.includes("service") && caller && !EDGE_SERVICES.includes(caller)) return;
	const user = ctx.meta.user;
	if (!user) throw unauthorized();
	if (user.roles.some(role => allowed.includes(role))) return;
	throw forbidden(`Your role may not call ${action}`, ERR.FORBIDDEN_ROLE);
}

export const PermissionMiddleware: Middleware = {
	name: "Permissions",
	localAction(handler: (ctx: Ctx<any>) => unknown, action: { name: string; visibility?: string }) {
		// Broker internals ($node.*) and private actions (reachable only through this.actions) are not
		// part of the API surface.
		if (action.name.startsWith("$") || action.visibility === "private") return handler;
		return function permissionGuard(ctx: Ctx<any>) {
			checkPermission(action.name, ctx);
			return handler(ctx);
		};
	},
} as unknown as Middleware;
