/**
 * The memory model's store: one MemoryState (the FSRS card) per (student, item), and a ReviewLog entry
 * per answer. `recordReview` is the only way a review reaches it, whether it comes from a solo session,
 * a live group room, an evaluation or practice; it applies memory/scheduler.ts `review()` at the
 * answer's true time with the student's resolved profile.
 *
 * Writing one review touches two documents without a transaction, so the order and the guards matter:
 * 1. The new card is computed in JS (FSRS) from the state as read: a read-modify-write of one document,
 *    guarded optimistically. Two answers to the same item (two tabs, a group room and a solo session) are
 *    applied one after the other, each on the state the previous one left, with no lock.
 * 2. The log entry is written first; its `reviewKey` is unique, so a retry finds it and gets the first
 *    result back without writing anything.
 * 3. The state is then written conditionally on the `reps` and `last_review` it was computed from (its
 *    version: every counted review changes both). If another review got there first, the write matches
 *    nothing: the log entry is deleted again and the review is computed anew on the state now stored
 *    (services/shared/optimistic.ts: a bounded number of times, then 409). If the process dies between 2
 *    and 3, the retry (same key) sees a log entry whose result the state does not hold yet, and completes
 *    the write.
 */
import mongoose from "mongoose";
import { MemoryState } from "../../models/memory-state.model.js";
import { REVIEW_SOURCES, ReviewLog } from "../../models/review-log.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import { ClientError, conflict, ERR, isDuplicateKey, notFound } from "../shared/errors.js";
import { callerSchoolId, type Ctx } from "../shared/identity.js";
import { RETRY, retryOnConflict } from "../shared/optimistic.js";
import { recordBatch, type BatchResult } from "./memory/record-batch.js";
import type { ServiceDef } from "../shared/service.js";
import { learningClock } from "./learning-clock.js";
import type { ProfileValues } from "./memory/profile-layers.js";
import { cardFromJSON, retrievability, type MemoryCard, type ReviewSource } from "./memory/scheduler.js";
import { CARD_FIELDS, cardOf, reviewStep, type ReviewInput } from "./memory/review-step.js";
import { appendSamples, readDigests } from "./memory/response-digests.js";
import { responseSample, type RatedItem } from "./memory/response-times.js";
import { memoryStateId, reviewLogId } from "./memory/natural-ids.js";
import { dueCutoff } from "./memory/spacing.js";
import { publishReviews, reviewRecordedMessage, type ReviewFeedInput } from "./memory/review-feed.js";
import { EXPORT_PARAMS, exportPage, on, type ExportParams } from "../shared/feed-export.js";
import { memoryPersonalData } from "./personal-data.js";

const ID = { type: "string", length: 24, pattern: /^[0-9a-f]{24}$/i } as const;
const DATE = { type: "date", convert: true } as const;
/** How far ahead of the clock a client-stamped answer may be (clock skew between nodes). */
const MAX_FUTURE_MS = 60_000;
const MAX_HISTORY = 100_000;

const REVIEW_PROPS = {
	reviewKey: { type: "string", min: 1, max: 200 },
	studentId: ID,
	itemId: ID,
	pathId: { ...ID, optional: true },
	subject: { type: "string", max: 100, optional: true },
	teacherId: { ...ID, optional: true },
	rating: { type: "number", integer: true, min: 1, max: 4 },
	responseTimeMs: { type: "number", integer: true, min: 0, max: 86_400_000, optional: true },
	correct: { type: "boolean", optional: true },
	rateFromAnswer: { type: "boolean", optional: true },
	extraTimePercent: { type: "number", min: 0, max: 1000, optional: true },
	source: { type: "enum", values: [...REVIEW_SOURCES] },
	reviewedAt: DATE,
} as const;
/** A live room's batch is at most liveSessions.recordAnswers' 500 answers. */
const MAX_BATCH = 500;


export type RecordReviewParams = ReviewInput;

