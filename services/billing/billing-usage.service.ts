/**
 * Metered usage for billing: a module that meters something reports it here, once per report id, and the
 * monthly run sums each school's usage over the period. Only services and jobs report. AI tokens arrive on
 * the AI block's durable `ai.usage` feed (one message per exchange or generation), consumed below.
 */
import { METRICS, type Metric } from "../../config/plans.js";
import { UsageRecord } from "../../models/usage-record.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import { isDuplicateKey } from "../shared/errors.js";
import { systemMeta, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { billingUsagePersonalData } from "./personal-data.js";

const BillingUsageService: ServiceDef & { channels: Record<string, unknown> } = {
	name: "billingUsage",
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [billingUsagePersonalData, dbMixin(UsageRecord, { fields: ["id", "schoolId", "metric", "quantity", "occurredAt"], tenant: false })],

	actions: {
		/** Records usage; `id` is the reporter's own id for the fact (a retried report counts once). */
		record: {
			params: {
				$$strict: "remove",
				id: { type: "string", min: 1, max: 200 },
				schoolId: ID,
				metric: { type: "enum", values: [...METRICS] },
				quantity: { type: "number", integer: true, min: 0, max: 1_000_000_000 },
				occurredAt: { type: "date", convert: true, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ id: string; schoolId: string; metric: Metric; quantity: number; occurredAt?: Date }>) {
				const { id, schoolId, metric, quantity } = ctx.params;
				try {
					await this.model.create({ _id: id, schoolId, metric, quantity, occurredAt: ctx.params.occurredAt ?? new Date() });
					return { recorded: true };
				} catch (err) {
					if (!isDuplicateKey(err)) throw err;
					return { recorded: false, duplicate: true };
				}
			},
		},

		/** Each school's usage per metric over [start, end). */
		totals: {
			params: { $$strict: "remove", schoolIds: { type: "array", max: 1000, items: ID }, start: { type: "date", convert: true }, end: { type: "date", convert: true } },
			async handler(this: any, ctx: Ctx<{ schoolIds: string[]; start: Date; end: Date }>) {
				const { start, end } = ctx.params;
				const docs = await this.model
					.find({ occurredAt: { $gte: start, $lt: end }, schoolId: { $in: ctx.params.schoolIds } }, { schoolId: 1, metric: 1, quantity: 1 })
					.lean();
				const out: Record<string, Partial<Record<Metric, number>>> = {};
				for (const d of docs as any[]) {
					const school = (out[String(d.schoolId)] ??= {});
					school[d.metric as Metric] = (school[d.metric as Metric] ?? 0) + d.quantity;
				}
				return out;
			},
		},
	},

	channels: {
		"ai.usage": {
			group: "billing-usage",
			context: true,
			async handler(this: any, ctx: Ctx<{ id: string; schoolId: string; tokens: number; occurredAt?: string }>) {
				ctx.meta.user = systemMeta().user;
				const { id, schoolId, tokens, occurredAt } = ctx.params ?? ({} as any);
				if (typeof id !== "string" || typeof schoolId !== "string" || !Number.isInteger(tokens) || tokens < 0) {
					// Redelivering a malformed message would fail the same way: drop it loudly.
					this.logger.error("Dropping malformed ai.usage message", id);
					return;
				}
				if (tokens === 0) return;
				// Billed in the month the tokens were spent (the message's own time), not when it arrives.
				await ctx.call("billingUsage.record", { id, schoolId, metric: "ai_tokens", quantity: tokens, ...(occurredAt ? { occurredAt } : {}) });
			},
		},
	},
};

export default BillingUsageService;
