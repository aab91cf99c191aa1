/**
 * Scheduling profiles in layers (memory/profile-layers.ts): school → subject → teacher (the owner of the
 * path a review happens in) → student → student:subject. One document per layer; who may read and write
 * which layer is memory/layer-rules.ts. A student's own layer must respect the bounds of the teacher
 * layers of every active path they are assigned to (and of the school and subject layers); values that
 * fall outside bounds tightened later are clamped when the profile is resolved.
 *
 * `optimize` fits a student's FSRS-6 weights from their own review log (memory/optimizer.ts, the
 * open-spaced-repetition optimiser): per subject when the subject has enough reviews, else per student (all their
 * subjects). The fit is judged on the student's most recent reviews, held out of it, against the parameters in use;
 * it replaces them on the student:subject (or student) layer only if it predicts those reviews better, and the
 * layer keeps both figures either way (`lastOptimization`, shown by `effective`).
 */
import cron, { type ScheduledTask } from "node-cron";
import { SchedulingLease, SchedulingProfile } from "../../models/scheduling-profile.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import { ClientError, conflict, ERR, forbidden, isDuplicateKey, notFound } from "../shared/errors.js";
import { callerSchoolId, currentUser, isSystem, systemMeta, type Ctx } from "../shared/identity.js";
import { withLease } from "../shared/lease.js";
import type { ServiceDef } from "../shared/service.js";
import { learningClock } from "./learning-clock.js";
import {
	editRight,
	layerKey,
	mayRead,
	mergeProblems,
	normalizeLayerRef,
	toProfileLayer,
	type LayerKind,
	type LayerRef,
} from "./memory/layer-rules.js";
import { DEFAULT_MIN_REVIEWS, NEW_REVIEWS_TO_REOPTIMIZE as REOPTIMIZE_AFTER, NotEnoughReviewsError, optimizeWithHoldout, OptimizerUnavailableError, timedTrainingItems, type OptimizerReview } from "./memory/optimizer.js";
import { optimizationRecord, optimizationShown, type OptimizationRecord } from "./memory/optimization-record.js";
import {
	resolveProfile,
	STUDENT_EDITABLE_FIELDS,
	validateLayer,
	validateStudentLayer,
	type FieldProblem,
	type ProfileLayer,
	type ResolvedProfile,
	type StudentBounds,
} from "./memory/profile-layers.js";
import { ID } from "../shared/params.js";
import { textRule } from "../shared/text-rules.js";
import { schedulingPersonalData } from "./personal-data.js";

const SUBJECT = textRule({ max: 100 });
const LAYER_REF_PARAMS = {
	kind: { type: "enum", values: ["school", "subject", "teacher", "student"] },
	subject: { ...SUBJECT, optional: true },
	teacherId: { ...ID, optional: true },
	studentId: { ...ID, optional: true },
} as const;

/** Reviews a student needs in a subject before their weights are fitted (the optimiser's own default). */
export const MIN_REVIEWS_TO_OPTIMIZE = DEFAULT_MIN_REVIEWS;
/** The nightly job refits a student's weights once they have this many counted reviews since the last attempt. */
export const NEW_REVIEWS_TO_REOPTIMIZE = REOPTIMIZE_AFTER;
/** Every night at 03:00 UTC, a quiet hour for European schools. */
const OPTIMIZE_SCHEDULE = "0 3 * * *";

interface ResolveTarget {
	studentId: string;
	subject?: string;
	teacherId?: string;
}
type Resolved = Omit<ResolvedProfile, "boundsSources"> & {
	boundsSources: ResolvedProfile["boundsSources"];
	teacherId: string | null;
	optimization: ReturnType<typeof optimizationShown>;
};

interface PathSummary {
	id: string;
	ownerId: string;
	subject: string;
}

const invalidLayer = (problems: FieldProblem[]) => new ClientError("Invalid scheduling settings", 422, ERR.VALIDATION, problems);

