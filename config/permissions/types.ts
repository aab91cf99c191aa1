import type { Role } from "../roles.js";

/**
 * Who may call an action:
 * - a role: a user holding it (from the verified JWT in ctx.meta.user);
 * - "anonymous": anyone, logged in or not (login, signup, password reset);
 * - "system": the system principal that jobs, cron runs and durable consumers act as;
 * - "service": another service of ours calling on behalf of whoever called it (not the gateway).
 */
export type Principal = Role | "anonymous" | "system" | "service";
export type PermissionTable = Readonly<Record<string, readonly Principal[]>>;

export const ANYONE: readonly Principal[] = ["anonymous"];
export const SCHOOL_MEMBERS: readonly Principal[] = ["school_admin", "teacher", "student"];
export const ANY_USER: readonly Principal[] = ["platform_admin", "school_admin", "teacher", "student", "support"];
export const INTERNAL: readonly Principal[] = ["service", "system"];
