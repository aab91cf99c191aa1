/**
 * The AI tutor (students ask from a step or a revision session), the archive of exchanges, the school's
 * monthly token usage and recommendations.
 *
 * Before anything is streamed, every refusal is a plain 4xx: plan without the `ai` module, path not
 * assigned or step closed (paths.forStudent), an evaluation step or an evaluation in progress on the path
 * (TUTOR_OFF), no agent for the path (NO_TUTOR), the month's quota spent (AI_QUOTA_EXCEEDED). Then:
 * retrieval in the path's sources only; nothing relevant → "not covered, ask your teacher"; no LLM →
 * extractive passages, labelled; else the model, with the server's guards: citations must be among the
 * passages given, and in hints-only and socratic modes the reply is checked against the answer key of the
 * exercise the student works on (regenerated once, then redacted) before a word of it is delivered.
 * Names and emails are scrubbed from the question; the prompt never holds them. Every exchange is
 * archived (AiInteraction) with its Bloom level; flagged ones notify the teacher (durable); usage is
 * counted and published on the durable `ai.usage` channel.
 */
import { Types } from "mongoose";
import { settings } from "../../config/env.js";
import { planById } from "../../config/plans.js";
import { AiInteraction } from "../../models/ai-interaction.model.js";
import { AiUsage } from "../../models/ai-usage.model.js";
import { aiTokensLeft } from "../billing/entitlements.js";
import { dbMixin, PAGE_PARAMS, type Filter, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { ClientError, ERR, forbidden, invalid, notFound, tooManyRequests } from "../shared/errors.js";
import { callerSchoolId, currentUser, hasRole, type AuthUser, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import { EXPORT_PARAMS, exportPage, on, type ExportParams } from "../shared/feed-export.js";
import { interactionRecordedMessage } from "./ai-feed.js";
import type { ServiceDef } from "../shared/service.js";
import { isAdmin } from "./access.js";
import { AI_LIMITS, type Flag, type PedagogyMode } from "./ai-types.js";
import type { AgentDoc } from "./agents.service.js";
import { assertAiModule } from "./plan-module.js";
import { llm, monthKey } from "./runtime.js";
import type { RetrievedChunk } from "./sources.service.js";
import { checkCitations, CitationFilter } from "./tutor/citations.js";
import { BLOOM_INSTRUCTION, bloomHeuristic, modelBloom, type Complexity } from "./tutor/complexity.js";
import { extractiveAnswer, NOT_COVERED, TUTOR_OFF_EVALUATION } from "./tutor/extractive.js";
import { detectFlags } from "./tutor/flags.js";
import { findLeaks, redact, type AnswerKey } from "./tutor/leak.js";
import { complete, type Completion } from "./tutor/llm-call.js";
import { buildMessages, type PromptPassage } from "./tutor/prompt.js";
import { recommend, type PathItem } from "./tutor/recommend.js";
import { scrubPersonalData } from "./tutor/scrub.js";
import { JsonSink, SseSink, type AnswerSink } from "./tutor/sse.js";
import { aiTutorPersonalData } from "./personal-data.js";

const SUPPORT_REPLY =
	"It sounds like something difficult is going on. You are not alone: please talk to your teacher, a school counsellor or an adult you trust today. If you are in danger, call your local emergency number. Your teacher has been told so they can help.";
const ABUSE_REPLY = "Let's keep our exchanges respectful. Ask me about your course whenever you are ready.";

interface AskParams {
	pathId?: string;
	stepId?: string;
	sessionId?: string;
	itemId?: string;
	question: string;
	stream?: boolean;
}

interface PathView {
	id: string;
	ownerId: string;
	subject: string;
	name: string;
	steps: { id: string; title: string; kind: string; itemIds: string[] }[];
}

interface StudentRecord {
	id: string;
	firstName?: string;
	lastName?: string;
	email?: string | null;
	username?: string | null;
	studentProfile?: { levels?: { subject: string; level: string }[]; accommodations?: Record<string, unknown> };
}

/** Everything known before the answer is produced. */
interface Prepared {
	schoolId: string;
	student: AuthUser;
	path: PathView;
	stepId: string | null;
	sessionId: string | null;
	item: (AnswerKey & { id: string; title: string; prompt?: string; front?: string }) | null;
	agent: AgentDoc;
	question: string;
	scrubbed: string;
	flags: Flag[];
	complexity: Complexity;
	hits: RetrievedChunk[];
	passages: (PromptPassage & { hit: RetrievedChunk })[];
	struggles: string[];
	profile: StudentRecord["studentProfile"];
	classIds: string[];
	started: number;
}

const ACCOMMODATION_WORDS: Record<string, string> = {
	largeText: "large text",
	dyslexiaFont: "dyslexia-friendly presentation (short sentences)",
	textToSpeech: "listens through text-to-speech (no tables or symbols-heavy layout)",
	reducedMotion: "reduced motion",
};

function accommodationsOf(acc: Record<string, unknown> | undefined): string[] {
	if (!acc) return [];
	const out = Object.entries(ACCOMMODATION_WORDS).filter(([k]) => acc[k] === true).map(([, v]) => v);
	if (typeof acc.extraTimePercent === "number" && acc.extraTimePercent > 0) out.push(`extra time (${acc.extraTimePercent} %)`);
	return out;
}

const TutorService: ServiceDef = {
	name: "aiTutor",
	settings: { rest: "/ai" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [aiTutorPersonalData, 
		dbMixin(AiInteraction, {
			fields: [
				"id", "schoolId", "studentId", "teacherId", "agentId", "pathId", "stepId", "sessionId", "itemId", "subject", "classIds", "question", "answer", "mode",
				"pedagogy", "chunks", "model", "promptTokens", "completionTokens", "latencyMs", "complexity", "flags", "guards", "createdAt",
			],
		}),
	],

	/** moleculer-db calls this after insertScoped: each stored record reaches the reporting feed (a lost one is logged, not thrown: the answer is stored and given). */
	async entityCreated(this: any, json: any) {
		try {
			await publishDurable(this.broker, "ai.interaction.recorded", interactionRecordedMessage(json));
		} catch (err) {
			this.logger.error("ai.interaction.recorded not published", json.id, err);
		}
	},

	actions: {
		/** The school's tutor exchanges as `ai.interaction.recorded` messages (reporting rebuilds from them). */
		export: {
			params: EXPORT_PARAMS,
			handler(this: any, ctx: Ctx<ExportParams>) {
				return exportPage(this.model, ctx.params, {}, (doc: any) => on("ai.interaction.recorded", [interactionRecordedMessage(doc)]));
			},
		},

		ask: {
			rest: "POST /tutor/ask",
			params: {
				$$strict: "remove",
				pathId: { ...ID, optional: true },
				stepId: { ...ID, optional: true },
				sessionId: { ...ID, optional: true },
				itemId: { ...ID, optional: true },
				question: { type: "string", trim: true, min: 1, max: AI_LIMITS.question },
				stream: { type: "boolean", optional: true },
			},
			// A JSON answer waits for the model (a stream returns at once); moleculer's types do not list `timeout`.
			...{ timeout: 180_000 },
			async handler(this: any, ctx: Ctx<AskParams>) {
				const prepared: Prepared = await this.prepare(ctx);
				if (ctx.params.stream) {
					const sink = new SseSink();
					ctx.meta.$responseType = "text/event-stream; charset=utf-8";
					ctx.meta.$responseHeaders = { "Cache-Control": "no-cache", "X-Accel-Buffering": "no" };
					this.answer(ctx, prepared, sink).catch((err: unknown) => {
						this.logger.error("Tutor answer failed", err);
						sink.fail({ type: ERR.INTERNAL, message: "The tutor could not answer; try again" });
					});
					return sink.stream;
				}
				const sink = new JsonSink();
				await this.answer(ctx, prepared, sink);
				if (!sink.result) throw new ClientError(sink.error?.message ?? "The tutor could not answer", 503, ERR.UNAVAILABLE);
				return sink.result;
			},
		},

		interactions: {
			rest: "GET /interactions",
			params: {
				$$strict: "remove",
				studentId: { ...ID, optional: true },
				classId: { ...ID, optional: true },
				pathId: { ...ID, optional: true },
				flagged: { type: "boolean", convert: true, optional: true },
				...PAGE_PARAMS,
			},
			async handler(this: any, ctx: Ctx<PageParams & { studentId?: string; classId?: string; pathId?: string; flagged?: boolean }>) {
				const filter: Filter = { ...(await this.visibleFilter(ctx)) };
				if (ctx.params.studentId) filter.studentId = ctx.params.studentId;
				if (ctx.params.pathId) filter.pathId = ctx.params.pathId;
				if (ctx.params.classId) filter.classIds = ctx.params.classId;
				if (ctx.params.flagged !== undefined) filter["flags.0"] = { $exists: ctx.params.flagged };
				return this.pageScoped(ctx, filter, ctx.params);
			},
		},

		interaction: {
			rest: "GET /interactions/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const [doc] = await this.findScoped(ctx, { ...(await this.visibleFilter(ctx)), _id: ctx.params.id });
				if (!doc) throw notFound("AiInteraction", ctx.params.id);
				return doc;
			},
		},

		recommendations: {
			rest: "GET /recommendations",
			params: { $$strict: "remove", pathId: ID, studentId: { ...ID, optional: true } },
			async handler(this: any, ctx: Ctx<{ pathId: string; studentId?: string }>) {
				const user = currentUser(ctx);
				let path: PathView;
				let studentId: string;
				if (hasRole(user, "student")) {
					if (ctx.params.studentId && ctx.params.studentId !== user.id) throw forbidden("A student sees their own recommendations only");
					studentId = user.id;
					path = ((await ctx.call("paths.forStudent", { pathId: ctx.params.pathId, studentId })) as { path: PathView }).path;
				} else {
					if (!ctx.params.studentId) throw invalid("studentId", "is required for a teacher");
					studentId = ctx.params.studentId;
					path = (await ctx.call("paths.get", { id: ctx.params.pathId })) as PathView;
					const [student] = (await ctx.call("users.resolveMany", { ids: [studentId], roles: ["student"] })) as unknown[];
					if (!student) throw notFound("Student", studentId);
				}
				const refs = path.steps.flatMap(s => s.itemIds.map(itemId => ({ itemId, stepId: s.id, stepTitle: s.title })));
				const ids = [...new Set(refs.map(r => r.itemId))];
				const [items, states, asked] = await Promise.all([
					ctx.call("content.resolveMany", { ids }) as Promise<{ id: string; title: string; kind: string }[]>,
					ctx.call("memory.states", { studentId, itemIds: ids, teacherId: path.ownerId }) as Promise<{ itemId: string; retrievability: number }[]>,
					this.model
						.find(this.tenantFilter(ctx, { studentId, pathId: path.id }), { chunks: 1 })
						.sort({ _id: -1 })
						.limit(100)
						.lean(),
				]);
				const byId = new Map(items.map(i => [i.id, i]));
				const pathItems: PathItem[] = refs.filter(r => byId.has(r.itemId)).map(r => ({ ...r, title: byId.get(r.itemId)!.title, kind: byId.get(r.itemId)!.kind }));
				const topics: string[][] = (asked as any[]).flatMap(a => (a.chunks ?? []).filter((c: any) => c.cited).map((c: any) => this.topicOf(c)));
				return { pathId: path.id, studentId, ...recommend(pathItems, states, topics) };
			},
		},

		usage: {
			rest: "GET /usage",
			async handler(this: any, ctx: Ctx) {
				const { quota, used, requests } = await this.quotaState(ctx);
				return { month: monthKey(), tokens: used, requests, quota, left: Math.max(0, quota - used), llm: llm() !== null, model: llm()?.model ?? null };
			},
		},

		/** Generation (and any other AI use) counts its tokens here: usage document and durable `ai.usage`. */
		countUsage: {
			params: {
				$$strict: "remove",
				id: { type: "string", min: 1, max: 200 },
				kind: { type: "enum", values: ["tutor", "generation"] },
				promptTokens: { type: "number", integer: true, min: 0 },
				completionTokens: { type: "number", integer: true, min: 0 },
				model: { type: "string", max: 200, optional: true, nullable: true },
			},
			async handler(this: any, ctx: Ctx<{ id: string; kind: string; promptTokens: number; completionTokens: number; model?: string | null }>) {
				await this.recordUsage(ctx, ctx.params);
				return { ok: true };
			},
		},

		/** 429 when the school's month is spent (only when a model is configured: extractive mode costs no tokens). */
		checkQuota: {
			async handler(this: any, ctx: Ctx) {
				await this.assertQuota(ctx);
				return { ok: true };
			},
		},
	},

	methods: {
		/** Checks and gathering, all before any byte of the answer (see the file comment). */
		async prepare(this: any, ctx: Ctx<AskParams>): Promise<Prepared> {
			const started = Date.now();
			const student = currentUser(ctx);
			const schoolId = callerSchoolId(ctx);
			const p = ctx.params;
			if (!p.pathId && !p.sessionId) throw invalid("pathId", "give the path (or the revision session) the question is about");
			await this.assertModule(ctx);
			let pathId = p.pathId;
			let stepId = p.stepId;
			let itemId = p.itemId;
			if (p.sessionId) {
				const session = (await ctx.call("revisions.get", { id: p.sessionId })) as any;
				if (session.studentId !== student.id) throw notFound("RevisionSession", p.sessionId);
				if (pathId && pathId !== session.pathId) throw invalid("pathId", "is not the path of this revision session");
				if (stepId && stepId !== session.stepId) throw invalid("stepId", "is not the step of this revision session");
				pathId = session.pathId;
				stepId = session.stepId;
				if (session.status === "active" && !itemId) {
					const done = new Set((session.answers ?? []).map((a: any) => a.itemId));
					itemId = (session.queue ?? []).map((q: any) => q.itemId).find((id: string) => !done.has(id));
				}
			}
			const { path, step, items } = (await ctx.call("paths.forStudent", { pathId, ...(stepId ? { stepId } : {}), studentId: student.id })) as {
				path: PathView;
				step: { id: string; kind: string; itemIds: string[] } | null;
				items: any[];
			};
			if (step?.kind === "evaluation") throw new ClientError("The tutor is off during evaluations", 409, ERR.TUTOR_OFF, { reason: "evaluation_step" });
			const agent = (await ctx.call("aiAgents.forPath", { pathId: path.id, subject: path.subject, ownerId: path.ownerId })) as AgentDoc | null;
			if (!agent) throw new ClientError("No AI tutor is set up for this path yet: ask your teacher", 409, ERR.NO_TUTOR);
			if (agent.disabledDuringEvaluations !== false) {
				const ev = (await ctx.call("evaluations.inProgress", { studentId: student.id, pathId: path.id })) as { inProgress: boolean; deadline?: Date };
				if (ev.inProgress) throw new ClientError(TUTOR_OFF_EVALUATION, 409, ERR.TUTOR_OFF, { reason: "evaluation_in_progress", until: ev.deadline });
			}
			let item: Prepared["item"] = null;
			if (itemId) {
				if (!step) throw invalid("itemId", "give the step of this exercise");
				item = items.find(i => i.id === itemId) ?? null;
				if (!item) throw invalid("itemId", "is not an exercise of this step");
			}
			await this.assertQuota(ctx);
			await this.assertPace(ctx, student.id);
			const [[me], membership] = (await Promise.all([
				ctx.call("users.resolveMany", { ids: [student.id] }),
				ctx.call("classes.membership", { userId: student.id }),
			])) as [StudentRecord[], { attends: string[] }];
			const scrubbed = scrubPersonalData(p.question, [me?.firstName, me?.lastName, me?.email, me?.username, me ? `${me.firstName} ${me.lastName}` : null]);
			const flags = detectFlags(p.question);
			const hits = (await ctx.call("aiSources.retrieve", { pathId: path.id, sourceIds: agent.sourceIds ?? [], query: scrubbed })) as RetrievedChunk[];
			const passages = hits
				.filter(h => h.relevant)
				.map((hit, i) => ({ label: `S${i + 1}`, sourceTitle: hit.sourceTitle, headingPath: hit.headingPath, text: hit.text, hit }));
			const struggles = step ? await this.struggles(ctx, student.id, path, step, items) : [];
			return {
				schoolId,
				student,
				path,
				stepId: step?.id ?? null,
				sessionId: p.sessionId ?? null,
				item,
				agent,
				question: p.question,
				scrubbed,
				flags,
				complexity: bloomHeuristic(p.question),
				hits,
				passages,
				struggles,
				profile: me?.studentProfile,
				classIds: membership.attends ?? [],
				started,
			};
		},

		/** The step's items the student recalls worst, weakest first (titles and statements only, never answers). */
		async struggles(this: any, ctx: Ctx<any>, studentId: string, path: PathView, step: { itemIds: string[] }, items: any[]): Promise<string[]> {
			if (step.itemIds.length === 0) return [];
			const states = (await ctx.call("memory.states", { studentId, itemIds: step.itemIds, teacherId: path.ownerId })) as { itemId: string; retrievability: number }[];
			const byId = new Map(items.map(i => [i.id, i]));
			// Weak: likely forgotten by now, or barely learnt (stability under a day, e.g. just failed).
			return (states as { itemId: string; retrievability: number; stability?: number }[])
				.filter(s => s.retrievability < 0.9 || (s.stability ?? Infinity) < 1)
				.sort((a, b) => a.retrievability - b.retrievability)
				.slice(0, 3)
				.map(s => byId.get(s.itemId))
				.filter(Boolean)
				.map(i => `${i.title}${i.prompt ? `: ${i.prompt}` : i.front ? `: ${i.front}` : ""}`.slice(0, 300));
		},

		/** Produces, guards, delivers and archives the answer. */
		async answer(this: any, ctx: Ctx<AskParams>, prep: Prepared, sink: AnswerSink): Promise<void> {
			const guards: string[] = [];
			const client = llm();
			const pedagogy: PedagogyMode = prep.agent.pedagogy;
			const guardLeaks = prep.item !== null && pedagogy !== "full_explanation";
			let mode: "llm" | "extractive" | "not_covered" | "refused";
			let text: string;
			let complexity = prep.complexity;
			let cited = new Set<string>();
			let usage: Completion | null = null;
			// Titles and headings reach the student too: in a guarded mode they are checked like the reply
			// (a heading "Mitochondria" would answer "which organelle makes ATP?").
			const shown = (text: string) => (guardLeaks ? redact(text, findLeaks(text, prep.item!)) : text);
			sink.start({
				pathId: prep.path.id,
				stepId: prep.stepId,
				passages: prep.passages.map(p => ({ label: p.label, sourceId: p.hit.sourceId, sourceTitle: shown(p.sourceTitle), headingPath: p.headingPath.map(shown) })),
			});

			if (prep.flags.includes("distress")) {
				mode = "refused";
				text = SUPPORT_REPLY;
				sink.delta(text);
			} else if (prep.flags.includes("abuse") && prep.flags.length === 1) {
				mode = "refused";
				text = ABUSE_REPLY;
				sink.delta(text);
			} else if (prep.passages.length === 0) {
				mode = "not_covered";
				text = NOT_COVERED;
				sink.delta(text);
			} else if (!client) {
				mode = "extractive";
				text = extractiveAnswer(prep.passages);
				if (guardLeaks) text = this.guardLeak(text, prep.item!, guards);
				cited = new Set(prep.passages.slice(0, 3).map(p => p.label));
				sink.delta(text);
			} else {
				mode = "llm";
				const allowed = new Set(prep.passages.map(p => p.label));
				const messages = (retry: boolean) => {
					const m = buildMessages({
						agent: { ...prep.agent, goals: prep.agent.goals ?? [], extraInstructions: prep.agent.extraInstructions ?? "" },
						student: {
							level: prep.profile?.levels?.find(l => l.subject.toLowerCase() === prep.path.subject.toLowerCase())?.level ?? null,
							accommodations: accommodationsOf(prep.profile?.accommodations),
							struggles: prep.struggles,
						},
						passages: prep.passages,
						question: prep.scrubbed,
						currentExercise: prep.item ? (prep.item.prompt ?? prep.item.front ?? prep.item.title) : null,
						retryBecauseLeaked: retry,
					});
					m[0].content += `\n\n${BLOOM_INSTRUCTION}`;
					return m;
				};
				try {
					if (guardLeaks) {
						// Nothing is delivered before the whole reply passed the answer-key check.
						let reply = await complete(client, messages(false));
						usage = reply;
						let body = modelBloom(reply.text);
						if (findLeaks(body.reply, prep.item!).length > 0) {
							guards.push("regenerated");
							reply = await complete(client, messages(true));
							usage = { ...reply, promptTokens: usage.promptTokens + reply.promptTokens, completionTokens: usage.completionTokens + reply.completionTokens };
							body = modelBloom(reply.text);
						}
						complexity = body.complexity ?? complexity;
						const checked = checkCitations(this.guardLeak(body.reply, prep.item!, guards), allowed);
						if (checked.dropped.length > 0) guards.push("citations_dropped");
						cited = new Set(checked.cited);
						text = checked.text.trim();
						sink.delta(text);
					} else {
						const filter = new CitationFilter(allowed);
						const tags = new TagHoldback();
						let delivered = "";
						const reply = await complete(client, messages(false), {
							onDelta: d => {
								const out = filter.push(tags.push(d));
								delivered += out;
								sink.delta(out);
							},
						});
						const tail = filter.push(tags.end()) + filter.end();
						delivered += tail;
						sink.delta(tail);
						usage = reply;
						complexity = modelBloom(reply.text).complexity ?? complexity;
						if (filter.dropped.size > 0) guards.push("citations_dropped");
						cited = filter.cited;
						text = delivered.trim();
					}
				} catch (err) {
					// The model is unreachable or failed: the student still gets the passages, labelled.
					this.logger.warn("LLM call failed, answering extractively", (err as Error)?.message);
					guards.push("llm_unavailable");
					mode = "extractive";
					text = extractiveAnswer(prep.passages);
					if (guardLeaks) text = this.guardLeak(text, prep.item!, guards);
					cited = new Set(prep.passages.slice(0, 3).map(p => p.label));
					sink.delta(`\n\n${text}`);
				}
			}

			const interaction = await this.archive(ctx, prep, { mode, text, cited, usage, complexity, guards, pedagogy });
			sink.done({
				interactionId: interaction.id,
				mode,
				answer: text,
				citations: interaction.chunks.filter((c: any) => c.cited).map((c: any) => ({ label: c.label, chunkId: c.chunkId, sourceId: c.sourceId, score: c.score })),
				complexity,
				flags: prep.flags,
				guards,
				usage: { promptTokens: interaction.promptTokens, completionTokens: interaction.completionTokens },
				...(mode === "extractive" ? { label: "extractive" } : {}),
			});
		},

		/** Redacts what still gives the exercise's answer away (after a regeneration, for the model). */
		guardLeak(this: any, text: string, item: AnswerKey, guards: string[]): string {
			const leaks = findLeaks(text, item);
			if (leaks.length === 0) return text;
			guards.push("redacted");
			return redact(text, leaks);
		},

		async archive(this: any, ctx: Ctx<any>, prep: Prepared, out: { mode: string; text: string; cited: Set<string>; usage: Completion | null; complexity: Complexity; guards: string[]; pedagogy: PedagogyMode }) {
			const chunks = prep.passages.map(p => ({
				chunkId: p.hit.chunkId,
				sourceId: p.hit.sourceId,
				label: p.label,
				score: p.hit.score,
				cosine: p.hit.cosine,
				bm25: p.hit.bm25,
				cited: out.cited.has(p.label),
				headingPath: p.headingPath,
			}));
			const doc = await this.insertScoped(ctx, {
				studentId: prep.student.id,
				teacherId: prep.path.ownerId,
				agentId: prep.agent.id,
				pathId: prep.path.id,
				stepId: prep.stepId,
				sessionId: prep.sessionId,
				itemId: prep.item?.id ?? null,
				subject: prep.path.subject,
				classIds: prep.classIds,
				question: prep.question,
				answer: out.text || "(empty reply)",
				mode: out.mode,
				pedagogy: out.pedagogy,
				chunks,
				model: out.usage?.model ?? null,
				promptTokens: out.usage?.promptTokens ?? 0,
				completionTokens: out.usage?.completionTokens ?? 0,
				latencyMs: Date.now() - prep.started,
				complexity: out.complexity,
				flags: prep.flags,
				guards: out.guards,
			});
			if (out.usage) {
				await this.recordUsage(ctx, { id: `tutor:${doc.id}`, kind: "tutor", promptTokens: out.usage.promptTokens, completionTokens: out.usage.completionTokens, model: out.usage.model });
			}
			if (prep.flags.length > 0) {
				await publishDurable(this.broker, "notifications.requested", {
					id: `ai.interaction.flagged:${doc.id}`,
					schoolId: prep.schoolId,
					userIds: [prep.path.ownerId],
					type: "ai.interaction.flagged",
					title: `AI tutor: an exchange needs your attention (${prep.flags.join(", ")})`,
					body: `A student asked the tutor on "${prep.path.name}". Open the exchange to read it.`,
					data: { interactionId: doc.id, pathId: prep.path.id, studentId: prep.student.id, flags: prep.flags },
				});
			}
			return doc;
		},

		/** The chunk's heading path, the topic a question was about. */
		topicOf(chunk: { headingPath?: string[] }): string[] {
			return chunk.headingPath ?? [];
		},

		assertModule(this: any, ctx: Ctx<any>): Promise<void> {
			return assertAiModule(ctx);
		},

		async quotaState(this: any, ctx: Ctx<any>): Promise<{ quota: number; used: number; requests: number }> {
			const limits = (await ctx.call("subscriptions.limits", {})) as { plan: string; modules: string[]; aiMonthlyTokens?: number };
			const usage = await AiUsage.findOne({ schoolId: callerSchoolId(ctx), month: monthKey() }).lean<{ tokens: number; requests: number }>();
			const used = usage?.tokens ?? 0;
			const plan = planById(limits.plan);
			const quota = plan ? aiTokensLeft(plan, 0) : 0;
			return { quota, used, requests: usage?.requests ?? 0 };
		},

		/** At most AI_ASK_PER_MINUTE questions per student per minute (counted from the archive). */
		async assertPace(this: any, ctx: Ctx<any>, studentId: string): Promise<void> {
			const since = Types.ObjectId.createFromTime(Math.floor(Date.now() / 1000) - 60);
			const recent = await this.model.countDocuments(this.tenantFilter(ctx, { studentId, _id: { $gte: since } }));
			if (recent >= settings().askPerMinute) throw tooManyRequests(60);
		},

		async assertQuota(this: any, ctx: Ctx<any>): Promise<void> {
			if (!llm()) return;
			const { quota, used } = await this.quotaState(ctx);
			if (used >= quota) {
				throw new ClientError("The school's AI quota for this month is used up", 429, ERR.AI_QUOTA_EXCEEDED, { month: monthKey(), quota, used });
			}
		},

		async recordUsage(this: any, ctx: Ctx<any>, u: { id: string; kind: string; promptTokens: number; completionTokens: number; model?: string | null }) {
			const schoolId = callerSchoolId(ctx);
			const month = monthKey();
			const tokens = u.promptTokens + u.completionTokens;
			await AiUsage.updateOne({ schoolId, month }, { $inc: { tokens, requests: 1 } }, { upsert: true });
			await publishDurable(this.broker, "ai.usage", { id: `ai.usage:${u.id}`, schoolId, month, kind: u.kind, promptTokens: u.promptTokens, completionTokens: u.completionTokens, tokens, model: u.model ?? null });
		},

		/** What the caller may read: their own exchanges (student), those of their paths and classes (teacher), all (admin). */
		async visibleFilter(this: any, ctx: Ctx<any>): Promise<Filter> {
			const user = currentUser(ctx);
			if (isAdmin(user)) return {};
			if (hasRole(user, "teacher")) {
				const { teaches } = (await ctx.call("classes.membership", { userId: user.id })) as { teaches: string[] };
				return { $or: [{ teacherId: user.id }, { classIds: { $in: teaches.map(id => new Types.ObjectId(id)) } }] };
			}
			return { studentId: user.id };
		},
	},

	async started() {
		await AiUsage.init();
		// Settings are read per call; this only warns early when the model is not configured in production.
		if (settings().nodeEnv === "production" && !llm()) this.logger?.warn?.("No OPENAI_BASE_URL/OPENAI_API_KEY: the AI tutor answers in extractive mode");
	},
};

/** Holds back a `[[bloom:N]]` tag (or anything from `[[` until `]]`) so it never reaches the student. */
class TagHoldback {
	private pending = "";
	push(delta: string): string {
		this.pending += delta;
		let out = "";
		for (;;) {
			const open = this.pending.indexOf("[[");
			if (open < 0) {
				// A lone trailing "[" may start a tag.
				const keep = this.pending.endsWith("[") ? 1 : 0;
				out += this.pending.slice(0, this.pending.length - keep);
				this.pending = this.pending.slice(this.pending.length - keep);
				return out;
			}
			const close = this.pending.indexOf("]]", open);
			if (close < 0) {
				out += this.pending.slice(0, open);
				this.pending = this.pending.slice(open);
				if (this.pending.length > 40) {
					out += this.pending;
					this.pending = "";
				}
				return out;
			}
			const tag = this.pending.slice(open, close + 2);
			out += this.pending.slice(0, open) + (/^\[\[\s*bloom\s*:\s*[1-6]\s*\]\]$/i.test(tag) ? "" : tag);
			this.pending = this.pending.slice(close + 2);
		}
	}
	end(): string {
		const rest = this.pending;
		this.pending = "";
		return rest;
	}
}

export default TutorService;
