/**
 * Evaluations: a graded, timed quiz on an evaluation step, with a set number of attempts and no help
 * (no feedback before the attempt is submitted). Attempts are stored apart from revision sessions; each
 * answer still reaches the memory model (source "evaluation"), and a passed attempt completes the step.
 * Grading and rating are the revision session's own (sessions/session-logic.ts `evaluate`).
 *
 * No lock: starting rests on the unique (school, student, path, step, attemptNo) index (two starts at once
 * insert the same attempt number, one is refused and resumes the other's attempt); submitting is one
 * conditional update from in_progress to submitted (of racing submits exactly one is stored), and only
 * then are its effects (memory, progress, the durable message) applied, each idempotent, so a repeated
 * submit replays them and completes what a stopped request left undone.
 */
import { EvaluationAttempt } from "../../models/evaluation-attempt.model.js";
import { dbMixin, PAGE_PARAMS, type Filter, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { ClientError, conflict, ERR, invalid, isDuplicateKey, notFound } from "../shared/errors.js";
import { currentUser, hasRole, type Ctx } from "../shared/identity.js";
import { RETRY, retryOnConflict } from "../shared/optimistic.js";
import type { ServiceDef } from "../shared/service.js";
import { isQuestionKind } from "./content/content-types.js";
import { revealed } from "./content/redact.js";
import { learningClock } from "./learning-clock.js";
import type { PathDoc } from "./paths.service.js";
import type { Step } from "./paths/path-rules.js";
import { callerScope, STUDENT_STEP_FIELDS, type StudentStepRecord } from "./sessions/student-step.js";
import { evaluate, serve, type SessionItem } from "./sessions/session-logic.js";
import { ID } from "../shared/params.js";
import { ANSWER_RULE } from "./content/answer-format.js";
import { EXPORT_PARAMS, exportPage, on, type ExportParams } from "../shared/feed-export.js";
import { evaluationsPersonalData } from "./personal-data.js";

/** Answers arriving this long after the deadline still count (the network, a slow submit button). */
export const SUBMIT_GRACE_MS = 30_000;

const FIELDS = [
	...STUDENT_STEP_FIELDS, "attemptNo", "itemIds", "status", "startedAt", "deadline", "submittedAt", "passScore", "answers", "score",
	"passed", "createdAt",
];

interface AttemptDoc extends StudentStepRecord {
	attemptNo: number;
	itemIds: string[];
	status: "in_progress" | "submitted" | "expired";
	startedAt: Date;
	deadline: Date;
	submittedAt: Date | null;
	passScore: number;
	answers: { itemId: string; answered: boolean; correct: boolean; score: number; rating: number; responseTimeMs: number | null }[];
	score: number | null;
	passed: boolean | null;
}

interface SubmittedAnswer {
	itemId: string;
	answer: unknown;
	responseTimeMs?: number;
}

const EvaluationsService: ServiceDef = {
	name: "evaluations",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [evaluationsPersonalData, dbMixin(EvaluationAttempt, { fields: FIELDS })],

	actions: {
		start: {
			rest: "POST /evaluations",
			params: { $$strict: "remove", pathId: ID, stepId: ID },
			async handler(this: any, ctx: Ctx<{ pathId: string; stepId: string }>) {
				const student = currentUser(ctx);
				const { path, step, items } = (await ctx.call("paths.forStudent", { ...ctx.params, studentId: student.id })) as {
					path: PathDoc;
					step: Step;
					items: SessionItem[];
				};
				if (step.kind !== "evaluation" || !step.evaluation) throw conflict("This step is not an evaluation: revise it with POST /revision-sessions");
				const questions = items.filter(i => isQuestionKind(i.kind));
				if (questions.length === 0) throw conflict("This evaluation has no questions yet");
				const settings = step.evaluation;
				const attempt: AttemptDoc = await retryOnConflict(async () => {
					const now = this.clock.now();
					const previous: AttemptDoc[] = await this.findScoped(ctx, { studentId: student.id, pathId: path.id, stepId: step.id }, { attemptNo: 1 });
					const open = previous.find(a => a.status === "in_progress");
					if (open && !this.isLate(open, now)) return open; // resuming, not a new attempt
					if (open) await this.model.updateOne(this.tenantFilter(ctx, { _id: open.id, status: "in_progress" }), { $set: { status: "expired" } });
					if (previous.length >= settings.maxAttempts) {
						throw conflict(`No attempts left (${settings.maxAttempts} allowed)`, ERR.NO_ATTEMPTS_LEFT, { maxAttempts: settings.maxAttempts });
					}
					try {
						return await this.insertScoped(ctx, {
							studentId: student.id,
							pathId: path.id,
							stepId: step.id,
							teacherId: path.ownerId,
							subject: path.subject,
							attemptNo: previous.length + 1,
							itemIds: questions.map(q => q.id),
							status: "in_progress",
							startedAt: now,
							deadline: new Date(now.getTime() + settings.timeLimitSeconds * 1000),
							passScore: settings.passScore,
						});
					} catch (err) {
						// Another start took this attempt number at the same moment: read again and resume it.
						if (isDuplicateKey(err)) return RETRY;
						throw err;
					}
				}, { attempts: 4, message: "Another attempt was started at the same moment; try again" });
				ctx.meta.$statusCode = 201;
				const byId = new Map(questions.map(q => [q.id, q]));
				return this.studentView(attempt, attempt.itemIds.map(id => byId.get(id)).filter(Boolean), settings.maxAttempts);
			},
		},

		submit: {
			rest: "POST /evaluations/:id/submit",
			params: {
				$$strict: "remove",
				id: ID,
				answers: {
					type: "array",
					max: 500,
					items: {
						type: "object",
						strict: "remove",
						props: { itemId: ID, answer: ANSWER_RULE, responseTimeMs: { type: "number", integer: true, min: 0, max: 86_400_000, optional: true } },
					},
				},
			},
			async handler(this: any, ctx: Ctx<{ id: string; answers: SubmittedAnswer[] }>) {
				const own: AttemptDoc = await this.owned(ctx, ctx.params.id);
				const items = (await ctx.call("content.resolveMany", { ids: own.itemIds })) as SessionItem[];
				const byId = new Map(items.map(i => [i.id, i]));
				if (own.status === "submitted") return this.afterSubmit(ctx, own, byId);
				const now = this.clock.now();
				if (own.status === "expired" || this.isLate(own, now)) {
					await this.model.updateOne(this.tenantFilter(ctx, { _id: own.id, status: "in_progress" }), { $set: { status: "expired" } });
					throw conflict("The time for this evaluation is over", ERR.DEADLINE_PASSED, { deadline: own.deadline });
				}
				// Every answer is checked before anything is written: a malformed one is a 422 with nothing stored.
				const given = new Map<string, SubmittedAnswer>();
				ctx.params.answers.forEach((a, i) => {
					if (!own.itemIds.includes(a.itemId)) throw invalid(`answers[${i}].itemId`, "is not a question of this evaluation");
					if (given.has(a.itemId)) throw invalid(`answers[${i}].itemId`, "is answered twice");
					given.set(a.itemId, a);
				});
				const graded = own.itemIds.map((itemId, i) => {
					const item = byId.get(itemId);
					const a = given.get(itemId);
					if (!item || !a) return { itemId, answered: false, correct: false, score: 0, rating: 1, responseTimeMs: null };
					try {
						const r = evaluate(item, a.answer, a.responseTimeMs ?? null, 0);
						return { itemId, answered: true, correct: r.correct, score: r.score, rating: r.rating, responseTimeMs: a.responseTimeMs ?? null };
					} catch (err) {
						if (err instanceof ClientError) {
							const index = ctx.params.answers.findIndex(x => x.itemId === itemId);
							throw new ClientError(`Invalid answer to question ${i + 1}`, 422, ERR.VALIDATION, [{ field: `answers[${index}].answer`, message: err.message, details: err.data }]);
						}
						throw err;
					}
				});
				const score = Math.round((graded.reduce((s, g) => s + g.score, 0) / own.itemIds.length) * 10_000) / 10_000;
				const passed = score >= own.passScore;
				// One conditional update: of racing submits exactly one is stored; the others answer with it.
				const stored = await this.model.findOneAndUpdate(
					this.tenantFilter(ctx, { _id: own.id, status: "in_progress" }),
					{ $set: { status: "submitted", submittedAt: now, answers: graded, score, passed } },
					{ new: true },
				);
				const attempt: AttemptDoc = stored ? await this.toJSON(ctx, stored) : await this.owned(ctx, ctx.params.id);
				if (attempt.status !== "submitted") throw conflict("The time for this evaluation is over", ERR.DEADLINE_PASSED, { deadline: attempt.deadline });
				return this.afterSubmit(ctx, attempt, byId);
			},
		},

		get: {
			rest: "GET /evaluations/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const user = currentUser(ctx);
				const attempt: AttemptDoc = await this.getScoped(ctx, ctx.params.id);
				const items = (await ctx.call("content.resolveMany", { ids: attempt.itemIds })) as SessionItem[];
				const byId = new Map(items.map(i => [i.id, i]));
				if (attempt.studentId === user.id) {
					// no help before submission: the questions only, as when the attempt started
					if (attempt.status === "submitted") return this.result(attempt, byId);
					return this.studentView(attempt, attempt.itemIds.map(id => byId.get(id)).filter(Boolean), null);
				}
				if (hasRole(user, "school_admin") || (hasRole(user, "teacher") && attempt.teacherId === user.id)) return this.result(attempt, byId);
				throw notFound("EvaluationAttempt", ctx.params.id);
			},
		},

		list: {
			rest: "GET /evaluations",
			params: { $$strict: "remove", pathId: { ...ID, optional: true }, stepId: { ...ID, optional: true }, studentId: { ...ID, optional: true }, ...PAGE_PARAMS },
			async handler(this: any, ctx: Ctx<PageParams & { pathId?: string; stepId?: string; studentId?: string }>) {
				const user = currentUser(ctx);
				const filter: Filter = {};
				for (const key of ["pathId", "stepId", "studentId"] as const) if (ctx.params[key]) filter[key] = ctx.params[key];
				const page = await this.pageScoped(ctx, callerScope(user, filter), ctx.params, { startedAt: -1, _id: -1 });
				// a list shows scores, never answers: those are in the attempt itself
				return { ...page, rows: page.rows.map((a: AttemptDoc) => ({ ...a, answers: undefined })) };
			},
		},

		/** Whether the student is sitting an evaluation of this path right now (the AI tutor is off then). */
		/** The school's submitted attempts as `learning.evaluation.submitted` messages (reporting rebuilds from them). */
		export: {
			params: EXPORT_PARAMS,
			handler(this: any, ctx: Ctx<ExportParams>) {
				return exportPage(this.model, ctx.params, { status: "submitted" }, (doc: any) => on("learning.evaluation.submitted", [
					this.submittedMessage({ ...doc, id: String(doc._id), schoolId: String(doc.schoolId), studentId: String(doc.studentId), pathId: String(doc.pathId), teacherId: String(doc.teacherId) }),
				]));
			},
		},

		inProgress: {
			params: { $$strict: "remove", studentId: ID, pathId: ID },
			async handler(this: any, ctx: Ctx<{ studentId: string; pathId: string }>) {
				const open: AttemptDoc[] = await this.findScoped(ctx, { studentId: ctx.params.studentId, pathId: ctx.params.pathId, status: "in_progress" });
				const now = this.clock.now();
				const current = open.find(a => !this.isLate(a, now));
				return current ? { inProgress: true, attemptId: current.id, stepId: current.stepId, deadline: current.deadline } : { inProgress: false };
			},
		},
	},

	methods: {
		/** The durable `learning.evaluation.submitted` of a submitted attempt (also what `export` replays). */
		submittedMessage(attempt: AttemptDoc) {
			return {
				id: `learning.evaluation.submitted:${attempt.id}`,
				schoolId: attempt.schoolId,
				occurredAt: new Date(attempt.submittedAt!).toISOString(),
				attemptId: attempt.id,
				studentId: attempt.studentId,
				pathId: attempt.pathId,
				stepId: attempt.stepId,
				teacherId: attempt.teacherId,
				attemptNo: attempt.attemptNo,
				score: attempt.score,
				passed: attempt.passed,
			};
		},

		async owned(this: any, ctx: Ctx<any>, id: string): Promise<AttemptDoc> {
			const attempt: AttemptDoc = await this.getScoped(ctx, id);
			if (attempt.studentId !== currentUser(ctx).id) throw notFound("EvaluationAttempt", id);
			return attempt;
		},

		/**
		 * The effects of a submitted attempt, each idempotent (memory by review key, progress by attempt id, the
		 * durable message by its id), then the result. Run again by every repeated submit, so one that stopped
		 * halfway is completed by the retry.
		 */
		async afterSubmit(this: any, ctx: Ctx<any>, attempt: AttemptDoc, byId: Map<string, SessionItem>) {
			const submittedAt = new Date(attempt.submittedAt!);
			// Memory rates each answer with the student's own response times (memory/rating.ts); the attempt keeps
			// memory's rating. A repeated submit replays the same reviews, so it finds the same ratings.
			const rated = new Map<string, number>();
			for (const g of attempt.answers.filter(x => x.answered)) {
				const recorded = (await ctx.call("memory.recordReview", {
					reviewKey: `evaluation:${attempt.id}:${g.itemId}`,
					studentId: attempt.studentId,
					itemId: g.itemId,
					pathId: attempt.pathId,
					subject: attempt.subject,
					teacherId: attempt.teacherId,
					rating: g.rating,
					...(g.responseTimeMs === null ? {} : { responseTimeMs: g.responseTimeMs }),
					correct: g.correct,
					rateFromAnswer: true,
					source: "evaluation",
					reviewedAt: submittedAt,
				})) as { rating: number };
				if (recorded.rating !== g.rating) rated.set(g.itemId, recorded.rating);
			}
			if (rated.size > 0) {
				const answers = attempt.answers.map(a => (rated.has(a.itemId) ? { ...a, rating: rated.get(a.itemId)! } : a));
				await this.model.updateOne(this.tenantFilter(ctx, { _id: attempt.id, status: "submitted" }), { $set: { answers } });
				attempt = { ...attempt, answers };
			}
			await ctx.call("progress.recordSession", {
				studentId: attempt.studentId,
				pathId: attempt.pathId,
				stepId: attempt.stepId,
				sessionId: attempt.id,
				kind: "evaluation",
				score: attempt.score,
				answered: attempt.answers.filter(g => g.answered).length,
				successRate: attempt.answers.filter(g => g.correct).length / attempt.itemIds.length,
				timeSpentMs: submittedAt.getTime() - new Date(attempt.startedAt).getTime(),
				passed: attempt.passed,
			});
			await publishDurable(this.broker, "learning.evaluation.submitted", this.submittedMessage(attempt));
			return this.result(attempt, byId);
		},

		isLate(attempt: AttemptDoc, now: Date): boolean {
			return now.getTime() > new Date(attempt.deadline).getTime() + SUBMIT_GRACE_MS;
		},

		/** Before submission: the questions without their keys, and the clock. */
		studentView(this: any, attempt: AttemptDoc, items: SessionItem[], maxAttempts: number | null) {
			return {
				id: attempt.id,
				pathId: attempt.pathId,
				stepId: attempt.stepId,
				status: attempt.status,
				attemptNo: attempt.attemptNo,
				...(maxAttempts === null ? {} : { maxAttempts, attemptsLeft: Math.max(0, maxAttempts - attempt.attemptNo) }),
				startedAt: attempt.startedAt,
				deadline: attempt.deadline,
				items: items.map(serve),
			};
		},

		/** After submission: the grade of each question and, now, its key. */
		result(attempt: AttemptDoc, byId: Map<string, SessionItem>) {
			return {
				id: attempt.id,
				pathId: attempt.pathId,
				stepId: attempt.stepId,
				studentId: attempt.studentId,
				status: attempt.status,
				attemptNo: attempt.attemptNo,
				startedAt: attempt.startedAt,
				deadline: attempt.deadline,
				submittedAt: attempt.submittedAt,
				score: attempt.score,
				passScore: attempt.passScore,
				passed: attempt.passed,
				results:
					attempt.status === "submitted"
						? attempt.answers.map(a => {
								const item = byId.get(a.itemId);
								return { ...a, feedback: item ? revealed(item) : null };
							})
						: [],
			};
		},
	},

	created(this: any) {
		this.clock = learningClock;
	},
};

export default EvaluationsService;
