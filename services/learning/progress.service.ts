/**
 * Progress: what each student has done on each path (sessions and evaluations counted once each, steps
 * completed) and where they stand now (mastery = mean probability of recall now, next due date, streak),
 * for the student, for the path's teacher, and for a class. Stored progress is only what cannot be read
 * again later: whether a step was completed, session counts and time; the rest is read live from memory.
 */
import { PathProgress } from "../../models/path-progress.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import { ClientError, forbidden, type ErrorType } from "../shared/errors.js";
import { callerSchoolId, currentUser, hasRole, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { learningClock } from "./learning-clock.js";
import { localDay, streak } from "./memory/spacing.js";
import type { PathDoc } from "./paths.service.js";
import { MAX_SESSIONS, recordSessions } from "./progress/record-sessions.js";
import type { SessionRecord, StoredProgress } from "./progress/session-tally.js";
import { standing, stepStanding, type ItemMemoryNow } from "./progress/step-progress.js";
import { ID } from "../shared/params.js";
import { publishDurable } from "../shared/durable.js";
import { EXPORT_PARAMS, exportPage, on, type ExportParams } from "../shared/feed-export.js";
import { stepCompletedMessages } from "./progress/step-feed.js";
import { progressPersonalData } from "./personal-data.js";

const DAY_MS = 86_400_000;
/** How far back reviews are read to count a streak. */
const STREAK_WINDOW_DAYS = 400;

/** A path with, per step, its answerable items (lessons left out): what mastery is computed over. */
export interface PathContext {
	path: PathDoc;
	answerable: Map<string, string[]>;
	allItems: string[];
}

/** One finished session, as progress.recordSession and each entry of progress.recordSessions take it. */
const SESSION_PROPS = {
	studentId: ID,
	stepId: ID,
	sessionId: { type: "string", min: 1, max: 100 },
	kind: { type: "enum", values: ["revision", "evaluation"], optional: true },
	score: { type: "number", min: 0, max: 1 },
	answered: { type: "number", integer: true, min: 0 },
	successRate: { type: "number", min: 0, max: 1, optional: true },
	timeSpentMs: { type: "number", min: 0, optional: true },
	passed: { type: "boolean", optional: true },
} as const;

const ProgressService: ServiceDef = {
	name: "progress",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [progressPersonalData, dbMixin(PathProgress, { fields: ["id", "schoolId", "studentId", "pathId", "steps", "sessions", "timeSpentMs", "lastActivityAt"] })],

	// The reporting feed (progress/step-feed.ts): steps the recorded sessions completed, once the action answers.
	hooks: {
		after: {
			async recordSession(this: any, ctx: Ctx<SessionRecord & { pathId: string }>, res: { stepCompleted?: boolean; duplicate?: boolean }) {
				if (res.stepCompleted || res.duplicate) await this.announceSteps(ctx, ctx.params.pathId, [ctx.params]);
				return res;
			},
			async recordSessions(this: any, ctx: Ctx<{ pathId: string; sessions: SessionRecord[] }>, res: { results: any[] }) {
				const done = ctx.params.sessions.filter((_, i) => res.results[i]?.ok && (res.results[i].stepCompleted || res.results[i].duplicate));
				if (done.length > 0) await this.announceSteps(ctx, ctx.params.pathId, done);
				return res;
			},
		},
	},

	actions: {
		/** The school's completed steps as `learning.step.completed` messages (reporting rebuilds from them). */
		export: {
			params: EXPORT_PARAMS,
			handler(this: any, ctx: Ctx<ExportParams>) {
				return exportPage(this.model, ctx.params, { "steps.completed": true }, (doc: any) => on("learning.step.completed", stepCompletedMessages(ctx.params.schoolId, doc)));
			},
		},

		/** One session: the batch of one (same rule, same guard, same answers as before the batch existed). */
		recordSession: {
			params: { $$strict: "remove", pathId: ID, ...SESSION_PROPS },
			async handler(this: any, ctx: Ctx<SessionRecord & { pathId: string }>) {
				const { pathId, ...session } = ctx.params;
				const [result] = await recordSessions(this, ctx, pathId, [session]);
				if (!result.ok) throw new ClientError(result.error.message, result.error.code, result.error.type as ErrorType);
				const { ok: _ok, studentId: _student, sessionId: _session, ...outcome } = result;
				return outcome;
			},
		},

		/**
		 * Many sessions of one path (a live session's end): see progress/record-sessions.ts. Answers per session,
		 * in input order; a student whose progress kept moving under concurrent writes for every round fails
		 * alone (409, nothing stored for them), the others are recorded.
		 */
		recordSessions: {
			params: {
				$$strict: "remove",
				pathId: ID,
				sessions: { type: "array", min: 1, max: MAX_SESSIONS, items: { type: "object", strict: "remove", props: SESSION_PROPS } },
			},
			async handler(this: any, ctx: Ctx<{ pathId: string; sessions: SessionRecord[] }>) {
				return { results: await recordSessions(this, ctx, ctx.params.pathId, ctx.params.sessions) };
			},
		},

		stepStatus: {
			params: { $$strict: "remove", studentId: ID, pathId: ID },
			async handler(this: any, ctx: Ctx<{ studentId: string; pathId: string }>) {
				const pc: PathContext = await this.pathContext(ctx, ctx.params.pathId);
				const summary = await this.studentOnPath(ctx, pc, ctx.params.studentId);
				return Object.fromEntries(summary.steps.map((s: { stepId: string; completed: boolean; mastery: number }) => [s.stepId, { completed: s.completed, mastery: s.mastery }]));
			},
		},

		me: {
			rest: "GET /progress/me",
			async handler(this: any, ctx: Ctx) {
				const user = currentUser(ctx);
				const now = this.clock.now();
				const paths = (await ctx.call("paths.ofStudent", { studentId: user.id })) as PathDoc[];
				const out = [];
				for (const path of paths) {
					const pc = await this.contextOf(ctx, path);
					out.push({ pathId: path.id, name: path.name, subject: path.subject, ...(await this.studentOnPath(ctx, pc, user.id)) });
				}
				const timeZone = await this.timeZone(ctx);
				const { instants } = (await ctx.call("memory.reviewDays", { studentId: user.id, since: new Date(now.getTime() - STREAK_WINDOW_DAYS * DAY_MS) })) as {
					instants: (Date | string)[];
				};
				const today = localDay(now, timeZone);
				return {
					studentId: user.id,
					today,
					timeZone,
					streak: streak(instants.map(t => localDay(new Date(t), timeZone)), today),
					paths: out,
				};
			},
		},

		path: {
			rest: "GET /learning-paths/:id/progress",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const user = currentUser(ctx);
				const pc: PathContext = await this.pathContext(ctx, ctx.params.id);
				if (!hasRole(user, "school_admin") && pc.path.ownerId !== user.id) throw forbidden("This path belongs to another teacher");
				const ids = new Set(pc.path.studentIds);
				for (const classId of pc.path.classIds) (await this.classStudents(ctx, classId)).forEach((id: string) => ids.add(id));
				const students = await this.people(ctx, [...ids]);
				const rows = [];
				for (const s of students) rows.push({ student: s, ...(await this.studentOnPath(ctx, pc, s.id)) });
				return { pathId: pc.path.id, name: pc.path.name, status: pc.path.status, students: rows };
			},
		},

		class: {
			rest: "GET /classes/:id/progress",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				// classes.get refuses a teacher who does not teach the class (403) and another school's class (404)
				const cls = (await ctx.call("classes.get", { id: ctx.params.id })) as { id: string; name: string; studentIds: string[] };
				const paths = (await ctx.call("paths.ofClass", { classId: cls.id })) as PathDoc[];
				const contexts: PathContext[] = [];
				for (const path of paths) contexts.push(await this.contextOf(ctx, path));
				const students = await this.people(ctx, cls.studentIds.map(String));
				const rows = [];
				for (const s of students) {
					const perPath = [];
					for (const pc of contexts) {
						const { steps: _steps, ...summary } = await this.studentOnPath(ctx, pc, s.id);
						perPath.push({ pathId: pc.path.id, name: pc.path.name, ...summary });
					}
					rows.push({ student: s, paths: perPath });
				}
				return { classId: cls.id, name: cls.name, paths: contexts.map(pc => ({ pathId: pc.path.id, name: pc.path.name })), students: rows };
			},
		},
	},

	methods: {
		/** Publishes the completion of these sessions' steps, read from the stored progress (its completedAt). */
		async announceSteps(this: any, ctx: Ctx<any>, pathId: string, sessions: { studentId: string; stepId: string }[]) {
			const schoolId = callerSchoolId(ctx);
			const docs = await this.model.find(this.tenantFilter(ctx, { pathId, studentId: { $in: [...new Set(sessions.map(s => s.studentId))] } }), { studentId: 1, pathId: 1, steps: 1 }).lean();
			const steps = new Set(sessions.map(s => `${s.studentId}:${s.stepId}`));
			for (const doc of docs) {
				for (const message of stepCompletedMessages(schoolId, doc)) {
					if (steps.has(`${message.studentId}:${message.stepId}`)) await publishDurable(this.broker, "learning.step.completed", message);
				}
			}
		},

		async pathContext(this: any, ctx: Ctx<any>, pathId: string): Promise<PathContext> {
			return this.contextOf(ctx, (await ctx.call("paths.resolve", { id: pathId })) as PathDoc);
		},

		async contextOf(this: any, ctx: Ctx<any>, path: PathDoc): Promise<PathContext> {
			const ids = [...new Set(path.steps.flatMap(s => s.itemIds))];
			const items = ids.length === 0 ? [] : ((await ctx.call("content.resolveMany", { ids })) as { id: string; kind: string }[]);
			const lessons = new Set(items.filter(i => i.kind === "lesson").map(i => i.id));
			const answerable = new Map(path.steps.map(s => [s.id, s.itemIds.filter(id => !lessons.has(id))]));
			return { path, answerable, allItems: ids.filter(id => !lessons.has(id)) };
		},

		/** The student's memory of `itemIds` (default: every answerable item of the path), by item id. */
		async memoryOf(this: any, ctx: Ctx<any>, studentId: string, pc: PathContext, itemIds: string[] = pc.allItems): Promise<Map<string, ItemMemoryNow>> {
			if (itemIds.length === 0) return new Map();
			const states = (await ctx.call("memory.states", { studentId, itemIds, teacherId: pc.path.ownerId })) as ItemMemoryNow[];
			return new Map(states.map(s => [s.itemId, { ...s, due: new Date(s.due) }]));
		},

		async stored(this: any, ctx: Ctx<any>, studentId: string, pathId: string): Promise<StoredProgress | null> {
			const doc = await this.model.findOne(this.tenantFilter(ctx, { studentId, pathId }));
			return doc ? (doc.toObject() as StoredProgress) : null;
		},

		/** One student on one path: each step (completed, mastery), the path's mastery, next due date, sessions. */
		async studentOnPath(this: any, ctx: Ctx<any>, pc: PathContext, studentId: string) {
			const now = this.clock.now();
			const memory = await this.memoryOf(ctx, studentId, pc);
			const stored: StoredProgress | null = await this.stored(ctx, studentId, pc.path.id);
			const steps = pc.path.steps.map(step => {
				const s = stepStanding({ ...step, itemIds: pc.answerable.get(step.id) ?? [] }, memory, now);
				const kept = stored?.steps.find(x => x.stepId === step.id);
				return {
					stepId: step.id,
					title: step.title,
					kind: step.kind,
					completed: (kept?.completed ?? false) || s.criterionMet,
					mastery: s.mastery,
					reviewed: s.reviewed,
					items: s.total,
					dueNow: s.dueNow,
					nextDueAt: s.nextDueAt,
					sessions: kept?.sessions ?? 0,
					lastScore: kept?.lastScore ?? null,
					bestScore: kept?.bestScore ?? null,
				};
			});
			const overall = standing(pc.allItems, memory, now);
			return {
				mastery: overall.mastery,
				nextDueAt: overall.nextDueAt,
				dueNow: overall.dueNow,
				reviewed: overall.reviewed,
				items: overall.total,
				completedSteps: steps.filter(s => s.completed).length,
				totalSteps: steps.length,
				sessions: stored?.sessions ?? 0,
				timeSpentMs: stored?.timeSpentMs ?? 0,
				lastActivityAt: stored?.lastActivityAt ?? null,
				steps,
			};
		},

		async classStudents(this: any, ctx: Ctx<any>, classId: string): Promise<string[]> {
			try {
				const cls = (await ctx.call("classes.get", { id: classId })) as { studentIds: string[] };
				return cls.studentIds.map(String);
			} catch (err: any) {
				// a class removed since, or one the teacher no longer teaches: its students are not listed here
				if (err?.code === 404 || err?.code === 403) return [];
				throw err;
			}
		},

		async people(this: any, ctx: Ctx<any>, ids: string[]): Promise<{ id: string; firstName: string; lastName: string }[]> {
			if (ids.length === 0) return [];
			const users = (await ctx.call("users.resolveMany", { ids, roles: ["student"] })) as { id: string; firstName: string; lastName: string }[];
			return users.map(u => ({ id: u.id, firstName: u.firstName, lastName: u.lastName }));
		},

		async timeZone(this: any, ctx: Ctx<any>): Promise<string> {
			const school = (await ctx.call("schools.resolve", { id: callerSchoolId(ctx) })) as { timezone: string };
			return school.timezone;
		},
	},

	created(this: any) {
		this.clock = learningClock;
	},
};

export default ProgressService;
