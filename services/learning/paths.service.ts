/**
 * Learning paths (scenario 1): a teacher's sequence of steps over content items, assigned to students
 * directly or through classes. The path and its steps are one document, so creating, replacing or
 * reordering steps is one atomic write. Step rules (prerequisites, windows, completion) are in
 * paths/path-rules.ts; who may open a step is decided here for revisions and evaluations (`forStudent`).
 *
 * The plan's limit on active paths is a count over many path documents, so no conditional update of one path
 * can hold it: the count and the write run under a per-school lease (services/shared/lease.ts), so two
 * activations at once cannot both take the last slot.
 */
import { LearningPath, LearningPathLease } from "../../models/learning-path.model.js";
import { dbMixin, PAGE_PARAMS, type Filter, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { ClientError, conflict, ERR, forbidden, invalid, notFound } from "../shared/errors.js";
import { callerSchoolId, currentUser, hasRole, type AuthUser, type Ctx } from "../shared/identity.js";
import { withLease } from "../shared/lease.js";
import type { ServiceDef } from "../shared/service.js";
import { learningClock } from "./learning-clock.js";
import { allItemIds, buildSteps, isAssigned, reorder, stepAccess, STEPS_RULE, type Step, type StepInput } from "./paths/path-rules.js";
import { ID } from "../shared/params.js";
import { textRule } from "../shared/text-rules.js";
import { EXPORT_PARAMS, exportPage, on, type ExportParams } from "../shared/feed-export.js";
import { pathChangedMessage } from "./paths/path-feed.js";
import { pathsPersonalData } from "./personal-data.js";

const IDS = (max: number) => ({ type: "array", items: ID, max, unique: true, optional: true }) as const;
const NAME = textRule({ max: 200 });
const SUBJECT = textRule({ max: 100 });
const OBJECTIVES = { type: "array", max: 30, items: textRule({ max: 500 }), optional: true } as const;
const SETTINGS = { type: "object", strict: "remove", optional: true, props: { practiceAllowed: { type: "boolean", optional: true } } } as const;

const FIELDS = [
	"id", "schoolId", "ownerId", "name", "objectives", "subject", "status", "studentIds", "classIds", "settings", "steps",
	"activatedAt", "archivedAt", "createdAt", "updatedAt",
];

export interface PathDoc {
	id: string;
	schoolId: string;
	ownerId: string;
	name: string;
	objectives: string[];
	subject: string;
	status: "draft" | "active" | "archived";
	studentIds: string[];
	classIds: string[];
	settings: { practiceAllowed: boolean };
	steps: Step[];
}

interface ContentRef {
	id: string;
	status: string;
	kind: string;
	subject: string;
}

interface CreateParams {
	name: string;
	objectives?: string[];
	subject: string;
	studentIds?: string[];
	classIds?: string[];
	steps?: StepInput[];
	activate?: boolean;
	settings?: { practiceAllowed?: boolean };
	sourceIds?: string[];
}

const isAdmin = (user: AuthUser) => hasRole(user, "school_admin");

const PathsService: ServiceDef = {
	name: "paths",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [pathsPersonalData, dbMixin(LearningPath, { fields: FIELDS })],

	actions: {
		/** Every path of the school as `learning.path.changed` (reporting rebuilds from them). */
		export: {
			params: EXPORT_PARAMS,
			handler(this: any, ctx: Ctx<ExportParams>) {
				return exportPage(this.model, ctx.params, {}, (doc: any) => on("learning.path.changed", [pathChangedMessage({ ...doc, id: String(doc._id) })]));
			},
		},

		create: {
			rest: ["POST /learning-paths", "POST /learning-paths/create"],
			params: {
				$$strict: "remove",
				name: NAME,
				objectives: OBJECTIVES,
				subject: SUBJECT,
				studentIds: IDS(1000),
				classIds: IDS(50),
				steps: { ...STEPS_RULE, optional: true },
				activate: { type: "boolean", optional: true },
				settings: SETTINGS,
				// Scenario 1, "préparation du contexte IA": the AI block selects and ingests these (services/ai).
				sourceIds: IDS(100),
			},
			async handler(this: any, ctx: Ctx<CreateParams>) {
				const user = currentUser(ctx);
				const p = ctx.params;
				const studentIds = p.studentIds ?? [];
				const classIds = p.classIds ?? [];
				// Step 3 of the seed's scenario: the teacher's rights, the students, the content, the plan.
				await this.assertClasses(ctx, classIds);
				await this.assertStudents(ctx, studentIds);
				const steps = buildSteps(p.steps ?? []);
				await this.assertItems(ctx, steps, p.activate === true);
				await this.assertSources(ctx, p.sourceIds ?? []);
				const doc = {
					ownerId: user.id,
					name: p.name,
					objectives: p.objectives ?? [],
					subject: p.subject,
					studentIds,
					classIds,
					settings: { practiceAllowed: p.settings?.practiceAllowed ?? false },
					steps,
				};
				const created: PathDoc = p.activate
					? await this.withActiveSlot(ctx, () => this.insertScoped(ctx, { ...doc, status: "active", activatedAt: this.clock.now() }))
					: await this.insertScoped(ctx, { ...doc, status: "draft" });
				const students = await this.assignedStudents(ctx, created);
				await this.announceCreated(ctx, created, students, p.sourceIds ?? []);
				ctx.meta.$statusCode = 201;
				return { id: created.id, status: created.status, students };
			},
		},

		list: {
			rest: "GET /learning-paths",
			params: {
				$$strict: "remove",
				status: { type: "enum", values: ["draft", "active", "archived"], optional: true },
				subject: { ...SUBJECT, optional: true },
				...PAGE_PARAMS,
			},
			async handler(this: any, ctx: Ctx<PageParams & { status?: string; subject?: string }>) {
				const user = currentUser(ctx);
				const filter: Filter = {};
				if (ctx.params.subject) filter.subject = ctx.params.subject;
				if (ctx.params.status) filter.status = ctx.params.status;
				if (isAdmin(user)) {
					// every path of the school
				} else if (hasRole(user, "teacher")) {
					filter.ownerId = user.id;
				} else {
					if (ctx.params.status && ctx.params.status !== "active") return { rows: [], total: 0, page: ctx.params.page ?? 1, pageSize: ctx.params.pageSize ?? 20, totalPages: 0 };
					Object.assign(filter, await this.assignedFilter(ctx, user.id), { status: "active" });
					const page = await this.pageScoped(ctx, filter, ctx.params, { _id: -1 });
					return { ...page, rows: page.rows.map((path: PathDoc) => this.studentView(path)) };
				}
				return this.pageScoped(ctx, filter, ctx.params, { _id: -1 });
			},
		},

		get: {
			rest: "GET /learning-paths/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const user = currentUser(ctx);
				const path: PathDoc = await this.getScoped(ctx, ctx.params.id);
				if (isAdmin(user) || (hasRole(user, "teacher") && path.ownerId === user.id)) return path;
				if (hasRole(user, "student") && path.status === "active" && (await this.studentAssigned(ctx, path, user.id))) return this.studentView(path);
				if (hasRole(user, "teacher")) throw forbidden("This path belongs to another teacher");
				throw notFound("LearningPath", ctx.params.id);
			},
		},

		update: {
			rest: "PATCH /learning-paths/:id",
			params: { $$strict: "remove", id: ID, name: { ...NAME, optional: true }, objectives: OBJECTIVES, subject: { ...SUBJECT, optional: true }, settings: SETTINGS },
			async handler(this: any, ctx: Ctx<{ id: string; name?: string; objectives?: string[]; subject?: string; settings?: { practiceAllowed?: boolean } }>) {
				const path = await this.managed(ctx, ctx.params.id);
				const set: Record<string, unknown> = {};
				for (const key of ["name", "objectives", "subject"] as const) if (ctx.params[key] !== undefined) set[key] = ctx.params[key];
				if (ctx.params.settings?.practiceAllowed !== undefined) set["settings.practiceAllowed"] = ctx.params.settings.practiceAllowed;
				if (Object.keys(set).length === 0) return path;
				return this.updateScoped(ctx, path.id, { $set: set });
			},
		},

		setSteps: {
			rest: "PUT /learning-paths/:id/steps",
			params: { $$strict: "remove", id: ID, steps: STEPS_RULE },
			async handler(this: any, ctx: Ctx<{ id: string; steps: StepInput[] }>) {
				const path = await this.managed(ctx, ctx.params.id);
				if (path.status === "archived") throw conflict("An archived path cannot be changed");
				const steps = buildSteps(ctx.params.steps, path.steps);
				await this.assertItems(ctx, steps, path.status === "active");
				// the precondition on updatedAt refuses a write based on steps someone else changed meanwhile
				return this.updateUnchanged(ctx, path, { $set: { steps } });
			},
		},

		reorderSteps: {
			rest: "POST /learning-paths/:id/steps/reorder",
			params: { $$strict: "remove", id: ID, order: { type: "array", items: ID, max: 100 } },
			async handler(this: any, ctx: Ctx<{ id: string; order: string[] }>) {
				const path = await this.managed(ctx, ctx.params.id);
				if (path.status === "archived") throw conflict("An archived path cannot be changed");
				return this.updateUnchanged(ctx, path, { $set: { steps: reorder(path.steps, ctx.params.order) } });
			},
		},

		assign: {
			rest: "POST /learning-paths/:id/students",
			params: { $$strict: "remove", id: ID, studentIds: IDS(1000), classIds: IDS(50) },
			async handler(this: any, ctx: Ctx<{ id: string; studentIds?: string[]; classIds?: string[] }>) {
				const path: PathDoc = await this.managed(ctx, ctx.params.id);
				if (path.status === "archived") throw conflict("An archived path cannot be changed");
				const studentIds = (ctx.params.studentIds ?? []).filter(id => !path.studentIds.includes(id));
				const classIds = (ctx.params.classIds ?? []).filter(id => !path.classIds.includes(id));
				if (!ctx.params.studentIds?.length && !ctx.params.classIds?.length) throw invalid("studentIds", "give students or classes to assign");
				await this.assertClasses(ctx, classIds);
				await this.assertStudents(ctx, studentIds);
				const before = new Set((await this.assignedStudents(ctx, path)).map((s: { id: string }) => s.id));
				const updated: PathDoc = await this.updateScoped(ctx, path.id, {
					$addToSet: { studentIds: { $each: studentIds }, classIds: { $each: classIds } },
				});
				if (updated.status === "active") {
					const added = (await this.assignedStudents(ctx, updated)).filter((s: { id: string }) => !before.has(s.id));
					await this.notifyStudents(ctx, updated, added.map((s: { id: string }) => s.id), `paths:${updated.id}:assign:${Date.now()}`);
				}
				return updated;
			},
		},

		unassign: {
			rest: "DELETE /learning-paths/:id/students/:studentId",
			params: { $$strict: "remove", id: ID, studentId: ID },
			async handler(this: any, ctx: Ctx<{ id: string; studentId: string }>) {
				const path: PathDoc = await this.managed(ctx, ctx.params.id);
				if (!path.studentIds.includes(ctx.params.studentId)) throw notFound("Assigned student", ctx.params.studentId);
				return this.updateScoped(ctx, path.id, { $pull: { studentIds: ctx.params.studentId } });
			},
		},

		activate: {
			rest: "POST /learning-paths/:id/activate",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const path: PathDoc = await this.managed(ctx, ctx.params.id);
				if (path.status === "active") return path;
				if (path.status === "archived") throw conflict("An archived path cannot be activated again");
				await this.assertItems(ctx, path.steps, true, "activate");
				const activated: PathDoc | null = await this.withActiveSlot(ctx, () =>
					this.updateScoped(ctx, path.id, { $set: { status: "active", activatedAt: this.clock.now() } }, { status: "draft" }).catch((err: any) => {
						if (err?.code === 404) return null;
						throw err;
					}),
				);
				if (!activated) {
					// No longer a draft: a racing activation got there first (the same answer), or it was archived meanwhile.
					const now: PathDoc = await this.managed(ctx, ctx.params.id);
					if (now.status === "active") return now;
					throw conflict("An archived path cannot be activated again");
				}
				const students = await this.assignedStudents(ctx, activated);
				await this.notifyStudents(ctx, activated, students.map((s: { id: string }) => s.id), `paths:${activated.id}:activated`);
				return activated;
			},
		},

		archive: {
			rest: "POST /learning-paths/:id/archive",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const path: PathDoc = await this.managed(ctx, ctx.params.id);
				if (path.status === "archived") return path;
				return this.updateScoped(ctx, path.id, { $set: { status: "archived", archivedAt: this.clock.now() } });
			},
		},

		forStudent: {
			params: { $$strict: "remove", pathId: ID, stepId: { ...ID, optional: true }, studentId: ID },
			async handler(this: any, ctx: Ctx<{ pathId: string; stepId?: string; studentId: string }>) {
				const { pathId, stepId, studentId } = ctx.params;
				const path: PathDoc = await this.getScoped(ctx, pathId);
				if (!(await this.studentAssigned(ctx, path, studentId))) {
					throw new ClientError("This path is not assigned to you", 403, ERR.NOT_ASSIGNED);
				}
				if (path.status !== "active") throw new ClientError("This path is not active", 409, ERR.PATH_INACTIVE);
				if (!stepId) return { path, step: null, items: [] };
				const step = path.steps.find(s => s.id === stepId);
				if (!step) throw notFound("LearningStep", stepId);
				const status = (await ctx.call("progress.stepStatus", { studentId, pathId })) as Record<string, { completed: boolean }>;
				const completed = new Set(Object.entries(status).filter(([, s]) => s.completed).map(([id]) => id));
				const access = stepAccess(step, this.clock.now(), completed);
				if (!access.ok && access.reason === "locked") {
					throw new ClientError("Complete the previous steps first", 409, ERR.STEP_LOCKED, { missing: access.missing });
				}
				if (!access.ok) {
					const message = access.reason === "not_yet_open" ? "This step is not open yet" : "This step is closed";
					throw new ClientError(message, 409, ERR.STEP_NOT_AVAILABLE, { reason: access.reason, at: (access as { at: Date }).at });
				}
				const items = (await ctx.call("content.resolveMany", { ids: step.itemIds })) as unknown[];
				return { path, step, items };
			},
		},

		resolve: {
			params: { $$strict: "remove", id: ID },
			handler(this: any, ctx: Ctx<{ id: string }>) {
				return this.getScoped(ctx, ctx.params.id);
			},
		},

		ofTeacher: {
			params: { $$strict: "remove", teacherId: ID },
			async handler(this: any, ctx: Ctx<{ teacherId: string }>) {
				const paths = await this.model.find(this.tenantFilter(ctx, { ownerId: ctx.params.teacherId }), { _id: 1 });
				return paths.map((p: { _id: unknown }) => String(p._id));
			},
		},

		ofStudent: {
			params: { $$strict: "remove", studentId: ID },
			async handler(this: any, ctx: Ctx<{ studentId: string }>) {
				return this.findScoped(ctx, { ...(await this.assignedFilter(ctx, ctx.params.studentId)), status: "active" }, { _id: 1 });
			},
		},

		ofClass: {
			params: { $$strict: "remove", classId: ID },
			handler(this: any, ctx: Ctx<{ classId: string }>) {
				return this.findScoped(ctx, { classIds: ctx.params.classId, status: "active" }, { _id: 1 });
			},
		},

		itemInUse: {
			params: { $$strict: "remove", itemIds: { type: "array", items: ID, max: 2000 } },
			async handler(this: any, ctx: Ctx<{ itemIds: string[] }>) {
				const wanted = [...new Set(ctx.params.itemIds)];
				const paths = await this.model.find(this.tenantFilter(ctx, { status: "active", "steps.itemIds": { $in: wanted } }), { steps: 1 });
				const used = new Set<string>(paths.flatMap((p: any) => p.steps.flatMap((s: any) => s.itemIds.map(String))));
				return { inUse: wanted.filter(id => used.has(id)) };
			},
		},
	},

	/** moleculer-db calls this after every updateScoped: the reporting feed gets the path as it now is. */
	async entityUpdated(this: any, json: any) {
		await publishDurable(this.broker, "learning.path.changed", pathChangedMessage(json));
	},

	methods: {
		/** The path, if the caller may change it: 404 outside their school, 403 when it is another teacher's. */
		async managed(this: any, ctx: Ctx<any>, id: string): Promise<PathDoc> {
			const user = currentUser(ctx);
			const path: PathDoc = await this.getScoped(ctx, id);
			if (!isAdmin(user) && path.ownerId !== user.id) throw forbidden("This path belongs to another teacher");
			return path;
		},

		/** Writes `update` only if the path is still as read (a change of steps is computed from the steps read). */
		async updateUnchanged(this: any, ctx: Ctx<any>, path: PathDoc & { updatedAt: Date }, update: Record<string, unknown>): Promise<PathDoc> {
			try {
				return await this.updateScoped(ctx, path.id, update, { updatedAt: path.updatedAt });
			} catch (err: any) {
				if (err?.code === 404) throw conflict("The path changed meanwhile: reload it and try again");
				throw err;
			}
		},

		/** A teacher assigns only classes they teach; an admin any class of the school. Unknown classes: 422. */
		async assertClasses(this: any, ctx: Ctx<any>, classIds: string[]): Promise<void> {
			if (classIds.length === 0) return;
			const user = currentUser(ctx);
			if (!isAdmin(user)) {
				const { teaches } = (await ctx.call("classes.membership", { userId: user.id })) as { teaches: string[] };
				const foreign = classIds.filter(id => !teaches.includes(id));
				if (foreign.length > 0) throw forbidden(`You do not teach the class ${foreign[0]}`);
				return;
			}
			for (const [i, id] of classIds.entries()) {
				try {
					await ctx.call("classes.get", { id });
				} catch (err: any) {
					if (err?.code === 404) throw invalid(`classIds[${i}]`, "is not a class of this school");
					throw err;
				}
			}
		},

		/** AI sources for the path: each must be one the caller may select (422 naming the first that is not). */
		async assertSources(this: any, ctx: Ctx<any>, sourceIds: string[]): Promise<void> {
			if (sourceIds.length === 0) return;
			const { unknown } = (await ctx.call("aiSources.checkSelectable", { sourceIds })) as { unknown: number[] };
			if (unknown.length > 0) throw invalid(`sourceIds[${unknown[0]}]`, "is not an AI source you may use");
		},

		/** Every student must be a student of the caller's school (422 naming the first that is not). */
		async assertStudents(this: any, ctx: Ctx<any>, studentIds: string[]): Promise<void> {
			if (studentIds.length === 0) return;
			const found = (await ctx.call("users.resolveMany", { ids: studentIds, roles: ["student"] })) as { id: string }[];
			const known = new Set(found.map(u => u.id));
			const index = studentIds.findIndex(id => !known.has(id));
			if (index >= 0) throw invalid(`studentIds[${index}]`, "is not a student of this school");
		},

		/**
		 * Every item must exist in the school (422); an active path takes validated items only (422 on creation
		 * and on a change of steps, 409 when activating a path that holds drafts).
		 */
		async assertItems(this: any, ctx: Ctx<any>, steps: Step[], mustBeValidated: boolean, action = "create"): Promise<void> {
			const ids = allItemIds(steps);
			if (ids.length === 0) return;
			const items = (await ctx.call("content.resolveMany", { ids })) as ContentRef[];
			const byId = new Map(items.map(i => [i.id, i]));
			for (const [s, step] of steps.entries()) {
				for (const [i, id] of step.itemIds.entries()) {
					const item = byId.get(id);
					const field = `steps[${s}].itemIds[${i}]`;
					if (!item) throw invalid(field, "is not a content item of this school");
					if (step.kind === "evaluation" && !["single_choice", "multiple_choice", "true_false", "short_answer", "numeric"].includes(item.kind)) {
						throw invalid(field, "an evaluation holds questions only");
					}
					if (mustBeValidated && item.status !== "validated") {
						const message = `the item "${id}" is ${item.status}: an active path holds validated items only`;
						if (action === "activate") throw conflict(message, ERR.CONTENT_NOT_VALIDATED, [{ field, message }]);
						throw new ClientError(message, 422, ERR.CONTENT_NOT_VALIDATED, [{ field, message }]);
					}
				}
			}
		},

		/**
		 * Runs `write` (which makes one more path active) if the plan leaves room for it, under the school's
		 * lease so the count and the write are not interleaved with another activation. A lease because the
		 * limit spans documents: each path's own status change is already one conditional update.
		 */
		async withActiveSlot<T>(this: any, ctx: Ctx<any>, write: () => Promise<T>): Promise<T> {
			const schoolId = callerSchoolId(ctx);
			const limits = (await ctx.call("subscriptions.limits", {})) as { status: string; maxActivePaths: number };
			if (limits.status !== "active") {
				throw forbidden("The school's subscription is not active", ERR.SUBSCRIPTION_INACTIVE);
			}
			return withLease(LearningPathLease, `active:${schoolId}`, async () => {
				const active = await this.model.countDocuments({ schoolId, status: "active" });
				if (active >= limits.maxActivePaths) {
					throw conflict(`The school's plan allows ${limits.maxActivePaths} active paths`, ERR.ACTIVE_PATH_LIMIT_REACHED, {
						maxActivePaths: limits.maxActivePaths,
						active,
					});
				}
				return write();
			});
		},

		/** Filter for the paths assigned to a student, directly or through a class they attend. */
		async assignedFilter(this: any, ctx: Ctx<any>, studentId: string): Promise<Filter> {
			const { attends } = (await ctx.call("classes.membership", { userId: studentId })) as { attends: string[] };
			return attends.length > 0 ? { $or: [{ studentIds: studentId }, { classIds: { $in: attends } }] } : { studentIds: studentId };
		},

		async studentAssigned(this: any, ctx: Ctx<any>, path: PathDoc, studentId: string): Promise<boolean> {
			if (path.studentIds.includes(studentId)) return true;
			if (path.classIds.length === 0) return false;
			const { attends } = (await ctx.call("classes.membership", { userId: studentId })) as { attends: string[] };
			return isAssigned(path, studentId, attends);
		},

		/** Students assigned directly and through the path's classes (read as the caller, who manages the path). */
		async assignedStudents(this: any, ctx: Ctx<any>, path: PathDoc): Promise<{ id: string; firstName: string; lastName: string }[]> {
			const ids = new Set(path.studentIds);
			for (const classId of path.classIds) {
				try {
					const cls = (await ctx.call("classes.get", { id: classId })) as { studentIds: string[] };
					cls.studentIds.forEach(id => ids.add(String(id)));
				} catch (err: any) {
					// a class removed since, or one the caller no longer teaches: its students are not listed
					if (err?.code !== 404 && err?.code !== 403) throw err;
				}
			}
			if (ids.size === 0) return [];
			const users = (await ctx.call("users.resolveMany", { ids: [...ids], roles: ["student"] })) as { id: string; firstName: string; lastName: string }[];
			return users.map(u => ({ id: u.id, firstName: u.firstName, lastName: u.lastName }));
		},

		/** The path as a student sees it: steps by title, never the items themselves (their keys stay on the server). */
		studentView(path: PathDoc) {
			return {
				id: path.id,
				name: path.name,
				objectives: path.objectives,
				subject: path.subject,
				status: path.status,
				settings: { practiceAllowed: path.settings?.practiceAllowed ?? false },
				steps: path.steps.map(s => ({
					id: s.id,
					title: s.title,
					kind: s.kind,
					prerequisites: s.prerequisites,
					availableFrom: s.availableFrom,
					availableUntil: s.availableUntil,
					completion: s.completion,
					evaluation: s.evaluation,
					itemCount: s.itemIds.length,
				})),
			};
		},

		/** Step 6 of the seed's scenario: the students are told, and the AI block gets the path to prepare. */
		async announceCreated(this: any, ctx: Ctx<any>, path: PathDoc, students: { id: string }[], sourceIds: string[] = []): Promise<void> {
			if (path.status === "active") await this.notifyStudents(ctx, path, students.map(s => s.id), `paths:${path.id}:created`);
			await publishDurable(this.broker, "learning.path.created", {
				id: `learning.path.created:${path.id}`,
				schoolId: path.schoolId,
				pathId: path.id,
				ownerId: path.ownerId,
				name: path.name,
				subject: path.subject,
				status: path.status,
				objectives: path.objectives,
				itemIds: allItemIds(path.steps),
				studentIds: students.map(s => s.id),
				// For reporting (learning.path.changed says the same): those assigned directly, and the step count.
				directStudentIds: path.studentIds,
				stepCount: path.steps.length,
				classIds: path.classIds,
				sourceIds,
			});
		},

		async notifyStudents(this: any, _ctx: Ctx<any>, path: PathDoc, userIds: string[], messageId: string): Promise<void> {
			if (userIds.length === 0) return;
			await publishDurable(this.broker, "notifications.requested", {
				id: messageId,
				schoolId: path.schoolId,
				userIds,
				type: "learning.path.assigned",
				title: `New learning path: ${path.name}`,
				body: path.objectives.length > 0 ? path.objectives.join("\n").slice(0, 2000) : undefined,
				data: { pathId: path.id },
			});
		},
	},

	created(this: any) {
		this.clock = learningClock;
	},

	async started() {
		// The lease is only a lease once its unique index exists.
		await LearningPathLease.init();
	},
};

export default PathsService;