const SchedulingService: ServiceDef = {
	name: "scheduling",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [schedulingPersonalData, 
		dbMixin(SchedulingProfile, {
			fields: ["id", "schoolId", "kind", "subject", "teacherId", "studentId", "values", "studentBounds", "optimizedAt", "reviewsUsed", "lastOptimization", "updatedBy", "updatedAt"],
		}),
	],

	actions: {
		getLayer: {
			rest: "GET /scheduling-profiles/layers",
			params: { $$strict: "remove", ...LAYER_REF_PARAMS },
			async handler(this: any, ctx: Ctx<LayerRef>) {
				const user = currentUser(ctx);
				const ref = await this.layerRef(ctx, ctx.params);
				const teachesStudent = ref.kind === "student" ? await this.teaches(ctx, user.id, ref.studentId!) : false;
				if (!mayRead(user, ref, { teachesStudent })) throw forbidden("You may not read this student's scheduling settings");
				const doc = await this.model.findOne(this.tenantFilter(ctx, { key: layerKey(ref) }));
				if (doc) return this.toJSON(ctx, doc);
				return { id: null, ...ref, values: {}, studentBounds: null };
			},
		},

		setLayer: {
			rest: "PUT /scheduling-profiles/layers",
			params: {
				$$strict: "remove",
				...LAYER_REF_PARAMS,
				values: { type: "object", maxProps: 20 },
				studentBounds: { type: "object", optional: true, maxProps: 10 },
			},
			async handler(this: any, ctx: Ctx<LayerRef & { values: Record<string, unknown>; studentBounds?: Record<string, unknown> }>) {
				const user = currentUser(ctx);
				const ref = await this.layerRef(ctx, ctx.params);
				const teachesStudent = ref.kind === "student" && user.id !== ref.studentId ? await this.teaches(ctx, user.id, ref.studentId!) : false;
				const right = editRight(user, ref, { teachesStudent });
				if (right === "forbidden") throw forbidden(`You may not change the ${ref.kind} layer`);

				const { values, studentBounds } = ctx.params;
				if (ref.kind === "student" && studentBounds !== undefined) {
					throw invalidLayer([{ field: "studentBounds", message: "bounds are set on school, subject or teacher layers" }]);
				}
				const problems =
					right === "bounded" ? await this.studentProblems(ctx, ref, values) : validateLayer(values, studentBounds);
				if (problems.length > 0) throw invalidLayer(problems);

				const key = layerKey(ref);
				const existing = await this.model.findOne(this.tenantFilter(ctx, { key }));
				// A student replaces only what they may set: their teacher's settings and fitted weights stay.
				const kept =
					right === "bounded"
						? Object.fromEntries(Object.entries(existing?.values ?? {}).filter(([f]) => !(STUDENT_EDITABLE_FIELDS as readonly string[]).includes(f)))
						: {};
				const set: Record<string, unknown> = {
					kind: ref.kind,
					subject: ref.subject ?? null,
					teacherId: ref.teacherId ?? null,
					studentId: ref.studentId ?? null,
					values: { ...kept, ...values },
					updatedBy: user.id,
				};
				const update: Record<string, unknown> = { $set: set };
				if (ref.kind !== "student") {
					if (studentBounds !== undefined) set.studentBounds = studentBounds;
					else update.$unset = { studentBounds: 1 };
				}
				return this.toJSON(ctx, await this.upsertLayer(ctx, key, update));
			},
		},

		effective: {
			rest: "GET /scheduling-profiles/effective",
			params: { $$strict: "remove", student: { ...ID, optional: true }, subject: { ...SUBJECT, optional: true }, path: { ...ID, optional: true } },
			async handler(this: any, ctx: Ctx<{ student?: string; subject?: string; path?: string }>) {
				const user = currentUser(ctx);
				const studentId = ctx.params.student ?? (user.roles.includes("student") ? user.id : undefined);
				if (!studentId) throw new ClientError("Invalid student: is required", 422, ERR.VALIDATION, [{ field: "student", message: "is required" }]);
				await this.assertUser(ctx, studentId, "student");
				const path: PathSummary | null = ctx.params.path ? await ctx.call("paths.resolve", { id: ctx.params.path }) : null;
				if (!(await this.maySeeStudent(ctx, studentId))) throw forbidden("You may only see the scheduling settings of your own students");
				const subject = ctx.params.subject ?? path?.subject;
				return this.resolveFor(ctx, { studentId, subject, teacherId: path ? String(path.ownerId) : undefined });
			},
		},

		resolve: {
			params: { $$strict: "remove", studentId: ID, subject: { ...SUBJECT, optional: true }, teacherId: { ...ID, optional: true } },
			handler(this: any, ctx: Ctx<{ studentId: string; subject?: string; teacherId?: string }>) {
				return this.resolveFor(ctx, ctx.params);
			},
		},

		resolveMany: {
			params: {
				$$strict: "remove",
				targets: {
					type: "array",
					min: 1,
					max: 1000,
					items: { type: "object", strict: "remove", props: { studentId: ID, subject: { ...SUBJECT, optional: true }, teacherId: { ...ID, optional: true } } },
				},
			},
			handler(this: any, ctx: Ctx<{ targets: ResolveTarget[] }>) {
				return this.resolveEach(ctx, ctx.params.targets);
			},
		},

		optimize: {
			rest: "POST /scheduling-profiles/optimize",
			params: { $$strict: "remove", studentId: ID, subject: { ...SUBJECT, optional: true } },
			async handler(this: any, ctx: Ctx<{ studentId: string; subject?: string }>) {
				const { studentId, subject } = ctx.params;
				const user = currentUser(ctx);
				const schoolId = callerSchoolId(ctx);
				await this.assertUser(ctx, studentId, "student");
				if (!isSystem(user) && !user.roles.includes("school_admin") && !(await this.teaches(ctx, user.id, studentId))) {
					throw forbidden("You may only optimise the settings of your own students");
				}
				const school = (await ctx.call("schools.resolve", { id: schoolId })) as { timezone: string };
				const historyOf = async (s?: string): Promise<OptimizerReview[]> => {
					const rows = (await ctx.call("memory.history", { studentId, ...(s === undefined ? {} : { subject: s }) })) as {
						itemId: string;
						rating: number;
						reviewedAt: string | Date;
						first?: boolean;
					}[];
					return rows.map(r => ({ cardId: r.itemId, rating: r.rating, reviewedAt: new Date(r.reviewedAt), ...(r.first === undefined ? {} : { first: r.first }) }));
				};
				// Per subject when it has enough reviews of its own, else per student (every subject of theirs).
				let scope: "subject" | "student" = "student";
				let reviews: OptimizerReview[] | undefined;
				if (subject !== undefined) {
					reviews = await historyOf(subject);
					if (timedTrainingItems(reviews, school.timezone).reviewsUsed >= MIN_REVIEWS_TO_OPTIMIZE) scope = "subject";
				}
				if (scope === "student") reviews = await historyOf();
				const layerSubject = scope === "subject" ? subject : undefined;
				const profile: Resolved = await this.resolveFor(ctx, { studentId, subject: layerSubject });
				let result;
				try {
					result = await optimizeWithHoldout(reviews!, profile.values.fsrsParameters, {
						timeZone: school.timezone,
						minReviews: MIN_REVIEWS_TO_OPTIMIZE,
						numRelearningSteps: profile.values.relearningSteps.length,
					});
				} catch (err) {
					if (err instanceof NotEnoughReviewsError) {
						throw conflict(err.message, ERR.NOT_ENOUGH_REVIEWS, { reviews: err.reviews, required: err.required });
					}
					if (err instanceof OptimizerUnavailableError) throw new ClientError(err.message, 503, ERR.UNAVAILABLE);
					throw err;
				}
				const now = this.clock.now();
				const record: OptimizationRecord = optimizationRecord(result, scope, now);
				const ref: LayerRef = layerSubject === undefined ? { kind: "student", studentId } : { kind: "student", studentId, subject: layerSubject };
				await this.upsertLayer(ctx, layerKey(ref), {
					$set: {
						kind: "student",
						subject: layerSubject ?? null,
						teacherId: null,
						studentId,
						lastOptimization: record,
						updatedBy: user.id,
						// Only a fit that predicted the held-out reviews better replaces the parameters in use.
						...(result.adopted ? { "values.fsrsParameters": result.parameters, optimizedAt: now, reviewsUsed: result.reviewsUsed } : {}),
					},
				});
				return { scope, subject: layerSubject ?? null, adopted: result.adopted, parameters: result.parameters, reviewsUsed: result.reviewsUsed, evaluation: record.evaluation };
			},
		},

		optimizeDue: {
			params: { $$strict: "remove" },
			async handler(this: any, ctx: Ctx<Record<string, never>>) {
				const run = async () => {
					// Per subject where a subject has enough reviews; per student where some subject of theirs has not.
					const [bySubject, byStudent] = (await Promise.all([
						ctx.call("memory.reviewCounts", { minCount: MIN_REVIEWS_TO_OPTIMIZE }),
						ctx.call("memory.reviewCounts", { minCount: MIN_REVIEWS_TO_OPTIMIZE, by: "student" }),
					])) as [{ schoolId: string; studentId: string; subject: string; count: number }[], { schoolId: string; studentId: string; count: number; uncoveredSubjects: number }[]];
					const candidates = [
						...bySubject.map(c => ({ ...c, ref: { kind: "student" as const, studentId: c.studentId, subject: c.subject } })),
						...byStudent.filter(c => c.uncoveredSubjects > 0).map(c => ({ ...c, subject: undefined, ref: { kind: "student" as const, studentId: c.studentId } })),
					];
					let optimized = 0;
					let failed = 0;
					for (const c of candidates) {
						const layer = await this.model.findOne({ schoolId: c.schoolId, key: layerKey(c.ref) }, { reviewsUsed: 1, lastOptimization: 1 });
						const seen = Math.max(layer?.reviewsUsed ?? 0, layer?.lastOptimization?.reviewsUsed ?? 0);
						if (c.count - seen < NEW_REVIEWS_TO_REOPTIMIZE) continue;
						try {
							// The system principal acts inside the student's school, with the same checks as a teacher's request.
							await ctx.call(
								"scheduling.optimize",
								{ studentId: c.studentId, ...(c.subject === undefined ? {} : { subject: c.subject }) },
								{ meta: { user: { ...systemMeta().user!, schoolId: c.schoolId } } },
							);
							optimized++;
						} catch (err) {
							failed++;
							this.logger.warn(`Optimising ${c.studentId}${c.subject === undefined ? "" : ` in ${c.subject}`} failed`, err);
						}
					}
					return { candidates: candidates.length, optimized, failed };
				};
				// On several API nodes, the first to take the lease runs the job; the others skip it (a rule across
				// nodes and documents, which no conditional update of one document can hold: see services/shared/lease.ts).
				return withLease(SchedulingLease, "optimize-due", run, { leaseMs: 3_600_000, waitMs: 0, busyMessage: "The optimisation job is already running" });
			},
		},
	},

	methods: {
		/** The layer a request names, its referenced user checked to be of this school (404 otherwise). */
		async layerRef(this: any, ctx: Ctx<any>, params: LayerRef): Promise<LayerRef> {
			const { ref, problems } = normalizeLayerRef(
				{ kind: params.kind as LayerKind, subject: params.subject, teacherId: params.teacherId, studentId: params.studentId },
				currentUser(ctx),
			);
			if (problems.length > 0) throw invalidLayer(problems);
			if (ref.teacherId) await this.assertUser(ctx, ref.teacherId, "teacher");
			if (ref.studentId) await this.assertUser(ctx, ref.studentId, "student");
			return ref;
		},

		async assertUser(this: any, ctx: Ctx<any>, id: string, role: "teacher" | "student"): Promise<void> {
			const found = (await ctx.call("users.resolveMany", { ids: [id], roles: [role] })) as unknown[];
			if (found.length === 0) throw notFound(role === "teacher" ? "Teacher" : "Student", id);
		},

		/** Whether the caller is a teacher of the student: teaches a class they attend, or owns an active path they are assigned to. */
		async teaches(this: any, ctx: Ctx<any>, teacherId: string, studentId: string): Promise<boolean> {
			const user = currentUser(ctx);
			if (!user.roles.includes("teacher") || user.id !== teacherId) return false;
			const [mine, theirs] = (await Promise.all([
				ctx.call("classes.membership", { userId: teacherId }),
				ctx.call("classes.membership", { userId: studentId }),
			])) as { teaches: string[]; attends: string[] }[];
			if (mine.teaches.some(id => theirs.attends.includes(id))) return true;
			return ((await this.activePathsOf(ctx, studentId)) as PathSummary[]).some(p => String(p.ownerId) === teacherId);
		},

		async maySeeStudent(this: any, ctx: Ctx<any>, studentId: string): Promise<boolean> {
			const user = currentUser(ctx);
			if (user.roles.includes("school_admin") || user.id === studentId) return true;
			return this.teaches(ctx, user.id, studentId);
		},

		/** The active paths the student is assigned to, directly or through a class. */
		activePathsOf(this: any, ctx: Ctx<any>, studentId: string): Promise<PathSummary[]> {
			return ctx.call("paths.ofStudent", { studentId }) as Promise<PathSummary[]>;
		},

		/**
		 * What is wrong with a student's own values: checked against the bounds of each teacher whose active path
		 * they are in (for the layer's subject, or for every subject of their paths), or against the school and
		 * subject bounds alone when they are in none.
		 */
		async studentProblems(this: any, ctx: Ctx<any>, ref: LayerRef, values: Record<string, unknown>): Promise<FieldProblem[]> {
			const paths = ((await this.activePathsOf(ctx, ref.studentId!)) as PathSummary[]).filter(p => ref.subject === undefined || p.subject === ref.subject);
			const contexts = new Map<string, { teacherId?: string; subject?: string }>();
			for (const p of paths) contexts.set(`${p.ownerId}\u0000${p.subject}`, { teacherId: String(p.ownerId), subject: p.subject });
			if (contexts.size === 0) contexts.set("", { subject: ref.subject });
			const lists: FieldProblem[][] = [];
			for (const c of contexts.values()) {
				const bounds: StudentBounds = (await this.resolveFor(ctx, { studentId: ref.studentId!, ...c }, false)).studentBounds;
				lists.push(validateStudentLayer(values, bounds));
			}
			return mergeProblems(lists);
		},

		/** The resolved profile; without student layers when only the bounds above them are wanted. */
		async resolveFor(this: any, ctx: Ctx<any>, target: ResolveTarget, withStudent = true): Promise<Resolved> {
			return (await this.resolveEach(ctx, [target], withStudent))[0];
		},

		/** Each target's profile from one read of every layer any of them uses (a room's batch of answers resolves at once). */
		async resolveEach(this: any, ctx: Ctx<any>, targets: ResolveTarget[], withStudent = true): Promise<Resolved[]> {
			const keysOf = ({ studentId, subject, teacherId }: ResolveTarget) => {
				const keys = ["school"];
				if (subject !== undefined) keys.push(layerKey({ kind: "subject", subject }));
				if (teacherId !== undefined) keys.push(layerKey({ kind: "teacher", teacherId }));
				if (withStudent) {
					keys.push(layerKey({ kind: "student", studentId }));
					if (subject !== undefined) keys.push(layerKey({ kind: "student", studentId, subject }));
				}
				return keys;
			};
			const wanted = targets.map(keysOf);
			const docs = await this.model.find(this.tenantFilter(ctx, { key: { $in: [...new Set(wanted.flat())] } }));
			const raw = new Map<string, any>(docs.map((d: any) => [d.key, d.toObject({ flattenObjectIds: true })]));
			const byKey = new Map<string, ProfileLayer>([...raw].map(([key, d]) => [key, toProfileLayer(d)]));
			return targets.map((target, t) => {
				const layers = wanted[t].map(key => byKey.get(key)).filter((l): l is ProfileLayer => l !== undefined);
				const resolved = resolveProfile(layers, target.subject === undefined ? {} : { subject: target.subject });
				// The last optimisation of the student's layers (subject first): its two figures, and whether it was adopted.
				const optimization = optimizationShown(wanted[t].map(key => raw.get(key)).filter(Boolean), resolved.sources.fsrsParameters);
				return { ...resolved, optimization, teacherId: target.teacherId ?? null };
			});
		},

		/** One upsert of a layer by its key; two first writes racing on the same key meet the unique index. */
		async upsertLayer(this: any, ctx: Ctx<any>, key: string, update: Record<string, unknown>) {
			const filter = this.tenantFilter(ctx, { key });
			const write = () => this.model.findOneAndUpdate(filter, update, { upsert: true, new: true, setDefaultsOnInsert: true });
			try {
				return await write();
			} catch (err) {
				if (!isDuplicateKey(err)) throw err;
				return write();
			}
		},
	},

	created(this: any) {
		this.clock = learningClock;
	},

	async started(this: any) {
		await SchedulingLease.init();
		this.optimizeTask = cron.schedule(
			OPTIMIZE_SCHEDULE,
			() =>
				this.broker
					.call("scheduling.optimizeDue", {}, { meta: systemMeta() })
					.catch((err: unknown) => this.logger.warn("The nightly FSRS optimisation failed", err)),
			{ timezone: "UTC", noOverlap: true, name: "scheduling.optimizeDue" },
		) as ScheduledTask;
	},

	async stopped(this: any) {
		await this.optimizeTask?.destroy();
	},
};

export default SchedulingService;
