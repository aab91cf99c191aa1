/**
 * Sources (the teacher's documents), their ingestion into chunks, and retrieval over them.
 *
 * Ingestion is a durable job (`ai.source.ingest` on @moleculer/channels): parse with maintained
 * libraries (ingestion/parse.ts), chunk by headings and sentences with overlap in the embedding model's
 * tokens (ingestion/chunker.ts), embed locally in batches, store the chunks. Progress is on the source
 * (REST) and pushed live to the owner's `user` room (`ai.source.progressed`). A job is keyed by
 * (source, version): a redelivered or superseded job does nothing, a new content is a new version, and
 * the previous version keeps answering until the new one is ready. Same content (checksum) = no new version.
 *
 * Retrieval (`retrieve`) is confined to the caller's school and to the sources selected for the path
 * (Source.pathIds) plus those the caller names (an agent's own sources): see retrieval/. Each node keeps
 * its own indexes (retrieval/index-cache.ts), dropped on the durable `ai.index.invalidated` event.
 */
import { createHash } from "node:crypto";
import mongoose from "mongoose";
import { settings } from "../../config/env.js";
import { Chunk } from "../../models/chunk.model.js";
import { Source } from "../../models/source.model.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { publishDurable, type DurableMessage } from "../shared/durable.js";
import { ClientError, ERR, invalid } from "../shared/errors.js";
import { callerSchoolId, currentUser, SYSTEM, type Ctx, type Meta } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { assertManages, isAdmin, managedFilter } from "./access.js";
import { AI_LIMITS, SOURCE_FORMATS, SOURCE_STATUSES, type SourceFormat } from "./ai-types.js";
import { chunkSections } from "./ingestion/chunker.js";
import { parseSource, SourceParseError } from "./ingestion/parse.js";
import { assertManagedPaths } from "./paths-access.js";
import { HybridIndex, type IndexedChunk } from "./retrieval/hybrid-index.js";
import { IndexCache } from "./retrieval/index-cache.js";
import { assertAiModule } from "./plan-module.js";
import { embedder } from "./runtime.js";
import { aiSourcesPersonalData } from "./personal-data.js";

const IDS = (max: number) => ({ type: "array", items: ID, max, unique: true }) as const;
const TITLE = { type: "string", trim: true, min: 1, max: AI_LIMITS.title } as const;
const CONTENT = {
	format: { type: "enum", values: [...SOURCE_FORMATS] },
	text: { type: "string", min: 1, max: AI_LIMITS.sourceChars, optional: true },
	base64: { type: "string", min: 8, max: AI_LIMITS.pdfBase64Chars, pattern: /^[A-Za-z0-9+/\r\n]+={0,2}\s*$/, optional: true },
} as const;
/** Chunks embedded and stored per step of a job (and per progress report). */
const EMBED_BATCH = 32;

const SOURCE_FIELDS = [
	"id", "schoolId", "ownerId", "title", "format", "bytes", "version", "checksum", "status", "failureReason", "progress", "readyVersion",
	"chunkCount", "embeddingModel", "pathIds", "ingestedAt", "createdAt", "updatedAt",
];

interface ContentInput {
	format: SourceFormat;
	text?: string;
	base64?: string;
}

interface IngestMessage extends DurableMessage {
	sourceId: string;
	version: number;
}

export interface RetrievedChunk {
	chunkId: string;
	sourceId: string;
	sourceTitle: string;
	headingPath: string[];
	position: number;
	text: string;
	score: number;
	cosine: number;
	bm25: number;
	relevant: boolean;
}

/** The stored form of a content, its size and checksum; 422 when the content does not fit the format. */
export function storedContent(input: ContentInput): { text: string | null; data: Buffer | null; bytes: number; checksum: string } {
	if (input.format === "pdf") {
		if (!input.base64) throw invalid("base64", "a PDF is sent base64-encoded in `base64`");
		if (input.text !== undefined) throw invalid("text", "a PDF is sent in `base64`, not `text`");
		const data = Buffer.from(input.base64, "base64");
		if (data.subarray(0, 5).toString("latin1") !== "%PDF-") throw invalid("base64", "is not a PDF file");
		return { text: null, data, bytes: data.length, checksum: createHash("sha256").update("pdf\0").update(data).digest("hex") };
	}
	if (input.base64 !== undefined) throw invalid("base64", `a ${input.format} source is sent in \`text\``);
	if (!input.text || input.text.trim() === "") throw invalid("text", "is required and must not be blank");
	const bytes = Buffer.byteLength(input.text);
	return { text: input.text, data: null, bytes, checksum: createHash("sha256").update(`${input.format}\0`).update(input.text).digest("hex") };
}

