/**
 * Teacher tools: flashcards and questions generated from selected sources, and learning-path drafts from
 * objectives, a level and sources (scenario 1, "préparation du contexte IA").
 *
 * Generated items are content drafts (content.createGenerated: origin ai_generated, status draft), each
 * recorded here with the chunks it came from; the teacher edits them through the content routes,
 * validates them (POST /api/content-items/:id/status) or rejects them here. Only validated items can enter
 * an active path (the paths service refuses drafts). A path draft is a body for
 * POST /api/learning-paths/create (with `sourceIds`, so creating it selects and ingests the sources).
 */
import { GeneratedContent } from "../../models/generated-content.model.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { ClientError, ERR, forbidden, invalid, notFound } from "../shared/errors.js";
import { currentUser, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import { publishDurable } from "../shared/durable.js";
import { EXPORT_PARAMS, exportPage, on, type ExportParams } from "../shared/feed-export.js";
import { generationRecordedMessage } from "./ai-feed.js";
import type { ServiceDef } from "../shared/service.js";
import { managedFilter } from "./access.js";
import { AI_LIMITS } from "./ai-types.js";
import { clozeItems, GENERATED_ITEM_KINDS, itemsPrompt, pathPrompt, readItems, readPlan, type DraftItem, type GeneratedItemKind } from "./generation/drafts.js";
import { assertAiModule } from "./plan-module.js";
import { llm } from "./runtime.js";
import type { RetrievedChunk } from "./sources.service.js";
import { complete } from "./tutor/llm-call.js";
import type { PromptPassage } from "./tutor/prompt.js";
import { aiGenerationPersonalData } from "./personal-data.js";

const TEXT = (max: number) => ({ type: "string", trim: true, min: 1, max }) as const;
const SOURCE_IDS = (min: number) => ({ type: "array", items: ID, min, max: 20, unique: true }) as const;

type Passage = PromptPassage & { chunkId: string; sourceId: string };

interface ItemsParams {
	sourceIds: string[];
	subject: string;
	kinds?: GeneratedItemKind[];
	count?: number;
	topic?: string;
	level?: string;
}

interface PathParams {
	subject: string;
	level: string;
	objectives: string[];
	sourceIds?: string[];
	name?: string;
	stepCount?: number;
	itemsPerStep?: number;
}

const GenerationService: ServiceDef = {
	name: "aiGeneration",
	settings: { rest: "/ai" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [aiGenerationPersonalData, 
		dbMixin(GeneratedContent, {
			fields: ["id", "schoolId", "ownerId", "kind", "sourceIds", "subject", "mode", "model", "items", "pathDraft", "promptTokens", "completionTokens", "createdAt"],
		}),
	],

	/** moleculer-db calls this after insertScoped: each stored record reaches the reporting feed (a lost one is logged, not thrown: the answer is stored and given). */
	async entityCreated(this: any, json: any) {
		try {
			await publishDurable(this.broker, "ai.generation.recorded", generationRecordedMessage(json));
		} catch (err) {
			this.logger.error("ai.generation.recorded not published", json.id, err);
		}
	},

	actions: {
		/** The school's generations as `ai.generation.recorded` messages (reporting rebuilds from them). */
		export: {
			params: EXPORT_PARAMS,
			handler(this: any, ctx: Ctx<ExportParams>) {
				return exportPage(this.model, ctx.params, {}, (doc: any) => on("ai.generation.recorded", [generationRecordedMessage(doc)]));
			},
		},

		items: {
			rest: "POST /generate/items",
			params: {
				$$strict: "remove",
				sourceIds: SOURCE_IDS(1),
				subject: TEXT(100),
				kinds: { type: "array", min: 1, max: 5, unique: true, items: { type: "enum", values: [...GENERATED_ITEM_KINDS] }, optional: true },
				count: { type: "number", integer: true, min: 1, max: 20, optional: true },
				topic: { ...TEXT(500), optional: true },
				level: { ...TEXT(100), optional: true },
			},
			// A JSON answer waits for the model (a stream returns at once); moleculer's types do not list `timeout`.
			...{ timeout: 180_000 },
			async handler(this: any, ctx: Ctx<ItemsParams>) {
				await this.assertReady(ctx, ctx.params.sourceIds);
				const passages = await this.passagesFor(ctx, ctx.params.sourceIds, ctx.params.topic, 8);
				const result = await this.generateItems(ctx, { ...ctx.params, passages, count: ctx.params.count ?? 5, kinds: ctx.params.kinds ?? ["flashcard", "single_choice"] });
				const record = await this.insertScoped(ctx, {
					ownerId: currentUser(ctx).id,
					kind: "items",
					sourceIds: ctx.params.sourceIds,
					subject: ctx.params.subject,
					mode: result.mode,
					model: result.model,
					items: result.created,
					promptTokens: result.promptTokens,
					completionTokens: result.completionTokens,
				});
				ctx.meta.$statusCode = 201;
				return { ...record, contentItems: result.contentItems, rejected: result.rejected };
			},
		},

		path: {
			rest: "POST /generate/path",
			params: {
				$$strict: "remove",
				subject: TEXT(100),
				level: TEXT(100),
				objectives: { type: "array", min: 1, max: 20, items: TEXT(500) },
				sourceIds: { ...SOURCE_IDS(0), optional: true },
				name: { ...TEXT(200), optional: true },
				stepCount: { type: "number", integer: true, min: 1, max: 10, optional: true },
				itemsPerStep: { type: "number", integer: true, min: 0, max: 10, optional: true },
			},
			// A JSON answer waits for the model (a stream returns at once); moleculer's types do not list `timeout`.
			...{ timeout: 180_000 },
			async handler(this: any, ctx: Ctx<PathParams>) {
				const p = ctx.params;
				const sourceIds = p.sourceIds ?? [];
				if (sourceIds.length > 0) await this.assertReady(ctx, sourceIds);
				await this.assertModuleAndQuota(ctx);
				const client = llm();
				const outline = sourceIds.length > 0 ? await this.outline(ctx, sourceIds) : [];
				let plan: { name?: string; steps: { title: string; objectives: string[] }[] } | null = null;
				let promptTokens = 0;
				let completionTokens = 0;
				let model: string | null = null;
				if (client) {
					try {
						const reply = await complete(client, pathPrompt({ subject: p.subject, level: p.level, objectives: p.objectives, stepCount: p.stepCount ?? Math.min(p.objectives.length, 10), outline }), { json: true });
						promptTokens += reply.promptTokens;
						completionTokens += reply.completionTokens;
						model = reply.model;
						plan = readPlan(reply.text);
					} catch (err) {
						this.logger.warn("LLM path planning failed, planning from the objectives", (err as Error)?.message);
					}
				}
				// Without a model (or a usable plan): a step per objective, in the teacher's order.
				const steps = (plan?.steps ?? p.objectives.map(o => ({ title: o.slice(0, 200), objectives: [o] }))).slice(0, p.stepCount ?? 10);
				const itemsPerStep = p.itemsPerStep ?? (sourceIds.length > 0 ? 3 : 0);
				const notes = [];
				const created: any[] = [];
				const draftSteps = [];
				for (const step of steps) {
					const passages: Passage[] = sourceIds.length > 0 ? await this.passagesFor(ctx, sourceIds, [step.title, ...step.objectives].join(" "), 4) : [];
					let itemIds: string[] = [];
					if (itemsPerStep > 0 && passages.length > 0) {
						const result = await this.generateItems(ctx, { subject: p.subject, level: p.level, passages, count: itemsPerStep, kinds: ["flashcard", "single_choice"] });
						promptTokens += result.promptTokens;
						completionTokens += result.completionTokens;
						created.push(...result.created);
						itemIds = result.created.map((c: any) => c.itemId);
					}
					draftSteps.push({ title: step.title, itemIds, completion: { type: "all_reviewed" } });
					notes.push({ title: step.title, objectives: step.objectives, chunkIds: passages.map(x => x.chunkId) });
				}
				const pathDraft = {
					name: (p.name ?? plan?.name ?? `${p.subject}: ${p.objectives[0]}`).slice(0, 200),
					subject: p.subject,
					objectives: p.objectives,
					sourceIds,
					steps: draftSteps,
					activate: false,
				};
				const record = await this.insertScoped(ctx, {
					ownerId: currentUser(ctx).id,
					kind: "path_draft",
					sourceIds,
					subject: p.subject,
					mode: client && model ? "llm" : "extractive",
					model,
					items: created,
					pathDraft: { ...pathDraft, notes },
					promptTokens,
					completionTokens,
				});
				ctx.meta.$statusCode = 201;
				return { id: record.id, mode: record.mode, draft: pathDraft, notes, items: created, createWith: "POST /api/learning-paths/create" };
			},
		},

		list: {
			rest: "GET /generated",
			params: { $$strict: "remove", kind: { type: "enum", values: ["items", "path_draft"], optional: true }, ...PAGE_PARAMS },
			handler(this: any, ctx: Ctx<PageParams & { kind?: string }>) {
				const filter: Record<string, unknown> = managedFilter(currentUser(ctx));
				if (ctx.params.kind) filter.kind = ctx.params.kind;
				return this.pageScoped(ctx, filter, ctx.params);
			},
		},

		get: {
			rest: "GET /generated/:id",
			params: { $$strict: "remove", id: ID },
			handler(this: any, ctx: Ctx<{ id: string }>) {
				return this.owned(ctx, ctx.params.id);
			},
		},

		/** The teacher rejects a generated draft: the content item is deleted, its provenance kept as rejected. */
		reject: {
			rest: "POST /generated/:id/items/:itemId/reject",
			params: { $$strict: "remove", id: ID, itemId: ID },
			async handler(this: any, ctx: Ctx<{ id: string; itemId: string }>) {
				const record = await this.owned(ctx, ctx.params.id);
				const entry = record.items.find((i: any) => i.itemId === ctx.params.itemId);
				if (!entry) throw notFound("Generated item", ctx.params.itemId);
				if (entry.status !== "rejected") {
					try {
						await ctx.call("content.remove", { id: ctx.params.itemId });
					} catch (err: any) {
						// Validated meanwhile (409) stays the teacher's; gone already (404) is what rejecting wants.
						if (err?.code !== 404) throw err;
					}
				}
				return this.markRejected(ctx, record, ctx.params.itemId);
			},
		},
	},

	methods: {
		async owned(this: any, ctx: Ctx<any>, id: string) {
			const record = await this.getScoped(ctx, id);
			const user = currentUser(ctx);
			if (!user.roles.includes("school_admin") && record.ownerId !== user.id) throw forbidden("This generated content belongs to another teacher");
			return record;
		},

		/** Marks one entry rejected (the record is the teacher's own: rewriting its items is safe). */
		async markRejected(this: any, ctx: Ctx<any>, record: any, itemId: string) {
			const items = record.items.map((i: any) => (i.itemId === itemId ? { ...i, status: "rejected" } : i));
			return this.updateScoped(ctx, record.id, { $set: { items } });
		},

		/** The sources must be ones the caller may use, and ingested. */
		async assertReady(this: any, ctx: Ctx<any>, sourceIds: string[]): Promise<void> {
			const { unknown } = (await ctx.call("aiSources.checkSelectable", { sourceIds })) as { unknown: number[] };
			if (unknown.length > 0) throw invalid(`sourceIds[${unknown[0]}]`, "is not a source you may use");
			const chunks = (await ctx.call("aiSources.chunksOf", { sourceIds, limit: 1 })) as unknown[];
			if (chunks.length === 0) throw new ClientError("None of these sources is ingested yet: wait until one is ready", 409, ERR.SOURCE_NOT_READY);
		},

		async assertModuleAndQuota(this: any, ctx: Ctx<any>): Promise<void> {
			await assertAiModule(ctx);
			await ctx.call("aiTutor.checkQuota", {});
		},

		/** Passages to generate from: the best for a topic, or spread over the sources. */
		async passagesFor(this: any, ctx: Ctx<any>, sourceIds: string[], topic: string | undefined, max: number): Promise<Passage[]> {
			let chunks: (Pick<RetrievedChunk, "chunkId" | "sourceId" | "sourceTitle" | "headingPath" | "text">)[];
			if (topic) {
				chunks = (await ctx.call("aiSources.retrieve", { sourceIds, query: topic, k: max })) as RetrievedChunk[];
			} else {
				const all = (await ctx.call("aiSources.chunksOf", { sourceIds, limit: 500 })) as RetrievedChunk[];
				const stride = Math.max(1, Math.floor(all.length / max));
				chunks = all.filter((_, i) => i % stride === 0).slice(0, max);
			}
			return chunks.map((c, i) => ({ label: `S${i + 1}`, chunkId: c.chunkId, sourceId: c.sourceId, sourceTitle: c.sourceTitle, headingPath: c.headingPath, text: c.text }));
		},

		/** The source outline (distinct heading paths), for planning a path. */
		async outline(this: any, ctx: Ctx<any>, sourceIds: string[]): Promise<string[]> {
			const chunks = (await ctx.call("aiSources.chunksOf", { sourceIds, limit: 500 })) as RetrievedChunk[];
			return [...new Set(chunks.map(c => c.headingPath.join(" › ")).filter(Boolean))].slice(0, 40);
		},

		/** Drafts from passages (model or cloze), each stored through the content service; invalid ones reported. */
		async generateItems(this: any, ctx: Ctx<any>, opts: { subject: string; level?: string; passages: Passage[]; count: number; kinds: GeneratedItemKind[] }) {
			await this.assertModuleAndQuota(ctx);
			const client = llm();
			let drafts: DraftItem[] = [];
			let mode: "llm" | "extractive" = "extractive";
			let model: string | null = null;
			let promptTokens = 0;
			let completionTokens = 0;
			if (client && opts.passages.length > 0) {
				try {
					const reply = await complete(client, itemsPrompt({ passages: opts.passages, kinds: opts.kinds, count: opts.count, subject: opts.subject, level: opts.level }), { json: true });
					drafts = readItems(reply.text).slice(0, opts.count);
					mode = "llm";
					model = reply.model;
					promptTokens = reply.promptTokens;
					completionTokens = reply.completionTokens;
					await ctx.call("aiTutor.countUsage", { id: `generation:${ctx.id}:${Date.now()}`, kind: "generation", promptTokens, completionTokens, model });
				} catch (err) {
					this.logger.warn("LLM generation failed, making cloze drafts", (err as Error)?.message);
				}
			}
			if (mode === "extractive") drafts = clozeItems(opts.passages, opts.kinds, opts.count, opts.subject);
			const byLabel = new Map(opts.passages.map(p => [p.label, p]));
			const created: any[] = [];
			const contentItems: any[] = [];
			const rejected: { index: number; reason: string; problems?: unknown }[] = [];
			for (const [index, draft] of drafts.entries()) {
				const from = byLabel.get(draft.from);
				if (!from) {
					rejected.push({ index, reason: `cites no passage given (${draft.from || "none"})` });
					continue;
				}
				const kind = String(draft.body.kind ?? "");
				if (!(opts.kinds as string[]).includes(kind)) {
					rejected.push({ index, reason: `kind ${kind || "missing"} was not asked for` });
					continue;
				}
				const { subject: _s, status: _st, origin: _o, ...body } = draft.body;
				try {
					const item = (await ctx.call("content.createGenerated", { ...body, subject: opts.subject, tags: ["ai-generated"] })) as { id: string; kind: string };
					contentItems.push(item);
					created.push({ itemId: item.id, kind: item.kind, chunkIds: [from.chunkId], sourceIds: [from.sourceId], status: "draft" });
				} catch (err: any) {
					if (err?.code !== 422) throw err;
					rejected.push({ index, reason: err.message, problems: err.data });
				}
			}
			return { mode, model, created, contentItems, rejected, promptTokens, completionTokens };
		},
	},
};

export default GenerationService;
