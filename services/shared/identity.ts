/**
 * Who is calling. `ctx.meta.user` is set only by the gateway and the realtime service from a verified
 * JWT, or to SYSTEM by jobs and durable consumers. Services read it through these helpers.
 */
import type { Context } from "moleculer";
import type { Role } from "../../config/roles.js";
import { SYSTEM_ROLE } from "../../config/roles.js";
import { forbidden, unauthorized } from "./errors.js";

export interface AuthUser {
	id: string;
	/** null for platform staff (platform_admin, support) and the system principal. */
	schoolId: string | null;
	roles: (Role | typeof SYSTEM_ROLE)[];
	/** The account's session version the access token was signed at (live-identity.ts); absent for the system principal. */
	sv?: number;
}

export interface Meta {
	user?: AuthUser | null;
	/** Client address as seen by the gateway (socket, or trusted proxy header). */
	clientIp?: string;
	[key: string]: unknown;
}

export type Ctx<P = unknown> = Context<P, Meta>;

export const SYSTEM: Readonly<AuthUser> = Object.freeze({ id: "system", schoolId: null, roles: [SYSTEM_ROLE] });

/** Meta for calls made by jobs, cron runs and durable consumers. */
export function systemMeta(extra: Record<string, unknown> = {}): Meta {
	return { ...extra, user: { ...SYSTEM, roles: [...SYSTEM.roles] } };
}

export function currentUser(ctx: Ctx<any>): AuthUser {
	const user = ctx.meta.user;
	if (!user) throw unauthorized();
	return user;
}

export function hasRole(user: AuthUser | null | undefined, ...roles: string[]): boolean {
	return !!user && user.roles.some(r => roles.includes(r));
}

export function isSystem(user: AuthUser | null | undefined): boolean {
	return hasRole(user, SYSTEM_ROLE);
}

/** The caller's school: the tenant every query of a school-scoped service is confined to. */
export function callerSchoolId(ctx: Ctx<any>): string {
	const user = currentUser(ctx);
	if (!user.schoolId) throw forbidden("This action belongs to a school account", "FORBIDDEN");
	return user.schoolId;
}
