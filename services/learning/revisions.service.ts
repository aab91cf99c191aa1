/**
 * Revision sessions (scenario 2): a student picks a step, gets the items the spacing rules choose, answers
 * them one by one, and ends (or leaves, and the session is abandoned after REVISION_IDLE_MINUTES). The rules
 * are sessions/session-logic.ts (shared with the live rooms); this service does the I/O around them:
 * checks through `paths.forStudent`, memory through `memory.*`, progress, notifications and the durable feed.
 *
 * The session document is the arbiter, with no lock: an answer is kept by one conditional `$push` (the
 * session still active, no answer yet to this item nor under this client id), so of racing answers to one
 * item exactly one is kept, and answers to different items never overwrite each other. Memory is told after,
 * under a key per (session, item), with the kept answer's rating: it records that review once whatever
 * happens here (a request that stopped in between is completed by the client's retry). An end is written
 * conditionally on the number of answers it summed, and summed again if one arrived meanwhile.
 */
import { RevisionSession } from "../../models/revision-session.model.js";
import { dbMixin, PAGE_PARAMS, type Filter, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { conflict, ERR, forbidden, notFound } from "../shared/errors.js";
import { callerSchoolId, currentUser, hasRole, SYSTEM, type Ctx, type Meta } from "../shared/identity.js";
import { RETRY, retryOnConflict } from "../shared/optimistic.js";
import type { ServiceDef } from "../shared/service.js";
import type { ContentItem } from "./content/content-types.js";
import { learningClock } from "./learning-clock.js";
import type { ProfileValues } from "./memory/profile-layers.js";
import { cardFromJSON } from "./memory/scheduler.js";
import { localDayBounds } from "./memory/spacing.js";
import type { PathDoc } from "./paths.service.js";
import type { Step } from "./paths/path-rules.js";
import { LIVE_ANSWER_PROPS } from "./live/live-answer.js";
import type { GroupSessionCommon, GroupSessionPart } from "./sessions/group-session-record.js";
import { MAX_GROUP_BATCH, recordGroupSessions } from "./sessions/record-group-sessions.js";
import { completedMessage, progressEntry } from "./sessions/session-effects.js";
import { callerScope, STUDENT_STEP_FIELDS, type StudentStepRecord } from "./sessions/student-step.js";
import {
	answerFeedback,
	applyAnswer,
	attemptOf,
	closeSession,
	currentItemId,
	nextStepAt,
	openSession,
	planQueue,
	prepareAnswer,
	remaining,
	serve,
	type AnswerRecord,
	type SessionItem,
	type SessionMode,
	type SessionState,
	type SessionSummary,
} from "./sessions/session-logic.js";
import { ID } from "../shared/params.js";
import { ANSWER_RULE } from "./content/answer-format.js";
import { EXPORT_PARAMS, exportPage, on, type ExportParams } from "../shared/feed-export.js";
import { revisionsPersonalData } from "./personal-data.js";

const DEFAULT_IDLE_MINUTES = 30;
const EXPIRE_EVERY_MS = 60_000;
const EXPIRE_BATCH = 100;

/** REVISION_IDLE_MINUTES: minutes without an answer after which a session is abandoned (1..1440, default 30). */
export function idleMinutesFrom(env: Record<string, string | undefined> = process.env): number {
	const raw = env.REVISION_IDLE_MINUTES?.trim();
	if (!raw) return DEFAULT_IDLE_MINUTES;
	const n = Number(raw);
	if (!Number.isInteger(n) || n < 1 || n > 1440) throw new Error(`Invalid configuration: REVISION_IDLE_MINUTES must be an integer between 1 and 1440, got "${raw}"`);
	return n;
}

const FIELDS = [
	...STUDENT_STEP_FIELDS, "mode", "liveSessionId", "status", "queue", "answers", "startedAt", "lastActivityAt", "endedAt", "summary",
	"createdAt",
];

interface SessionDoc extends SessionState, StudentStepRecord {
	extraTimePercent: number;
	summary: SessionSummary | null;
}

/** The fields of a live session every student shares (revisions.recordGroupSession and recordGroupSessions). */
const GROUP_COMMON_PARAMS = {
	liveSessionId: ID,
	pathId: ID,
	stepId: { type: "string", min: 1, max: 64 },
	teacherId: ID,
	subject: { type: "string", min: 1, max: 100 },
	itemIds: { type: "array", max: 200, items: ID },
	endedAt: { type: "date", convert: true },
} as const;

/** One student's part of it: who, their answers (graded by the room), when they started. */
const GROUP_PART_PARAMS = {
	studentId: ID,
	answers: {
		type: "array",
		max: 200,
		items: { type: "object", strict: "remove", props: LIVE_ANSWER_PROPS },
	},
	startedAt: { type: "date", convert: true },
} as const;

interface MemoryStateRow {
	itemId: string;
	[card: string]: unknown;
}

const RevisionsService: ServiceDef = {
	name: "revisions",
	settings: { rest: "/", idleMinutes: idleMinutesFrom() },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [revisionsPersonalData, dbMixin(RevisionSession, { fields: FIELDS })],

	actions: {
		start: {
			rest: "POST /revision-sessions",
			params: { $$strict: "remove", pathId: ID, stepId: ID, mode: { type: "enum", values: ["normal", "practice"], optional: true } },
			async handler(this: any, ctx: Ctx<{ pathId: string; stepId: string; mode?: SessionMode }>) {
				const student = currentUser(ctx);
				const mode: SessionMode = ctx.params.mode ?? "normal";
				// Step 3 of the seed's scenario: assigned, step available, path active (paths.forStudent), spacing (below).
				const { path, step, items } = (await ctx.call("paths.forStudent", { ...ctx.params, studentId: student.id })) as {
					path: PathDoc;
					step: Step;
					items: SessionItem[];
				};
				if (step.kind !== "revision") throw conflict("This step is an evaluation: start it with POST /evaluations", ERR.CONFLICT);
				const profile = (await ctx.call("scheduling.resolve", { studentId: student.id, subject: path.subject, teacherId: path.ownerId })) as {
					values: ProfileValues;
					practiceAllowed: boolean;
				};
				if (mode === "practice" && !(path.settings?.practiceAllowed || profile.practiceAllowed)) {
					throw forbidden("Your teacher does not allow practice ahead of time on this path");
				}
				const now = this.clock.now();
				const timeZone = await this.timeZone(ctx);
				const day = localDayBounds(now, timeZone);
				const [states, introduced, [me]] = await Promise.all([
					ctx.call("memory.states", { studentId: student.id, itemIds: step.itemIds, teacherId: path.ownerId }) as Promise<MemoryStateRow[]>,
					ctx.call("memory.newIntroducedOn", { studentId: student.id, dayStart: day.start, dayEnd: day.end }) as Promise<{ count: number }>,
					ctx.call("users.resolveMany", { ids: [student.id] }) as Promise<{ studentProfile?: { accommodations?: { extraTimePercent?: number } } }[]>,
				]);
				const queue = planQueue({
					items,
					states: states.map(s => ({ itemId: s.itemId, card: cardFromJSON(s) })),
					now,
					timeZone,
					newIntroducedToday: introduced.count,
					profile: profile.values,
					mode,
				});
				const state = this.openOrExplain(queue, mode, now, states);
				const created: SessionDoc = await this.insertScoped(ctx, {
					...state,
					studentId: student.id,
					pathId: path.id,
					stepId: step.id,
					teacherId: path.ownerId,
					subject: path.subject,
					extraTimePercent: me?.studentProfile?.accommodations?.extraTimePercent ?? 0,
				});
				const first = items.find(i => i.id === currentItemId(created, now));
				ctx.meta.$statusCode = 201;
				return { id: created.id, status: created.status, mode, pathId: path.id, stepId: step.id, queue: created.queue.length, item: first ? serve(first) : null };
			},
		},

		next: {
			rest: "GET /revision-sessions/:id/next",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const session = await this.owned(ctx, ctx.params.id);
				const now = this.clock.now();
				const itemId = session.status === "active" ? currentItemId(session, now) : null;
				if (!itemId) {
					// Only learning steps not yet due are left: nothing to serve until the first of them.
					const nextAt = session.status === "active" ? nextStepAt(session, now) : null;
					if (nextAt) return { done: false, waiting: true, nextAt, remaining: remaining(session) };
					return { done: true, status: session.status, remaining: 0 };
				}
				const [item] = (await ctx.call("content.resolveMany", { ids: [itemId] })) as SessionItem[];
				if (!item) throw notFound("ContentItem", itemId);
				return { done: false, remaining: remaining(session), item: serve(item) };
			},
		},

		answer: {
			rest: "POST /revision-sessions/:id/answers",
			params: {
				$$strict: "remove",
				id: ID,
				clientId: { type: "string", min: 1, max: 100, pattern: /^[A-Za-z0-9_.:-]+$/ },
				itemId: ID,
				answer: ANSWER_RULE,
				responseTimeMs: { type: "number", integer: true, min: 0, max: 86_400_000, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ id: string; clientId: string; itemId: string; answer: unknown; responseTimeMs?: number }>) {
				const { id, clientId, itemId, answer, responseTimeMs } = ctx.params;
				const first = await this.owned(ctx, id);
				const [item] = (await ctx.call("content.resolveMany", { ids: [itemId] })) as SessionItem[];
				return retryOnConflict(
					async round => {
						const session: SessionDoc = round === 0 ? first : await this.owned(ctx, id);
						if (!item) {
							if (session.answers.some(a => a.clientId === clientId)) throw conflict("The item of this answer no longer exists");
							throw notFound("ContentItem", itemId);
						}
						const now = this.clock.now();
						const prepared = prepareAnswer(session, { clientId, itemId, answer, responseTimeMs }, item, now, session.extraTimePercent);
						if (prepared.duplicate) {
							// A retry: memory gets the kept answer again (idempotent by key), in case the first request
							// stopped between the session and memory.
							await this.tellMemory(ctx, session, prepared.record, item).catch((err: unknown) =>
								this.logger.warn("A retried answer could not be told to memory", { sessionId: session.id, itemId }, err),
							);
							return { ...(await this.answerResponse(ctx, session, prepared.record, item, now)), duplicate: true };
						}
						// A learning step's answer is another review of the item (its own attempt number and review key).
						const record: AnswerRecord = { ...prepared.record, attempt: attemptOf(session, itemId) };
						// Kept by one conditional $push: one answer per client id, and per item and attempt.
						const sameAttempt = record.attempt === 1 ? { "answers.itemId": { $ne: itemId } } : { answers: { $not: { $elemMatch: { itemId, attempt: record.attempt } } } };
						const kept = await this.model.updateOne(
							this.tenantFilter(ctx, { _id: session.id, status: "active", "answers.clientId": { $ne: clientId }, ...sameAttempt }),
							{ $push: { answers: record }, $set: { lastActivityAt: record.answeredAt } },
						);
						// Another answer got there first (this attempt, this client id, or the end): read again and say which.
						if (kept.matchedCount !== 1) return RETRY;
						let recorded: { counted: boolean; rating: AnswerRecord["rating"]; after: { state: number; due: string | Date } };
						try {
							recorded = await this.tellMemory(ctx, session, record, item);
						} catch (err) {
							await this.model.updateOne(this.tenantFilter(ctx, { _id: session.id, status: "active" }), { $pull: { answers: { clientId } } });
							throw err;
						}
						// Memory's rating (the student's own response times) and whether it counted; a step due soon comes back.
						const stored: AnswerRecord = { ...record, rating: recorded.rating, counted: recorded.counted };
						const next = applyAnswer(session, stored, { state: recorded.after.state, due: new Date(recorded.after.due) });
						const step = next.queue.length > session.queue.length ? next.queue[next.queue.length - 1] : null;
						if (step || stored.rating !== record.rating || stored.counted !== record.counted) {
							await this.model.updateOne(this.tenantFilter(ctx, { _id: session.id, "answers.clientId": clientId }), {
								$set: { "answers.$.rating": stored.rating, "answers.$.counted": stored.counted },
								...(step && next.status === "active" ? { $push: { queue: step } } : {}),
							});
						}
						return { ...(await this.answerResponse(ctx, next, stored, item, now)), duplicate: false };
					},
					{ attempts: 3, message: "This session changed meanwhile, try again" },
				);
			},
		},

		end: {
			rest: "POST /revision-sessions/:id/end",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				await this.owned(ctx, ctx.params.id);
				return this.finish(ctx, ctx.params.id, "completed");
			},
		},

		get: {
			rest: "GET /revision-sessions/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const user = currentUser(ctx);
				const session: SessionDoc = await this.getScoped(ctx, ctx.params.id);
				if (session.studentId === user.id || hasRole(user, "school_admin") || (hasRole(user, "teacher") && session.teacherId === user.id)) {
					return this.publicView(session);
				}
				throw notFound("RevisionSession", ctx.params.id);
			},
		},

		list: {
			rest: "GET /revision-sessions",
			params: {
				$$strict: "remove",
				pathId: { ...ID, optional: true },
				studentId: { ...ID, optional: true },
				status: { type: "enum", values: ["active", "completed", "abandoned"], optional: true },
				...PAGE_PARAMS,
			},
			async handler(this: any, ctx: Ctx<PageParams & { pathId?: string; studentId?: string; status?: string }>) {
				const user = currentUser(ctx);
				const filter: Filter = {};
				if (ctx.params.pathId) filter.pathId = ctx.params.pathId;
				if (ctx.params.status) filter.status = ctx.params.status;
				if (ctx.params.studentId) filter.studentId = ctx.params.studentId;
				const page = await this.pageScoped(ctx, callerScope(user, filter), ctx.params, { startedAt: -1, _id: -1 });
				return { ...page, rows: page.rows.map((s: SessionDoc) => this.publicView(s)) };
			},
		},

		expireIdle: {
			async handler(this: any, ctx: Ctx) {
				const cutoff = new Date(this.clock.now().getTime() - this.settings.idleMinutes * 60_000);
				let abandoned = 0;
				for (;;) {
					const idle = await this.model.find({ status: "active", lastActivityAt: { $lt: cutoff } }, { _id: 1, schoolId: 1 }).limit(EXPIRE_BATCH);
					for (const doc of idle) {
						// The job acts as the system, confined to the session's school for everything it calls.
						const meta: Meta = { user: { ...SYSTEM, roles: [...SYSTEM.roles], schoolId: String(doc.schoolId) } };
						try {
							const result = await this.actions.endAsSystem({ id: String(doc._id) }, { meta, parentCtx: ctx });
							if (result?.status === "abandoned") abandoned++;
						} catch (err) {
							this.logger.warn("Abandoning an idle revision session failed", String(doc._id), err);
						}
					}
					if (idle.length < EXPIRE_BATCH) break;
				}
				return { abandoned };
			},
		},

		/**
		 * One student's part of a teacher-led live session: the batch of one of recordGroupSessions (below).
		 * Answers `{id, status, ...summary}`.
		 */
		recordGroupSession: {
			params: { $$strict: "remove", ...GROUP_COMMON_PARAMS, ...GROUP_PART_PARAMS },
			async handler(this: any, ctx: Ctx<GroupSessionCommon & GroupSessionPart>) {
				const { studentId, answers, startedAt, ...common } = ctx.params;
				const [recorded] = await recordGroupSessions(this, ctx, common, [{ studentId, answers, startedAt }]);
				const { studentId: _student, ...result } = recorded;
				return result;
			},
		},

		/**
		 * Every student's part of a teacher-led live session, recorded whole when the session ends (the room
		 * already fed each answer to memory as it came): see sessions/record-group-sessions.ts. Idempotent by
		 * (live session, student): the ids are derived from them, so a repeated end stores nothing new and
		 * replays the (idempotent) effects. Answers `{sessions: [{studentId, id, status, ...summary}]}` in input order.
		 */
		recordGroupSessions: {
			params: {
				$$strict: "remove",
				...GROUP_COMMON_PARAMS,
				students: { type: "array", max: MAX_GROUP_BATCH, items: { type: "object", strict: "remove", props: GROUP_PART_PARAMS } },
			},
			async handler(this: any, ctx: Ctx<GroupSessionCommon & { students: GroupSessionPart[] }>) {
				const { students, ...common } = ctx.params;
				return { sessions: await recordGroupSessions(this, ctx, common, students) };
			},
		},

		/** The school's ended sessions as `learning.session.completed` messages (reporting rebuilds from them). */
		export: {
			params: EXPORT_PARAMS,
			handler(this: any, ctx: Ctx<ExportParams>) {
				return exportPage(this.model, ctx.params, { status: { $in: ["completed", "abandoned"] }, summary: { $ne: null } }, (doc: any) => on("learning.session.completed", [
					completedMessage({ ...doc, id: String(doc._id), schoolId: String(doc.schoolId), studentId: String(doc.studentId), pathId: String(doc.pathId), teacherId: String(doc.teacherId) }),
				]));
			},
		},

		endAsSystem: {
			visibility: "private",
			params: { id: ID },
			handler(this: any, ctx: Ctx<{ id: string }>) {
				return this.finish(ctx, ctx.params.id, "abandoned");
			},
		},
	},

	methods: {
		/** The caller's own session (another student's, or another school's, is not found). */
		async owned(this: any, ctx: Ctx<any>, id: string): Promise<SessionDoc> {
			const session: SessionDoc = await this.getScoped(ctx, id);
			if (session.studentId !== currentUser(ctx).id) throw notFound("RevisionSession", id);
			return this.restore(session);
		},

		/** Dates back as Dates, so the pure logic gets the state it expects. */
		restore(session: SessionDoc): SessionDoc {
			return {
				...session,
				startedAt: new Date(session.startedAt),
				lastActivityAt: new Date(session.lastActivityAt),
				endedAt: session.endedAt ? new Date(session.endedAt) : null,
				answers: session.answers.map(a => ({ ...a, answeredAt: new Date(a.answeredAt) })),
				queue: session.queue.map(q => ({ ...q, dueAt: q.dueAt ? new Date(q.dueAt) : null })),
			};
		},

		/** An empty queue is a 409 that says when something will be due (or that the day's new items are used up). */
		openOrExplain(this: any, queue: ReturnType<typeof planQueue>, mode: SessionMode, now: Date, states: MemoryStateRow[]): SessionState {
			try {
				return openSession(queue, mode, now);
			} catch (err: any) {
				const dues = states.map(s => new Date(s.due as string).getTime()).filter(t => t > now.getTime());
				if (dues.length > 0) err.data = { nextDueAt: new Date(Math.min(...dues)) };
				throw err;
			}
		},

		/**
		 * Records a kept answer in memory, under the session's key for the item and attempt: once, however often it
		 * is told. Memory rates a graded answer with the student's own response times (memory/rating.ts).
		 */
		tellMemory(this: any, ctx: Ctx<any>, session: SessionDoc, record: AnswerRecord, item: SessionItem) {
			const attempt = record.attempt ?? 1;
			return ctx.call("memory.recordReview", {
				reviewKey: attempt === 1 ? `revision:${session.id}:${record.itemId}` : `revision:${session.id}:${record.itemId}:${attempt}`,
				studentId: session.studentId,
				itemId: record.itemId,
				pathId: session.pathId,
				subject: session.subject,
				teacherId: session.teacherId,
				rating: record.rating,
				...(record.responseTimeMs === null ? {} : { responseTimeMs: Math.round(record.responseTimeMs) }),
				correct: record.correct,
				rateFromAnswer: item.kind !== "flashcard",
				extraTimePercent: session.extraTimePercent ?? 0,
				source: session.mode === "practice" ? "practice" : "solo",
				reviewedAt: record.answeredAt,
			}) as Promise<{ counted: boolean; rating: AnswerRecord["rating"]; after: { state: number; due: string | Date } }>;
		},

		async answerResponse(this: any, ctx: Ctx<any>, session: SessionState, record: AnswerRecord, item: SessionItem, now: Date) {
			const nextId = session.status === "active" ? currentItemId(session, now) : null;
			let next = null;
			if (nextId) {
				const [nextItem] = (await ctx.call("content.resolveMany", { ids: [nextId] })) as SessionItem[];
				if (nextItem) next = serve(nextItem);
			}
			// Nothing to serve yet but a learning step to come: when it falls due (null otherwise).
			const nextAt = !nextId && session.status === "active" ? nextStepAt(session, now) : null;
			return { itemId: record.itemId, ...answerFeedback(record, item as ContentItem & { id: string }), counted: record.counted, remaining: remaining(session), next, nextAt };
		},

		/**
		 * Ends a session (the student's request, or the idle job): stores the summary, then the effects, each
		 * idempotent (progress by session id, durable messages by their id), so a repeated end replays them safely.
		 */
		async finish(this: any, ctx: Ctx<any>, id: string, status: "completed" | "abandoned") {
			const ended: SessionDoc = await retryOnConflict(
				async () => {
					const session: SessionDoc = this.restore(await this.getScoped(ctx, id));
					if (session.status !== "active") return session;
					const { state, summary } = closeSession(session, this.clock.now(), status);
					// The summary sums the answers as read: one kept meanwhile makes this miss, and it is summed again.
					const res = await this.model.updateOne(this.tenantFilter(ctx, { _id: id, status: "active", answers: { $size: session.answers.length } }), {
						$set: { status: state.status, endedAt: state.endedAt, summary },
					});
					return res.matchedCount === 1 ? { ...session, status: state.status, endedAt: state.endedAt, summary } : RETRY;
				},
				{ message: "This session changed meanwhile, try again" },
			);
			if (status === "abandoned" && ended.status !== "abandoned") return { status: ended.status };
			await this.afterEnd(ctx, ended);
			return { id: ended.id, status: ended.status, ...ended.summary };
		},

		/** A solo end's effects; a group session's are recordGroupSessions' (the same entry and message, batched). */
		async afterEnd(this: any, ctx: Ctx<any>, session: SessionDoc): Promise<void> {
			const summary = session.summary!;
			const ended = { ...session, summary };
			await ctx.call("progress.recordSession", { pathId: session.pathId, ...progressEntry(ended) });
			await publishDurable(this.broker, "learning.session.completed", completedMessage(ended));
			// A group session's teacher was there: no notification per student.
			if (session.mode === "group") return;
			await publishDurable(this.broker, "notifications.requested", {
				id: `revision-ended:${session.id}`,
				schoolId: session.schoolId,
				userIds: [session.teacherId],
				type: "learning.session.completed",
				title: session.status === "completed" ? "A student finished a revision session" : "A student left a revision session",
				body: `${summary.answered} answered, ${Math.round(summary.successRate * 100)}% right`,
				data: { sessionId: session.id, studentId: session.studentId, pathId: session.pathId, stepId: session.stepId, ...summary, status: session.status },
			});
		},

		/** What any reader sees of a session: answers without the items' keys (those stay with the items). */
		publicView(session: SessionDoc) {
			const { extraTimePercent: _extra, ...rest } = session as SessionDoc & { extraTimePercent?: number };
			return rest;
		},

		async timeZone(this: any, ctx: Ctx<any>): Promise<string> {
			const school = (await ctx.call("schools.resolve", { id: callerSchoolId(ctx) })) as { timezone: string };
			return school.timezone;
		},
	},

	created(this: any) {
		this.clock = learningClock;
	},

	started(this: any) {
		this.expireTimer = setInterval(() => {
			this.broker
				.call("revisions.expireIdle", {}, { meta: { user: { ...SYSTEM, roles: [...SYSTEM.roles] } } })
				.catch((err: unknown) => this.logger.warn("Expiring idle revision sessions failed", err));
		}, EXPIRE_EVERY_MS);
		this.expireTimer.unref?.();
	},

	stopped(this: any) {
		clearInterval(this.expireTimer);
	},
};

export default RevisionsService;
