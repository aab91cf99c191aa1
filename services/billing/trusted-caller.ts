/**
 * Whether the caller is one of our services or the system principal rather than a client through
 * the gateway: only they may name another school explicitly (e.g. `schoolId` of subscriptions.check).
 */
import { isSystem, type Ctx } from "../shared/identity.js";
import { EDGE_SERVICES } from "../shared/permission.middleware.js";

export function isTrustedCaller(ctx: Ctx<any>): boolean {
	if (isSystem(ctx.meta.user)) return true;
	return typeof ctx.caller === "string" && ctx.caller !== "" && !EDGE_SERVICES.includes(ctx.caller);
}