const schoolMeta = (schoolId: string): Meta => ({ user: { ...SYSTEM, roles: [...SYSTEM.roles], schoolId } });

const SourcesService: ServiceDef & { channels: Record<string, unknown>; merged(schema: any): void } = {
	name: "aiSources",
	settings: { rest: "/ai" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [aiSourcesPersonalData, dbMixin(Source, { fields: SOURCE_FIELDS })],

	actions: {
		create: {
			rest: "POST /sources",
			params: { $$strict: "remove", title: TITLE, ...CONTENT, pathIds: { ...IDS(AI_LIMITS.links), optional: true } },
			async handler(this: any, ctx: Ctx<ContentInput & { title: string; pathIds?: string[] }>) {
				const user = currentUser(ctx);
				const content = storedContent(ctx.params);
				await assertAiModule(ctx);
				if (ctx.params.pathIds?.length) await assertManagedPaths(ctx, ctx.params.pathIds);
				const created = await this.insertScoped(ctx, {
					ownerId: user.id,
					title: ctx.params.title,
					format: ctx.params.format,
					...content,
					version: 1,
					status: "ingesting",
					pathIds: ctx.params.pathIds ?? [],
				});
				await this.enqueue(ctx, created.id, 1);
				ctx.meta.$statusCode = 202;
				return created;
			},
		},

		list: {
			rest: "GET /sources",
			params: {
				$$strict: "remove",
				pathId: { ...ID, optional: true },
				status: { type: "enum", values: [...SOURCE_STATUSES], optional: true },
				...PAGE_PARAMS,
			},
			handler(this: any, ctx: Ctx<PageParams & { pathId?: string; status?: string }>) {
				const filter: Record<string, unknown> = managedFilter(currentUser(ctx));
				if (ctx.params.pathId) filter.pathIds = ctx.params.pathId;
				if (ctx.params.status) filter.status = ctx.params.status;
				return this.pageScoped(ctx, filter, ctx.params);
			},
		},

		get: {
			rest: "GET /sources/:id",
			params: { $$strict: "remove", id: ID },
			handler(this: any, ctx: Ctx<{ id: string }>) {
				return this.managed(ctx, ctx.params.id);
			},
		},

		/** Title and path selection; the selection replaces the previous one. */
		update: {
			rest: "PATCH /sources/:id",
			params: { $$strict: "remove", id: ID, title: { ...TITLE, optional: true }, pathIds: { ...IDS(AI_LIMITS.links), optional: true } },
			async handler(this: any, ctx: Ctx<{ id: string; title?: string; pathIds?: string[] }>) {
				const source = await this.managed(ctx, ctx.params.id);
				const set: Record<string, unknown> = {};
				if (ctx.params.title !== undefined) set.title = ctx.params.title;
				if (ctx.params.pathIds !== undefined) {
					const added = ctx.params.pathIds.filter(id => !source.pathIds.includes(id));
					await assertManagedPaths(ctx, added);
					set.pathIds = ctx.params.pathIds;
				}
				if (Object.keys(set).length === 0) return source;
				const updated = await this.updateScoped(ctx, source.id, { $set: set });
				await this.invalidate(ctx, { pathIds: [...new Set([...source.pathIds, ...updated.pathIds])], sourceIds: [source.id] });
				return updated;
			},
		},

		/** New content: a new version, ingested anew; the same content (checksum) changes nothing. */
		replaceContent: {
			rest: "PUT /sources/:id/content",
			params: { $$strict: "remove", id: ID, ...CONTENT },
			async handler(this: any, ctx: Ctx<ContentInput & { id: string }>) {
				const source = await this.managed(ctx, ctx.params.id);
				const content = storedContent(ctx.params);
				await assertAiModule(ctx);
				if (content.checksum === source.checksum && ctx.params.format === source.format) return { ...source, unchanged: true };
				const version = source.version + 1;
				const updated = await this.updateScoped(
					ctx,
					source.id,
					{ $set: { ...content, format: ctx.params.format, version, status: "ingesting", failureReason: null, progress: { chunksDone: 0, chunksTotal: 0, stage: "queued" } } },
					{ version: source.version },
				).catch((err: any) => {
					if (err?.code === 404) throw new ClientError("The source changed meanwhile: reload it and try again", 409, ERR.CONFLICT);
					throw err;
				});
				await this.enqueue(ctx, source.id, version);
				ctx.meta.$statusCode = 202;
				return { ...updated, unchanged: false };
			},
		},

		/** Runs the ingestion of the current version again (after a failure, or a new embedding model). */
		reingest: {
			rest: "POST /sources/:id/reingest",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const source = await this.managed(ctx, ctx.params.id);
				await assertAiModule(ctx);
				if (source.status === "ingesting") return source;
				const updated = await this.updateScoped(ctx, source.id, { $set: { status: "ingesting", failureReason: null, progress: { chunksDone: 0, chunksTotal: 0, stage: "queued" } } }, { version: source.version });
				await this.enqueue(ctx, source.id, source.version, true);
				ctx.meta.$statusCode = 202;
				return updated;
			},
		},

		remove: {
			rest: "DELETE /sources/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const source = await this.managed(ctx, ctx.params.id);
				// The source goes first: retrieval only ever loads chunks of sources that exist.
				const removed = await this.removeScoped(ctx, source.id);
				const { deletedCount } = await Chunk.deleteMany(this.tenantFilter(ctx, { sourceId: source.id }));
				await this.invalidate(ctx, { pathIds: source.pathIds, sourceIds: [source.id] });
				return { ...removed, chunksDeleted: deletedCount };
			},
		},

		chunks: {
			rest: "GET /sources/:id/chunks",
			params: { $$strict: "remove", id: ID, ...PAGE_PARAMS },
			async handler(this: any, ctx: Ctx<PageParams & { id: string }>) {
				const source = await this.managed(ctx, ctx.params.id);
				const filter = this.tenantFilter(ctx, { sourceId: source.id, sourceVersion: source.readyVersion ?? -1 });
				const pageSize = Math.min(ctx.params.pageSize ?? 20, 100);
				const page = ctx.params.page ?? 1;
				const [docs, total] = await Promise.all([
					Chunk.find(filter, { embedding: 0 }).sort({ position: 1 }).skip((page - 1) * pageSize).limit(pageSize),
					Chunk.countDocuments(filter),
				]);
				return {
					rows: docs.map((d: any) => ({ id: String(d._id), sourceId: String(d.sourceId), version: d.sourceVersion, position: d.position, headingPath: d.headingPath, text: d.text, tokens: d.tokens })),
					total,
					page,
					pageSize,
					totalPages: Math.ceil(total / pageSize),
				};
			},
		},

		/** What the tutor would find for a question on a path (a teacher checks their sources). */
		search: {
			rest: "POST /search",
			params: { $$strict: "remove", pathId: ID, query: { type: "string", trim: true, min: 1, max: AI_LIMITS.question }, k: { type: "number", integer: true, min: 1, max: 20, optional: true } },
			async handler(this: any, ctx: Ctx<{ pathId: string; query: string; k?: number }>) {
				await assertManagedPaths(ctx, [ctx.params.pathId], "pathId");
				const path = (await ctx.call("paths.resolve", { id: ctx.params.pathId })) as { id: string; subject: string; ownerId: string };
				const agent = (await ctx.call("aiAgents.forPath", { pathId: path.id, subject: path.subject, ownerId: path.ownerId })) as { sourceIds: string[] } | null;
				return { hits: await this.retrieveFor(ctx, { pathId: path.id, sourceIds: agent?.sourceIds ?? [], query: ctx.params.query, k: ctx.params.k }) };
			},
		},

		/** Sources the caller may select (own, or any of the school for an admin): indexes of those they may not. */
		checkSelectable: {
			params: { $$strict: "remove", sourceIds: IDS(AI_LIMITS.links) },
			async handler(this: any, ctx: Ctx<{ sourceIds: string[] }>) {
				const user = currentUser(ctx);
				const found: any[] = await this.byIdsScoped(ctx, ctx.params.sourceIds);
				const ok = new Set(found.filter(s => isAdmin(user) || String(s.ownerId) === user.id).map(s => String(s._id)));
				return { unknown: ctx.params.sourceIds.map((id, i) => (ok.has(id) ? -1 : i)).filter(i => i >= 0) };
			},
		},

		/** Hybrid retrieval in the caller's school over a path's selected sources plus `sourceIds`. */
		retrieve: {
			params: {
				$$strict: "remove",
				pathId: { ...ID, optional: true },
				sourceIds: { ...IDS(AI_LIMITS.links), optional: true },
				query: { type: "string", min: 1, max: 4000 },
				k: { type: "number", integer: true, min: 1, max: 50, optional: true },
			},
			handler(this: any, ctx: Ctx<{ pathId?: string; sourceIds?: string[]; query: string; k?: number }>) {
				return this.retrieveFor(ctx, ctx.params);
			},
		},

		/** The ready chunks of these sources, in order (generation works from them). */
		chunksOf: {
			params: { $$strict: "remove", sourceIds: IDS(AI_LIMITS.links), limit: { type: "number", integer: true, min: 1, max: 2000, optional: true } },
			async handler(this: any, ctx: Ctx<{ sourceIds: string[]; limit?: number }>) {
				const sources = await this.readySources(ctx, { sourceIds: ctx.params.sourceIds });
				if (sources.length === 0) return [];
				const title = new Map(sources.map((s: any) => [String(s._id), s.title]));
				const docs = await Chunk.find(
					this.tenantFilter(ctx, { $or: sources.map((s: any) => ({ sourceId: s._id, sourceVersion: s.readyVersion })) }),
					{ embedding: 0 },
				)
					.sort({ sourceId: 1, position: 1 })
					.limit(ctx.params.limit ?? 500);
				return docs.map((d: any) => ({ chunkId: String(d._id), sourceId: String(d.sourceId), sourceTitle: title.get(String(d.sourceId)), headingPath: d.headingPath, position: d.position, text: d.text }));
			},
		},
	},

	channels: {
		"ai.source.ingest": {
			group: "ai-ingestion",
			context: true,
			// One job at a time per node: embedding already uses every core.
			maxInFlight: 1,
			async handler(this: any, ctx: Ctx<IngestMessage>) {
				const { schoolId, sourceId, version } = ctx.params;
				if (!mongoose.isValidObjectId(schoolId) || !mongoose.isValidObjectId(sourceId) || !Number.isInteger(version)) {
					this.logger.error("Dropping a malformed ai.source.ingest message", ctx.params?.id);
					return;
				}
				await this.ingest(String(schoolId), String(sourceId), version, Boolean(ctx.params.force));
			},
		},

		/** Scenario 1: a path created with sources gets them selected, and ingested if they are not yet. */
		"learning.path.created": {
			group: "ai-sources",
			context: true,
			async handler(this: any, ctx: Ctx<DurableMessage & { pathId: string; sourceIds?: string[] }>) {
				const { schoolId, pathId, sourceIds } = ctx.params;
				if (!sourceIds?.length || !schoolId || !mongoose.isValidObjectId(pathId)) return;
				const ids = sourceIds.filter(id => mongoose.isValidObjectId(id));
				await Source.updateMany({ schoolId, _id: { $in: ids } }, { $addToSet: { pathIds: pathId } });
				const idle = await Source.find({ schoolId, _id: { $in: ids }, status: "failed" }, { _id: 1, version: 1 });
				for (const s of idle) {
					await Source.updateOne({ _id: s._id, version: s.version, status: "failed" }, { $set: { status: "ingesting", failureReason: null } });
					await this.publishIngest(schoolId, String(s._id), s.version, true);
				}
				await publishDurable(this.broker, "ai.index.invalidated", { schoolId, pathIds: [pathId], sourceIds: ids });
			},
		},

		"ai.index.invalidated": {
			// Every node drops its own copies: the group is made per node in `merged`.
			context: true,
			handler(this: any, ctx: Ctx<DurableMessage & { pathIds?: string[]; sourceIds?: string[] }>) {
				const { schoolId, pathIds, sourceIds } = ctx.params;
				if (typeof schoolId === "string") this.indexes.invalidate({ schoolId, pathIds, sourceIds });
			},
		},
	},

	methods: {
		async managed(this: any, ctx: Ctx<any>, id: string) {
			const source = await this.getScoped(ctx, id);
			assertManages(currentUser(ctx), source, "source");
			return source;
		},

		async enqueue(this: any, ctx: Ctx<any>, sourceId: string, version: number, force = false) {
			await this.publishIngest(callerSchoolId(ctx), sourceId, version, force);
		},

		publishIngest(this: any, schoolId: string, sourceId: string, version: number, force: boolean) {
			// A forced run (reingest) gets its own message id: the first run's id was consumed already.
			return publishDurable(this.broker, "ai.source.ingest", {
				id: `ai.source.ingest:${sourceId}:${version}${force ? `:${Date.now()}` : ""}`,
				schoolId,
				sourceId,
				version,
				force,
			});
		},

		invalidate(this: any, ctx: Ctx<any>, change: { pathIds?: string[]; sourceIds?: string[] }) {
			return publishDurable(this.broker, "ai.index.invalidated", { schoolId: callerSchoolId(ctx), ...change });
		},

		/** Ingests one version of a source (see the file comment). Never throws for a bad document: it fails the source. */
		async ingest(this: any, schoolId: string, sourceId: string, version: number, force: boolean) {
			const filter = { _id: sourceId, schoolId, version };
			const source: any = await Source.findOne(filter);
			if (!source) return; // deleted, or superseded by a newer version
			if (source.readyVersion === version && source.status === "ready" && !force) return; // done already
			const cfg = settings();
			const report = async (set: Record<string, unknown>) => {
				const updated: any = await Source.findOneAndUpdate(filter, { $set: set }, { new: true });
				if (!updated) return false;
				this.broker.broadcast("ai.source.progressed", {
					schoolId,
					userId: String(updated.ownerId),
					source: { id: sourceId, version, status: updated.status, progress: updated.progress, failureReason: updated.failureReason, chunkCount: updated.chunkCount },
				});
				return true;
			};
			try {
				await report({ status: "ingesting", "progress.stage": "parsing" });
				const sections = await parseSource(source.format, { text: source.text, data: source.data });
				const model = await embedder();
				const drafts = chunkSections(sections, {
					maxTokens: cfg.chunkTokens,
					overlapTokens: cfg.chunkOverlapTokens,
					// Content tokens only: the prefix and the two special tokens are the same for every chunk.
					countTokens: text => model.countTokens(text) - 2,
				});
				// A previous attempt at this version may have stored part of its chunks.
				await Chunk.deleteMany({ schoolId, sourceId, sourceVersion: version });
				if (!(await report({ "progress.stage": "embedding", "progress.chunksTotal": drafts.length, "progress.chunksDone": 0 }))) return;
				for (let i = 0; i < drafts.length; i += EMBED_BATCH) {
					const batch = drafts.slice(i, i + EMBED_BATCH);
					const vectors = await model.embed(batch.map(c => [...c.headingPath, c.text].join("\n")), "passage");
					await Chunk.insertMany(
						batch.map((c, j) => ({
							schoolId,
							sourceId,
							sourceVersion: version,
							position: c.position,
							headingPath: c.headingPath,
							text: c.text,
							tokens: c.tokens,
							embedding: Buffer.from(vectors[j].buffer, vectors[j].byteOffset, vectors[j].byteLength),
						})),
						{ ordered: true },
					);
					// Stop when the source was deleted or replaced meanwhile (its chunks go below).
					if (!(await report({ "progress.chunksDone": i + batch.length }))) {
						await Chunk.deleteMany({ schoolId, sourceId, sourceVersion: version });
						return;
					}
				}
				const done = await report({
					status: "ready",
					readyVersion: version,
					chunkCount: drafts.length,
					embeddingModel: model.modelId,
					ingestedAt: new Date(),
					failureReason: null,
					"progress.stage": "done",
				});
				if (!done) {
					await Chunk.deleteMany({ schoolId, sourceId, sourceVersion: version });
					return;
				}
				await Chunk.deleteMany({ schoolId, sourceId, sourceVersion: { $ne: version } });
				await publishDurable(this.broker, "ai.index.invalidated", { schoolId, pathIds: source.pathIds.map(String), sourceIds: [sourceId] });
			} catch (err) {
				const reason = err instanceof SourceParseError ? err.message : `Ingestion failed: ${(err as Error)?.message ?? String(err)}`.slice(0, 500);
				if (!(err instanceof SourceParseError)) this.logger.error("Ingesting a source failed", sourceId, err);
				await report({ status: "failed", failureReason: reason, "progress.stage": "failed" });
			}
		},

		/** Sources of the caller's school with a ready version: selected for the path, or named. */
		async readySources(this: any, ctx: Ctx<any>, scope: { pathId?: string; sourceIds?: string[] }) {
			const or: Record<string, unknown>[] = [];
			if (scope.pathId) or.push({ pathIds: scope.pathId });
			if (scope.sourceIds?.length) or.push({ _id: { $in: scope.sourceIds } });
			if (or.length === 0) return [];
			return Source.find(this.tenantFilter(ctx, { $or: or, readyVersion: { $ne: null } }), { _id: 1, readyVersion: 1, title: 1 }).sort({ _id: 1 }).lean();
		},

		async retrieveFor(this: any, ctx: Ctx<any>, p: { pathId?: string; sourceIds?: string[]; query: string; k?: number }): Promise<RetrievedChunk[]> {
			const schoolId = callerSchoolId(ctx);
			const sources: any[] = await this.readySources(ctx, p);
			if (sources.length === 0) return [];
			const allowed = new Set(sources.map(s => String(s._id)));
			const signature = sources.map(s => `${s._id}@${s.readyVersion}`).join(",");
			const key = `${schoolId}|${p.pathId ?? "-"}|${[...(p.sourceIds ?? [])].sort().join(",")}`;
			let index: HybridIndex | undefined = this.indexes.get(key, signature);
			if (!index) {
				index = await this.buildIndex(schoolId, sources);
				this.indexes.set(key, { schoolId, pathId: p.pathId ?? null, sourceIds: allowed, signature, index });
			}
			const cfg = settings();
			const model = await embedder();
			const [vector] = await model.embed([p.query], "query");
			const hits = index!.search(p.query, vector, { k: p.k ?? cfg.retrievalTopK, minCosine: cfg.minCosine, minTermCoverage: cfg.minTermCoverage });
			// The index was built from this scope; checked again so nothing outside it can ever come back.
			return hits
				.filter(h => h.chunk.schoolId === schoolId && allowed.has(h.chunk.sourceId))
				.map(h => ({
					chunkId: h.chunk.id,
					sourceId: h.chunk.sourceId,
					sourceTitle: h.chunk.sourceTitle,
					headingPath: h.chunk.headingPath,
					position: h.chunk.position,
					text: h.chunk.text,
					score: h.score,
					cosine: h.cosine,
					bm25: h.bm25,
					relevant: h.relevant,
				}));
		},

		async buildIndex(this: any, schoolId: string, sources: any[]): Promise<HybridIndex> {
			const titles = new Map(sources.map(s => [String(s._id), s.title as string]));
			const docs = await Chunk.find({ schoolId, $or: sources.map(s => ({ sourceId: s._id, sourceVersion: s.readyVersion })) }).lean();
			const chunks: IndexedChunk[] = docs.map((d: any) => {
				const bytes: Buffer = d.embedding.buffer ?? d.embedding;
				const copy = new Uint8Array(bytes.length);
				copy.set(bytes);
				return {
					id: String(d._id),
					schoolId: String(d.schoolId),
					sourceId: String(d.sourceId),
					sourceVersion: d.sourceVersion,
					sourceTitle: titles.get(String(d.sourceId)) ?? "",
					position: d.position,
					headingPath: d.headingPath,
					text: d.text,
					embedding: new Float32Array(copy.buffer),
				};
			});
			return new HybridIndex(chunks);
		},
	},

	merged(this: any, schema: any) {
		// A group per node: each node holds its own indexes, so each must hear every invalidation.
		schema.channels["ai.index.invalidated"].group = `ai-index-${this.broker.nodeID}`;
	},

	created(this: any) {
		this.indexes = new IndexCache();
	},

	async started(this: any) {
		await Chunk.init();
	},
};

export default SourcesService;
