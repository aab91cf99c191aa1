/**
 * How a service writes to the audit log: the actor and the client address come from the caller's
 * context, so a service only says what happened. A lost audit line must not undo the business write
 * it describes (that already happened), so a failure is logged loudly instead of thrown.
 */
import type { ServiceBroker } from "moleculer";
import type { Ctx } from "./identity.js";

export interface AuditFact {
	/** The school the fact belongs to; null for platform-level facts. Defaults to the caller's school. */
	schoolId?: string | null;
	/** Defaults to the caller (or null for an anonymous one). */
	actorId?: string | null;
	action: string;
	targetType?: string;
	targetId?: string;
	data?: Record<string, unknown>;
}

export async function recordAudit(ctx: Ctx<any>, fact: AuditFact): Promise<void> {
	const user = ctx.meta.user ?? null;
	const entry = {
		schoolId: fact.schoolId !== undefined ? fact.schoolId : (user?.schoolId ?? null),
		actorId: fact.actorId !== undefined ? fact.actorId : (user?.id ?? null),
		action: fact.action,
		...(fact.targetType ? { targetType: fact.targetType } : {}),
		...(fact.targetId ? { targetId: fact.targetId } : {}),
		...(ctx.meta.clientIp ? { ip: ctx.meta.clientIp } : {}),
		...(fact.data ? { data: fact.data } : {}),
	};
	try {
		await ctx.call("audit.record", entry);
	} catch (err) {
		(ctx.broker as ServiceBroker).logger.error("Audit entry lost", entry, err);
	}
}