export interface RecordReviewResult {
	logId: string;
	duplicate: boolean;
	/** Whether the memory state changed (false for a practice answer on an item not yet due). */
	counted: boolean;
	source: ReviewSource;
	rating: number;
	reviewedAt: Date;
	before: MemoryCard | null;
	after: MemoryCard;
	/** Probability of recall just before the answer. */
	retrievability: number;
}

const sameCard = (a: { reps: number; last_review: Date | null } | null, b: { reps: number; last_review: Date | null } | null) =>
	a === null || b === null ? a === b : a.reps === b.reps && (a.last_review?.getTime() ?? null) === (b.last_review?.getTime() ?? null);

const MemoryService: ServiceDef = {
	name: "memory",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [memoryPersonalData, dbMixin(MemoryState, { fields: ["id", "studentId", "itemId", "subject", ...CARD_FIELDS, "updatedAt"] })],

	// The reporting feed (memory/review-feed.ts): every stored review, published after the action answers.
	hooks: {
		after: {
			async recordReview(this: any, ctx: Ctx<RecordReviewParams>, res: RecordReviewResult) {
				await publishReviews(this.broker, callerSchoolId(ctx), [{ ...ctx.params, ...res }]);
				return res;
			},
			async recordReviews(this: any, ctx: Ctx<{ reviews: RecordReviewParams[] }>, res: { results: BatchResult[] }) {
				const reviews = res.results.map((r, i) => (r.ok ? ({ ...ctx.params.reviews[i], ...r } as unknown as ReviewFeedInput) : null));
				await publishReviews(this.broker, callerSchoolId(ctx), reviews);
				return res;
			},
		},
	},

	actions: {
		recordReview: {
			params: { $$strict: "remove", ...REVIEW_PROPS },
			async handler(this: any, ctx: Ctx<RecordReviewParams>): Promise<RecordReviewResult> {
				const p = ctx.params;
				const schoolId = callerSchoolId(ctx);
				this.refuseFuture(p, "reviewedAt");
				// Independent reads at once; the state read here is the first attempt's (the write checks it did not move).
				const [known, [item], students, stored] = (await Promise.all([
					this.logByKey(ctx, p),
					ctx.call("content.resolveMany", { ids: [p.itemId] }),
					ctx.call("users.resolveMany", { ids: [p.studentId], roles: ["student"] }),
					this.model.findOne(this.stateFilter(ctx, p)),
				])) as [unknown, ({ subject: string } & RatedItem)[], unknown[], any];
				if (known) return this.replay(ctx, known);
				if (!item) throw notFound("ContentItem", p.itemId);
				if (students.length === 0) throw notFound("Student", p.studentId);
				const [profile, school] = (await Promise.all([
					ctx.call("scheduling.resolve", { studentId: p.studentId, subject: item.subject, ...(p.teacherId ? { teacherId: p.teacherId } : {}) }),
					ctx.call("schools.resolve", { id: schoolId }),
				])) as [{ values: ProfileValues }, { timezone: string }];
				// FSRS counts the school's local days; a practice answer counts when the card is due today there, as the queue decides.
				const context = { timeZone: school.timezone, dueBefore: dueCutoff(p.reviewedAt, school.timezone), item };
				const sample = responseSample(p, item);

				return retryOnConflict(
					async attempt => {
						const [stateDoc, digests] = await Promise.all([
							attempt === 0 ? stored : this.model.findOne(this.stateFilter(ctx, p)),
							p.rateFromAnswer ? readDigests(schoolId, [{ studentId: p.studentId, kind: item.kind }]) : undefined,
						]);
						const before = stateDoc ? cardOf(stateDoc) : null;
						const recent = digests?.get(`${p.studentId}:${item.kind}`);
						const { outcome, log: logFields } = reviewStep(before, p, item.subject, profile.values, { ...context, ...(recent ? { recent } : {}) });
						let log;
						try {
							log = await ReviewLog.create(this.tenantFilter(ctx, { _id: reviewLogId(schoolId, p.reviewKey), ...logFields }));
						} catch (err) {
							if (!isDuplicateKey(err)) throw err;
							// The same key, recorded by a racing retry: its result stands. Gone again: that one is
							// being computed anew on a moved state, and this one tries again too.
							const first = await this.logByKey(ctx, p);
							return first ? this.replay(ctx, first) : RETRY;
						}
						if (outcome.log.counted) {
							let written: boolean;
							try {
								written = await this.writeState(ctx, p, item.subject, before, outcome.after, log._id);
							} catch (err) {
								await ReviewLog.deleteOne({ _id: log._id });
								throw err;
							}
							if (!written) {
								await ReviewLog.deleteOne({ _id: log._id });
								return RETRY;
							}
						}
						if (sample !== null) await appendSamples(schoolId, [{ studentId: p.studentId, kind: item.kind, time: sample }]);
						return this.resultOf(log, false);
					},
					{ message: "This item's memory changed meanwhile; try again" },
				);
			},
		},

		recordReviews: {
			params: { $$strict: "remove", reviews: { type: "array", min: 1, max: MAX_BATCH, items: { type: "object", strict: "remove", props: REVIEW_PROPS } } },
			async handler(this: any, ctx: Ctx<{ reviews: RecordReviewParams[] }>): Promise<{ results: BatchResult[] }> {
				return { results: await recordBatch(this, ctx, ctx.params.reviews) };
			},
		},

		states: {
			params: { $$strict: "remove", studentId: ID, itemIds: { type: "array", max: 2000, items: ID }, teacherId: { ...ID, optional: true } },
			async handler(this: any, ctx: Ctx<{ studentId: string; itemIds: string[]; teacherId?: string }>) {
				const { studentId, itemIds, teacherId } = ctx.params;
				return (await this.statesOf(ctx, [{ studentId, itemIds }], teacherId))[0].states;
			},
		},

		/** `states` for many students in one call (a live session's end reads its whole class). */
		statesMany: {
			params: {
				$$strict: "remove",
				students: { type: "array", min: 1, max: 1000, items: { type: "object", strict: "remove", props: { studentId: ID, itemIds: { type: "array", max: 2000, items: ID } } } },
				teacherId: { ...ID, optional: true },
			},
			handler(this: any, ctx: Ctx<{ students: { studentId: string; itemIds: string[] }[]; teacherId?: string }>) {
				return this.statesOf(ctx, ctx.params.students, ctx.params.teacherId);
			},
		},

		newIntroducedOn: {
			params: { $$strict: "remove", studentId: ID, dayStart: DATE, dayEnd: DATE },
			async handler(this: any, ctx: Ctx<{ studentId: string; dayStart: Date; dayEnd: Date }>) {
				const { studentId, dayStart, dayEnd } = ctx.params;
				const count = await ReviewLog.countDocuments(
					this.tenantFilter(ctx, { studentId, first: true, counted: true, reviewedAt: { $gte: dayStart, $lt: dayEnd } }),
				);
				return { count };
			},
		},

		history: {
			params: { $$strict: "remove", studentId: ID, subject: { type: "string", min: 1, max: 100, optional: true } },
			async handler(this: any, ctx: Ctx<{ studentId: string; subject?: string }>) {
				const { studentId, subject } = ctx.params;
				const docs = await ReviewLog.find(this.tenantFilter(ctx, { studentId, ...(subject === undefined ? {} : { subject }), counted: true }), {
					itemId: 1,
					rating: 1,
					reviewedAt: 1,
					first: 1,
				})
					.sort({ reviewedAt: 1, _id: 1 })
					.limit(MAX_HISTORY)
					.lean();
				return docs.map((d: any) => ({ itemId: String(d.itemId), rating: d.rating, reviewedAt: d.reviewedAt, first: d.first === true }));
			},
		},

		reviewCounts: {
			params: {
				$$strict: "remove",
				minCount: { type: "number", integer: true, min: 1, max: 1_000_000 },
				by: { type: "enum", values: ["subject", "student"], optional: true },
			},
			async handler(this: any, ctx: Ctx<{ minCount: number; by?: "subject" | "student" }>) {
				const { minCount } = ctx.params;
				// Across schools: only the system principal's nightly job calls this (see the permission matrix).
				const perSubject = [
					{ $match: { counted: true } },
					{ $group: { _id: { schoolId: "$schoolId", studentId: "$studentId", subject: "$subject" }, count: { $sum: 1 } } },
				];
				if (ctx.params.by === "student") {
					// Per student: all their counted reviews, and how many of their subjects have too few for a fit of their own.
					const rows = await ReviewLog.aggregate([
						...perSubject,
						{
							$group: {
								_id: { schoolId: "$_id.schoolId", studentId: "$_id.studentId" },
								count: { $sum: "$count" },
								uncoveredSubjects: { $sum: { $cond: [{ $lt: ["$count", minCount] }, 1, 0] } },
							},
						},
						{ $match: { count: { $gte: minCount } } },
					]);
					return rows.map((r: any) => ({ schoolId: String(r._id.schoolId), studentId: String(r._id.studentId), count: r.count, uncoveredSubjects: r.uncoveredSubjects }));
				}
				const rows = await ReviewLog.aggregate([...perSubject, { $match: { count: { $gte: minCount } } }]);
				return rows.map((r: any) => ({ schoolId: String(r._id.schoolId), studentId: String(r._id.studentId), subject: r._id.subject, count: r.count }));
			},
		},

		/** The school's review logs as `learning.review.recorded` messages (reporting rebuilds from them). */
		exportReviews: {
			params: EXPORT_PARAMS,
			handler(this: any, ctx: Ctx<ExportParams>) {
				const { schoolId } = ctx.params;
				return exportPage(ReviewLog, ctx.params, {}, (log: any) => on("learning.review.recorded", [reviewRecordedMessage(schoolId, { ...log, logId: String(log._id) })]));
			},
		},

		reviewDays: {
			params: { $$strict: "remove", studentId: ID, since: DATE },
			async handler(this: any, ctx: Ctx<{ studentId: string; since: Date }>) {
				const docs = await ReviewLog.find(this.tenantFilter(ctx, { studentId: ctx.params.studentId, reviewedAt: { $gte: ctx.params.since } }), {
					reviewedAt: 1,
				})
					.sort({ reviewedAt: 1 })
					.limit(MAX_HISTORY)
					.lean();
				return { instants: docs.map((d: any) => d.reviewedAt) };
			},
		},
	},

	methods: {
		/** Each student's states of their items now, retrievability by their own resolved weights per subject. */
		async statesOf(this: any, ctx: Ctx<any>, students: { studentId: string; itemIds: string[] }[], teacherId?: string) {
			const schoolId = callerSchoolId(ctx);
			const ids = students.flatMap(({ studentId, itemIds }) => [...new Set(itemIds)].map(itemId => memoryStateId(schoolId, studentId, itemId)));
			const docs: any[] = await this.byIdsScoped(ctx, ids);
			const now = this.clock.now();
			// The forgetting curve's decay is one of the student's weights, which may differ by subject.
			const targets: { studentId: string; subject: string }[] = [
				...new Map(docs.map(d => [`${d.studentId}:${d.subject}`, { studentId: String(d.studentId), subject: String(d.subject) }])).values(),
			];
			const profiles = targets.length
				? ((await ctx.call("scheduling.resolveMany", { targets: targets.map(t => ({ ...t, ...(teacherId ? { teacherId } : {}) })) })) as { values: ProfileValues }[])
				: [];
			const weights = new Map(targets.map((t, k) => [`${t.studentId}:${t.subject}`, profiles[k].values.fsrsParameters]));
			const byStudent = new Map<string, any[]>();
			for (const d of docs) byStudent.set(String(d.studentId), [...(byStudent.get(String(d.studentId)) ?? []), d]);
			return students.map(({ studentId }) => ({
				studentId,
				states: (byStudent.get(studentId) ?? []).map((d: any) => {
					const card = cardOf(d);
					return { itemId: String(d.itemId), subject: d.subject, ...card, retrievability: retrievability(card, now, weights.get(`${studentId}:${d.subject}`)) };
				}),
			}));
		},

		refuseFuture(this: any, p: RecordReviewParams, field: string) {
			if (p.reviewedAt.getTime() > this.clock.now().getTime() + MAX_FUTURE_MS) {
				throw new ClientError(`Invalid ${field}: is in the future`, 422, ERR.VALIDATION, [{ field, message: "is in the future" }]);
			}
		},

		/** The log entry of this review key in the caller's school; the same key for another answer is a caller bug (409). */
		async logByKey(this: any, ctx: Ctx<any>, p: RecordReviewParams) {
			const log = await ReviewLog.findOne(this.tenantFilter(ctx, { _id: reviewLogId(callerSchoolId(ctx), p.reviewKey) }));
			if (log && (String(log.studentId) !== p.studentId || String(log.itemId) !== p.itemId)) {
				throw conflict("This review key was already used for another answer", ERR.CONFLICT, { reviewKey: p.reviewKey });
			}
			return log;
		},

		/**
		 * A retry: the first result, unchanged. If the first attempt died after its log entry but before the
		 * state was written (the state still holds the log's "before"), the write is completed here.
		 */
		async replay(this: any, ctx: Ctx<any>, log: any): Promise<RecordReviewResult> {
			if (log.counted) {
				const state = await this.model.findOne(this.stateFilter(ctx, { studentId: String(log.studentId), itemId: String(log.itemId) }));
				const before = log.before ? cardFromJSON(log.before) : null;
				if (!(state && String(state.lastLogId) === String(log._id)) && sameCard(state ? cardOf(state) : null, before)) {
					// If someone else moved the state on meanwhile, the first result stands.
					await this.writeState(ctx, { studentId: String(log.studentId), itemId: String(log.itemId) }, log.subject, before, cardFromJSON(log.after), log._id).catch(
						() => false,
					);
				}
			}
			return this.resultOf(log, true);
		},

		/** The state of one (student, item), by its primary key. */
		stateFilter(this: any, ctx: Ctx<any>, p: { studentId: string; itemId: string }) {
			return this.tenantFilter(ctx, { _id: memoryStateId(callerSchoolId(ctx), p.studentId, p.itemId), studentId: p.studentId, itemId: p.itemId });
		},

		/**
		 * Stores the new card if the state is still the one the review was computed from. False when it moved:
		 * unless what moved it was this very log's write (a racing retry of the same key completing it), which
		 * counts as written.
		 */
		async writeState(
			this: any,
			ctx: Ctx<any>,
			p: { studentId: string; itemId: string },
			subject: string,
			before: MemoryCard | null,
			after: MemoryCard,
			logId: mongoose.Types.ObjectId,
		): Promise<boolean> {
			const target = this.stateFilter(ctx, p);
			const set = { ...after, subject, lastLogId: logId };
			if (before === null) {
				try {
					await this.model.create({ ...target, ...set });
					return true;
				} catch (err) {
					if (!isDuplicateKey(err)) throw err;
				}
			} else {
				const res = await this.model.updateOne({ ...target, reps: before.reps, last_review: before.last_review }, { $set: set });
				if (res.matchedCount === 1) return true;
			}
			return Boolean(await this.model.exists({ ...target, lastLogId: logId }));
		},

		resultOf(log: any, duplicate: boolean): RecordReviewResult {
			return {
				logId: String(log._id),
				duplicate,
				counted: log.counted,
				source: log.source,
				rating: log.rating,
				reviewedAt: log.reviewedAt,
				before: log.before ? cardFromJSON(log.before) : null,
				after: cardFromJSON(log.after),
				retrievability: log.retrievability,
			};
		},
	},

	created(this: any) {
		this.clock = learningClock;
	},

	async started() {
		// The idempotency key is only a guarantee once its unique index exists.
		await ReviewLog.init();
	},
};

export default MemoryService;
