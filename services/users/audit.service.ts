/**
 * The security audit log. Services record facts through `audit.record` (logins, failed logins, role
 * changes, invitations, suspensions, plan changes); school admins read their school's, platform
 * admins any school's or the platform-level ones.
 */
import { AuditEntry } from "../../models/audit-entry.model.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { hasRole, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { boundedData } from "./audit-data.js";
import { ID } from "../shared/params.js";
import { auditPersonalData } from "./personal-data.js";

interface ListParams extends PageParams {
	action?: string;
	actorId?: string;
	schoolId?: string;
}

interface RecordParams {
	schoolId: string | null;
	actorId: string | null;
	action: string;
	targetType?: string;
	targetId?: string;
	ip?: string;
	data?: Record<string, unknown>;
}

const AuditService: ServiceDef = {
	name: "audit",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [auditPersonalData, 
		dbMixin(AuditEntry, { fields: ["id", "schoolId", "actorId", "action", "targetType", "targetId", "ip", "data", "createdAt"] }),
	],

	actions: {
		list: {
			rest: "GET /audit",
			params: {
				$$strict: "remove",
				action: { type: "string", max: 100, optional: true },
				actorId: { type: "string", max: 64, optional: true },
				schoolId: { ...ID, optional: true },
				...PAGE_PARAMS,
			},
			handler(this: any, ctx: Ctx<ListParams>) {
				const { action, actorId, schoolId, page, pageSize } = ctx.params;
				const filter: Record<string, unknown> = {};
				if (action) filter.action = action;
				if (actorId) filter.actorId = actorId;
				const sort = { createdAt: -1, _id: -1 } as const;
				// Platform admins belong to no school: without schoolId they read the platform-level entries.
				if (hasRole(ctx.meta.user, "platform_admin") && !ctx.meta.user?.schoolId) {
					return this.pageOf(ctx, { ...filter, schoolId: schoolId ?? null }, { page, pageSize }, sort);
				}
				return this.pageScoped(ctx, filter, { page, pageSize }, sort);
			},
		},

		record: {
			params: {
				$$strict: "remove",
				schoolId: { ...ID, nullable: true, optional: true },
				actorId: { type: "string", max: 64, nullable: true, optional: true },
				action: { type: "string", min: 1, max: 100 },
				targetType: { type: "string", max: 50, optional: true },
				targetId: { type: "string", max: 64, optional: true },
				ip: { type: "string", max: 64, optional: true },
				data: { type: "object", optional: true },
			},
			async handler(this: any, ctx: Ctx<RecordParams>) {
				// The caller names the school explicitly: facts are recorded for anonymous callers
				// (failed logins) and across schools (a platform admin suspending one).
				const created = await this.model.create({
					...ctx.params,
					schoolId: ctx.params.schoolId ?? null,
					actorId: ctx.params.actorId ?? null,
					data: boundedData(ctx.params.data),
				});
				return this.toJSON(ctx, created);
			},
		},
	},
};

export default AuditService;
