/**
 * AI agents: a teacher's tutor for one subject (level, language, pedagogy, goals, instructions), the
 * paths it serves and its own sources. `forPath` picks the agent of a path: one that lists the path,
 * else the path owner's agent for the path's subject, else any agent of the school for that subject.
 */
import { AiAgent } from "../../models/ai-agent.model.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { invalid } from "../shared/errors.js";
import { callerSchoolId, currentUser, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { assertManages, managedFilter } from "./access.js";
import { AI_LIMITS, PEDAGOGY_MODES, type PedagogyMode } from "./ai-types.js";
import { assertManagedPaths } from "./paths-access.js";
import { assertAiModule } from "./plan-module.js";
import { aiAgentsPersonalData } from "./personal-data.js";

const TEXT = (max: number) => ({ type: "string", trim: true, min: 1, max }) as const;
const IDS = { type: "array", items: ID, max: AI_LIMITS.links, unique: true, optional: true } as const;
const EDITABLE = {
	name: TEXT(200),
	subject: TEXT(100),
	level: TEXT(100),
	language: { type: "string", trim: true, min: 2, max: 20, pattern: /^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/ },
	pedagogy: { type: "enum", values: [...PEDAGOGY_MODES] },
	disabledDuringEvaluations: { type: "boolean", optional: true },
	extraInstructions: { type: "string", trim: true, max: AI_LIMITS.instructions, optional: true },
	goals: { type: "array", max: 20, optional: true, items: TEXT(300) },
	pathIds: IDS,
	sourceIds: IDS,
	enabled: { type: "boolean", optional: true },
} as const;
const optional = <T extends Record<string, object>>(rules: T) =>
	Object.fromEntries(Object.entries(rules).map(([k, r]) => [k, { ...r, optional: true }])) as { [K in keyof T]: T[K] & { optional: true } };

interface AgentInput {
	name: string;
	subject: string;
	level: string;
	language: string;
	pedagogy: PedagogyMode;
	disabledDuringEvaluations?: boolean;
	extraInstructions?: string;
	goals?: string[];
	pathIds?: string[];
	sourceIds?: string[];
	enabled?: boolean;
}

export interface AgentDoc extends Required<AgentInput> {
	id: string;
	schoolId: string;
	ownerId: string;
}

const AgentsService: ServiceDef = {
	name: "aiAgents",
	settings: { rest: "/ai" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [aiAgentsPersonalData, 
		dbMixin(AiAgent, {
			fields: [
				"id", "schoolId", "ownerId", "name", "subject", "level", "language", "pedagogy", "disabledDuringEvaluations", "extraInstructions", "goals",
				"pathIds", "sourceIds", "enabled", "createdAt", "updatedAt",
			],
		}),
	],

	actions: {
		create: {
			rest: "POST /agents",
			params: { $$strict: "remove", ...EDITABLE },
			async handler(this: any, ctx: Ctx<AgentInput>) {
				const user = currentUser(ctx);
				await assertAiModule(ctx);
				await this.assertLinks(ctx, ctx.params);
				const created = await this.insertScoped(ctx, { ...ctx.params, ownerId: user.id });
				await this.announce(ctx, created, [], created.sourceIds);
				ctx.meta.$statusCode = 201;
				return created;
			},
		},

		list: {
			rest: "GET /agents",
			params: { $$strict: "remove", subject: { ...TEXT(100), optional: true }, pathId: { ...ID, optional: true }, ...PAGE_PARAMS },
			handler(this: any, ctx: Ctx<PageParams & { subject?: string; pathId?: string }>) {
				const filter: Record<string, unknown> = managedFilter(currentUser(ctx));
				if (ctx.params.subject) filter.subject = ctx.params.subject;
				if (ctx.params.pathId) filter.pathIds = ctx.params.pathId;
				return this.pageScoped(ctx, filter, ctx.params);
			},
		},

		get: {
			rest: "GET /agents/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const agent: AgentDoc = await this.getScoped(ctx, ctx.params.id);
				assertManages(currentUser(ctx), agent, "agent");
				return agent;
			},
		},

		update: {
			rest: "PATCH /agents/:id",
			params: { $$strict: "remove", id: ID, ...optional(EDITABLE) },
			async handler(this: any, ctx: Ctx<Partial<AgentInput> & { id: string }>) {
				const { id, ...patch } = ctx.params;
				const agent: AgentDoc = await this.getScoped(ctx, id);
				assertManages(currentUser(ctx), agent, "agent");
				await this.assertLinks(ctx, patch);
				if (Object.keys(patch).length === 0) return agent;
				const updated: AgentDoc = await this.updateScoped(ctx, id, { $set: patch });
				await this.announce(ctx, updated, agent.pathIds, [...new Set([...agent.sourceIds, ...updated.sourceIds])]);
				return updated;
			},
		},

		remove: {
			rest: "DELETE /agents/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const agent: AgentDoc = await this.getScoped(ctx, ctx.params.id);
				assertManages(currentUser(ctx), agent, "agent");
				const removed = await this.removeScoped(ctx, agent.id);
				await this.announce(ctx, agent, [], agent.sourceIds);
				return removed;
			},
		},

		/** The agent that tutors on a path (see the file comment), or null. */
		forPath: {
			params: { $$strict: "remove", pathId: ID, subject: TEXT(100), ownerId: ID },
			async handler(this: any, ctx: Ctx<{ pathId: string; subject: string; ownerId: string }>): Promise<AgentDoc | null> {
				const { pathId, subject, ownerId } = ctx.params;
				for (const filter of [{ pathIds: pathId }, { subject, ownerId }, { subject }]) {
					const [agent] = await this.findScoped(ctx, { ...filter, enabled: true }, { _id: 1 });
					if (agent) return agent;
				}
				return null;
			},
		},
	},

	methods: {
		/** Paths the caller manages and sources of the school they may use (422 naming the first that is not). */
		async assertLinks(this: any, ctx: Ctx<any>, input: Partial<AgentInput>): Promise<void> {
			if (input.pathIds?.length) await assertManagedPaths(ctx, input.pathIds);
			if (input.sourceIds?.length) {
				const { unknown } = (await ctx.call("aiSources.checkSelectable", { sourceIds: input.sourceIds })) as { unknown: number[] };
				if (unknown.length > 0) throw invalid(`sourceIds[${unknown[0]}]`, "is not a source you may use");
			}
		},

		/** Retrieval indexes of the agent's paths change with its sources: every node drops them. */
		async announce(this: any, ctx: Ctx<any>, agent: AgentDoc, previousPathIds: string[], sourceIds: string[]): Promise<void> {
			await publishDurable(this.broker, "ai.index.invalidated", {
				schoolId: callerSchoolId(ctx),
				pathIds: [...new Set([...previousPathIds, ...agent.pathIds])],
				agentIds: [agent.id],
				sourceIds,
			});
		},
	},
};

export default AgentsService;
