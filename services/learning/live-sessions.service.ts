/**
 * Teacher-led live sessions (issue 4, scenario "group revision"): the record of a session (who runs it,
 * for which class, path step and questions, the code students join with, the room that hosts it, the
 * final leaderboard). The live state itself lives in the Colyseus room (rooms/group.room.ts), which calls
 * this service for everything that must last: its questions when it opens, each batch of answers (one
 * review per answer in the student's memory, through `memory.recordReview` like solo revision), and the
 * end (one RevisionSession of mode "group" per student, through one `revisions.recordGroupSessions` per 1000 students).
 *
 * The room acts as the system principal of the session's school for `load`, `recordAnswers` and `finish`:
 * it graded the answers itself (sessions/session-logic.ts) and is the authority on time, so those
 * actions are internal. Clients only reach `create`, `join` and `get`, and `admit` through a room.
 */
import { LIVE_ANSWER_PROPS, type LiveAnswer, type LiveAnswerRecord } from "./live/live-answer.js";
import { LiveSession } from "../../models/live-session.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import { ClientError, conflict, ERR, forbidden, isDuplicateKey, notFound } from "../shared/errors.js";
import { callerSchoolId, currentUser, hasRole, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { isQuestionKind } from "./content/content-types.js";
import { learningClock } from "./learning-clock.js";
import { CODE_LENGTH, joinCode, normalizeCode } from "./live/live-scoring.js";
import type { PathDoc } from "./paths.service.js";
import { MAX_GROUP_BATCH } from "./sessions/record-group-sessions.js";
import type { SessionItem } from "./sessions/session-logic.js";
import { ID } from "../shared/params.js";
import { answersOf, keepAnswers, liveRoomId } from "./live/room-recovery.js";
import { LiveAnswer as LiveAnswerModel } from "../../models/live-answer.model.js";
import { liveSessionsPersonalData } from "./personal-data.js";

const CODE = { type: "string", min: CODE_LENGTH, max: CODE_LENGTH + 4, pattern: /^[A-Za-z0-9 -]+$/ } as const;
const DATE = { type: "date", convert: true } as const;
export const MAX_QUESTIONS = 50;
export const DEFAULT_QUESTIONS = 20;
export const DEFAULT_TIME_LIMIT_SECONDS = 30;

const FIELDS = [
	"id", "schoolId", "teacherId", "pathOwnerId", "classId", "pathId", "stepId", "subject", "code", "roomId", "itemIds",
	"timeLimitSeconds", "status", "startedAt", "endedAt", "endReason", "leaderboard", "createdAt",
];

interface LiveSessionDoc {
	id: string;
	schoolId: string;
	teacherId: string;
	pathOwnerId: string;
	classId: string;
	pathId: string;
	stepId: string;
	subject: string;
	code: string;
	roomId: string | null;
	itemIds: string[];
	timeLimitSeconds: number;
	status: "open" | "ended";
}


interface FinishParams {
	id: string;
	reason: string;
	startedAt: Date;
	endedAt: Date;
	students: { studentId: string; joinedAt: Date; answers: Omit<LiveAnswer, "studentId">[] }[];
	leaderboard: { studentId: string; score: number; rank: number; answered: number; correct: number }[];
}

const LiveSessionsService: ServiceDef = {
	name: "liveSessions",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [liveSessionsPersonalData, dbMixin(LiveSession, { fields: FIELDS })],

	actions: {
		create: {
			rest: "POST /live-sessions",
			params: {
				$$strict: "remove",
				classId: ID,
				pathId: ID,
				stepId: { type: "string", min: 1, max: 64 },
				questionCount: { type: "number", integer: true, min: 1, max: MAX_QUESTIONS, optional: true },
				timeLimitSeconds: { type: "number", integer: true, min: 5, max: 600, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ classId: string; pathId: string; stepId: string; questionCount?: number; timeLimitSeconds?: number }>) {
				const teacher = currentUser(ctx);
				const { classId, pathId, stepId } = ctx.params;
				const [entitled, membership, path] = (await Promise.all([
					ctx.call("subscriptions.check", { feature: "live_sessions" }),
					ctx.call("classes.membership", { userId: teacher.id }),
					ctx.call("paths.resolve", { id: pathId }),
				])) as [{ allowed: boolean; reason?: string }, { teaches: string[] }, PathDoc];
				if (!entitled.allowed) {
					throw forbidden("Your school's plan does not include live sessions", entitled.reason === ERR.SUBSCRIPTION_INACTIVE ? ERR.SUBSCRIPTION_INACTIVE : ERR.PLAN_FORBIDS);
				}
				if (!membership.teaches.includes(classId)) throw forbidden("You do not teach this class");
				if (path.ownerId !== teacher.id && !(path.classIds ?? []).includes(classId)) {
					throw forbidden("This path is neither yours nor assigned to this class");
				}
				if (path.status !== "active") throw new ClientError("This path is not active", 409, ERR.PATH_INACTIVE);
				const step = path.steps.find(s => s.id === stepId);
				if (!step) throw notFound("LearningStep", stepId);
				if (step.kind === "evaluation") throw conflict("An evaluation step cannot be run as a live session");
				const items = (await ctx.call("content.resolveMany", { ids: step.itemIds })) as SessionItem[];
				// Lessons take no answer and flashcards are self-rated: neither can be scored against a class.
				const questions = items.filter(i => isQuestionKind(i.kind)).slice(0, ctx.params.questionCount ?? DEFAULT_QUESTIONS);
				if (questions.length === 0) throw conflict("This step has no question to ask live", ERR.NOTHING_TO_REVIEW);

				const created: LiveSessionDoc = await this.insertWithCode(ctx, {
					teacherId: teacher.id,
					pathOwnerId: path.ownerId,
					classId,
					pathId,
					stepId,
					subject: path.subject,
					itemIds: questions.map(q => q.id),
					timeLimitSeconds: ctx.params.timeLimitSeconds ?? DEFAULT_TIME_LIMIT_SECONDS,
				});
				let roomId: string;
				try {
					({ roomId } = (await ctx.call("realtime.openGroupRoom", { liveSessionId: created.id, code: created.code })) as { roomId: string });
				} catch (err) {
					// No room, no session: a code that leads nowhere is worse than a retry.
					await this.model.deleteOne(this.tenantFilter(ctx, { _id: created.id }));
					throw err;
				}
				const updated = await this.updateScoped(ctx, created.id, { $set: { roomId } });
				ctx.meta.$statusCode = 201;
				return this.view(updated);
			},
		},

		join: {
			rest: "POST /live-sessions/join",
			params: { $$strict: "remove", code: CODE },
			async handler(this: any, ctx: Ctx<{ code: string }>) {
				const { session, role } = await this.admission(ctx, { code: ctx.params.code });
				// The room's realtime process may have died: the session then resumes in a new room (issue 16).
				const roomId = await liveRoomId(this, ctx, session);
				return { id: session.id, roomId, role, status: session.status, questionCount: session.itemIds.length };
			},
		},

		get: {
			rest: "GET /live-sessions/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const user = currentUser(ctx);
				const session: LiveSessionDoc = await this.getScoped(ctx, ctx.params.id);
				if (!hasRole(user, "school_admin") && session.teacherId !== user.id) throw notFound("LiveSession", ctx.params.id);
				return this.view(session);
			},
		},

		/** For the agenda (communication): the live sessions of the classes a user teaches or attends, in a range. */
		agenda: {
			params: { $$strict: "remove", userId: ID, from: { type: "date", convert: true }, to: { type: "date", convert: true } },
			async handler(this: any, ctx: Ctx<{ userId: string; from: Date; to: Date }>) {
				const { teaches, attends } = (await ctx.call("classes.membership", { userId: ctx.params.userId })) as { teaches: string[]; attends: string[] };
				const classIds = [...teaches, ...attends];
				if (classIds.length === 0) return [];
				const docs: LiveSessionDoc[] = await this.findScoped(ctx, { classId: { $in: classIds }, createdAt: { $lt: ctx.params.to }, $or: [{ endedAt: null }, { endedAt: { $gt: ctx.params.from } }] }, { createdAt: 1 });
				return docs.slice(0, 200).map((s: any) => ({
					id: s.id,
					classId: s.classId,
					title: `Live session: ${s.subject}`,
					status: s.status,
					start: new Date(s.startedAt ?? s.createdAt).toISOString(),
					end: new Date(s.endedAt ?? Math.max(Date.now(), new Date(s.startedAt ?? s.createdAt).getTime())).toISOString(),
				}));
			},
		},

		/** Rooms, as the joining user: may they take part, and as what? By id (joinById) or by code. */
		admit: {
			params: { $$strict: "remove", id: { ...ID, optional: true }, code: { ...CODE, optional: true } },
			async handler(this: any, ctx: Ctx<{ id?: string; code?: string }>) {
				const { session, role } = await this.admission(ctx, ctx.params);
				return { id: session.id, role, roomId: session.roomId };
			},
		},

		/** The room, as the school's system principal, when it opens: the questions with their keys. */
		load: {
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const session: LiveSessionDoc = await this.getScoped(ctx, ctx.params.id);
				if (session.status === "ended") throw conflict("This live session has ended", ERR.SESSION_CLOSED);
				const [items, roster] = (await Promise.all([
					ctx.call("content.resolveMany", { ids: session.itemIds }),
					ctx.call("classes.roster", { id: session.classId }).catch((err: { code?: number }) => {
						// A class removed since the session opened: its teacher alone may still end it.
						if (err?.code === 404) return { teacherIds: [session.teacherId], studentIds: [] };
						throw err;
					}),
				])) as [SessionItem[], { teacherIds: string[]; studentIds: string[] }];
				const teachers = new Set([...roster.teacherIds, session.teacherId]);
				return { ...session, items, seats: teachers.size + roster.studentIds.length };
			},
		},

		/**
		 * A batch of graded answers (of one or several live sessions of the school), each recorded as a review in the student's memory (source group, at its
		 * true time, outside the daily quota: nothing here counts new items). Each answer succeeds or fails
		 * on its own; a retry of the same (session, student, item) is answered from the first recording.
		 */
		recordAnswers: {
			params: {
				$$strict: "remove",
				answers: {
					type: "array",
					min: 1,
					max: 500,
					items: {
						type: "object",
						strict: "remove",
						props: {
							liveSessionId: ID,
							pathId: ID,
							teacherId: ID,
							subject: { type: "string", min: 1, max: 100 },
							studentId: ID,
							...LIVE_ANSWER_PROPS,
							// What a room that takes over after a crash needs (issue 16): which question, how many points.
							questionIndex: { type: "number", integer: true, min: 0, max: 1000, optional: true },
							points: { type: "number", min: 0, max: 1000, optional: true },
							answer: { type: "any", optional: true },
						},
					},
				},
			},
			async handler(this: any, ctx: Ctx<{ answers: LiveAnswerRecord[] }>) {
				// The students' extra-time accommodations, for the rating rule (one read for the batch).
				const students = (await ctx.call("users.resolveMany", { ids: [...new Set(ctx.params.answers.map(a => a.studentId))], roles: ["student"] })) as {
					id: string;
					studentProfile?: { accommodations?: { extraTimePercent?: number } };
				}[];
				const extraTime = new Map(students.map(u => [String(u.id), u.studentProfile?.accommodations?.extraTimePercent ?? 0]));
				// One memory.recordReviews per batch, whatever the rooms it gathers: a burst of answers costs a few round trips.
				const { results } = (await ctx.call("memory.recordReviews", {
					reviews: ctx.params.answers.map(a => ({
						// a review question's answer (a learning step, asked again) is another review: its own key
						reviewKey: `live:${a.liveSessionId}:${a.studentId}:${a.itemId}${a.attempt && a.attempt > 1 ? `:${a.attempt}` : ""}`,
						studentId: a.studentId,
						itemId: a.itemId,
						pathId: a.pathId,
						subject: a.subject,
						teacherId: a.teacherId,
						rating: a.rating,
						...(a.responseTimeMs === null || a.responseTimeMs === undefined ? {} : { responseTimeMs: Math.round(a.responseTimeMs) }),
						correct: a.correct,
						// memory rates the answer with the student's own response times (memory/rating.ts)
						rateFromAnswer: true,
						extraTimePercent: extraTime.get(a.studentId) ?? 0,
						source: "group",
						reviewedAt: a.answeredAt,
					})),
				})) as { results: ({ ok: true; duplicate: boolean; rating: number; after: { state: number; due: Date } } | { ok: false; error: { type: string; message: string } })[] };
				// What memory made of each answer: the rating applied, and the card's state and due time (the room serves learning steps again).
				// Before the room acknowledges them: what a room resuming the session rebuilds it from.
				await keepAnswers(callerSchoolId(ctx), ctx.params.answers.filter((_, i) => results[i]?.ok));
				return {
					results: results.map(r =>
						r.ok
							? { ok: true as const, duplicate: !!r.duplicate, rating: r.rating, state: r.after.state, due: r.after.due }
							: { ok: false as const, error: { type: r.error.type, message: r.error.message } },
					),
				};
			},
		},

		/** The room, at each step: where the session is (issue 16: a room taking over resumes there). */
		checkpoint: {
			params: {
				$$strict: "remove",
				id: ID,
				questionIndex: { type: "number", integer: true, min: -1, max: MAX_QUESTIONS },
				phase: { type: "enum", values: ["lobby", "question", "revealed"] },
				deadline: { type: "date", convert: true, nullable: true, optional: true },
				remainingMs: { type: "number", min: 0, nullable: true, optional: true },
				sessionStartedAt: { type: "date", convert: true, nullable: true, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ id: string; questionIndex: number; phase: string; deadline?: Date | null; remainingMs?: number | null; sessionStartedAt?: Date | null }>) {
				const { id, questionIndex, phase, deadline, remainingMs, sessionStartedAt } = ctx.params;
				// Never backwards: a late checkpoint of an earlier question does not undo a later one.
				await this.model.updateOne(this.tenantFilter(ctx, { _id: id, status: "open", $or: [{ progress: null }, { "progress.questionIndex": { $lte: questionIndex } }] }), {
					$set: { progress: { questionIndex, phase, deadline: deadline ?? null, remainingMs: remainingMs ?? null, sessionStartedAt: sessionStartedAt ?? null, at: new Date() } },
				});
				return { ok: true };
			},
		},

		/** A room taking over a session whose process died: where it was, and every acknowledged answer. */
		resumeState: {
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const doc = await this.model.findOne(this.tenantFilter(ctx, { _id: ctx.params.id }), { progress: 1, status: 1 }).lean();
				if (!doc) throw notFound("LiveSession", ctx.params.id);
				return { progress: doc.progress ?? null, answers: await answersOf(callerSchoolId(ctx), ctx.params.id) };
			},
		},

		/**
		 * The end: one RevisionSession (mode group) per student who took part, then the session closed with
		 * its leaderboard. Safe to repeat (each recording is idempotent; the close is conditional).
		 */
		finish: {
			params: {
				$$strict: "remove",
				id: ID,
				reason: { type: "string", min: 1, max: 40 },
				startedAt: DATE,
				endedAt: DATE,
				students: {
					type: "array",
					max: 1000,
					items: {
						type: "object",
						strict: "remove",
						// the planned questions, and as many review questions at most (rooms/group.room.ts)
						props: { studentId: ID, joinedAt: DATE, answers: { type: "array", max: 2 * MAX_QUESTIONS, items: { type: "object", strict: "remove", props: LIVE_ANSWER_PROPS } } },
					},
				},
				leaderboard: {
					type: "array",
					max: 1000,
					items: {
						type: "object",
						strict: "remove",
						props: { studentId: ID, score: "number", rank: "number", answered: "number", correct: "number" },
					},
				},
			},
			async handler(this: any, ctx: Ctx<FinishParams>) {
				const p = ctx.params;
				const session: LiveSessionDoc = await this.getScoped(ctx, p.id);
				// One revisions.recordGroupSessions per chunk: a handful of round trips per session, not ~12 per student.
				const sessions: { studentId: string; revisionSessionId: string }[] = [];
				for (let from = 0; from < p.students.length; from += MAX_GROUP_BATCH) {
					const chunk = p.students.slice(from, from + MAX_GROUP_BATCH);
					const recorded = (await ctx.call("revisions.recordGroupSessions", {
						liveSessionId: session.id,
						pathId: session.pathId,
						stepId: session.stepId,
						teacherId: session.pathOwnerId,
						subject: session.subject,
						itemIds: session.itemIds,
						endedAt: p.endedAt,
						students: chunk.map(student => ({
							studentId: student.studentId,
							answers: student.answers,
							startedAt: new Date(Math.max(new Date(student.joinedAt).getTime(), new Date(p.startedAt).getTime())),
						})),
					})) as { sessions: { studentId: string; id: string }[] };
					sessions.push(...recorded.sessions.map(r => ({ studentId: r.studentId, revisionSessionId: r.id })));
				}
				await this.model.updateOne(this.tenantFilter(ctx, { _id: session.id, status: "open" }), {
					$set: { status: "ended", startedAt: p.startedAt, endedAt: p.endedAt, endReason: p.reason, leaderboard: p.leaderboard },
				});
				return { id: session.id, status: "ended", sessions };
			},
		},
	},

	methods: {
		/** Inserts with a fresh join code, drawing again on the (rare) collision with any school's code. */
		async insertWithCode(this: any, ctx: Ctx<any>, doc: Record<string, unknown>): Promise<LiveSessionDoc> {
			for (let attempt = 0; ; attempt++) {
				try {
					return await this.insertScoped(ctx, { ...doc, code: joinCode(), status: "open" });
				} catch (err) {
					if (!isDuplicateKey(err) || attempt >= 5) throw err;
				}
			}
		},

		/**
		 * The session (of the caller's school: another school's id or code is not found) and the caller's
		 * part in it: its teacher or a teacher of its class, or a student of its class. Nobody else: the
		 * room has one seat per member of the class.
		 */
		async admission(this: any, ctx: Ctx<any>, by: { id?: string; code?: string }): Promise<{ session: LiveSessionDoc; role: "teacher" | "student" }> {
			const user = currentUser(ctx);
			let session: LiveSessionDoc | null = null;
			if (by.id) session = await this.getScoped(ctx, by.id);
			else if (by.code) {
				const doc = await this.model.findOne(this.tenantFilter(ctx, { code: normalizeCode(by.code) }));
				session = doc ? await this.toJSON(ctx, doc) : null;
			}
			if (!session) throw notFound("LiveSession", by.id ?? by.code);
			if (session.status === "ended") throw conflict("This live session has ended", ERR.SESSION_CLOSED);
			if (hasRole(user, "teacher") && session.teacherId === user.id) return { session, role: "teacher" };
			if (hasRole(user, "teacher", "student")) {
				const membership = (await ctx.call("classes.membership", { userId: user.id })) as { teaches: string[]; attends: string[] };
				if (hasRole(user, "teacher") && membership.teaches.includes(session.classId)) return { session, role: "teacher" };
				if (hasRole(user, "student") && membership.attends.includes(session.classId)) return { session, role: "student" };
			}
			throw forbidden("You do not take part in this live session");
		},

		view(session: LiveSessionDoc & Record<string, unknown>) {
			const { pathOwnerId: _owner, ...rest } = session;
			return { ...rest, joinCode: session.code, questionCount: session.itemIds.length };
		},
	},

	created(this: any) {
		this.clock = learningClock;
	},

	async started(this: any) {
		// The answers a resuming room reads (issue 16): unique per (session, student, item).
		await LiveAnswerModel.init();
	},
};

export default LiveSessionsService;
