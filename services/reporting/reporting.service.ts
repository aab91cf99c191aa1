/**
 * reporting: the dashboards (REST under /api/reporting), their charts (SVG, PNG on request), CSV exports of
 * every table and the one-page PDF report of a class. Figures come from reporting's own projections (written
 * by reportingFeed); who may see what is asked of the owners, as the caller: `classes.get` (a teacher sees
 * only the classes they teach, another school's class is a 404), `classes.teachesStudent`, `users.resolveMany`.
 * Names of people and items are looked up the same way, for display only.
 */
import { Errors } from "moleculer";
import { settings } from "../../config/env.js";
import { ReportingBucket } from "../../models/reporting-bucket.model.js";
import { ReportingSchool } from "../../models/reporting-school.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import { forbidden, notFound } from "../shared/errors.js";
import { callerSchoolId, currentUser, hasRole, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { renderPng, renderSvg } from "./charts/render.js";
import { CLASS_CHARTS, PLATFORM_CHARTS, PUBLIC_CHARTS, SCHOOL_CHARTS, STUDENT_CHARTS, type ChartBuilder } from "./charts/specs.js";
import { classDashboard, classHeatmap, type ClassRoster } from "./dashboards/class.js";
import { periodOf, PERIOD_PARAMS } from "./dashboards/period.js";
import { lastMonths, platformDashboard } from "./dashboards/platform.js";
import { publicStatistics } from "./dashboards/public.js";
import { projectionOf } from "./dashboards/read.js";
import { schoolDashboard } from "./dashboards/school.js";
import { studentDashboard } from "./dashboards/student.js";
import { CLASS_TABLES, PLATFORM_TABLES, PUBLIC_TABLES, SCHOOL_TABLES, STUDENT_TABLES, toCsv, type Table } from "./exports/tables.js";
import { timeZoneOf } from "./feed/context.js";
import { today } from "./feed/local-time.js";
import { PROJECTION_MODELS } from "./projection-models.js";

const FORMAT = { type: "enum", values: ["svg", "png"], optional: true } as const;
const MONTHS = { type: "number", integer: true, min: 1, max: 36, optional: true, convert: true } as const;
const enumOf = (o: Record<string, unknown>) => ({ type: "enum", values: Object.keys(o) }) as const;

interface DashboardKind {
	/** Action name prefix and REST base (":id" where the dashboard is about one student or class). */
	name: "student" | "class" | "school" | "platform" | "public";
	rest: string;
	params: Record<string, unknown>;
	charts: Record<string, ChartBuilder>;
	tables: Record<string, (d: any) => Table>;
}

const KINDS: DashboardKind[] = [
	{ name: "student", rest: "/reporting/students/:id", params: { id: ID, ...PERIOD_PARAMS }, charts: STUDENT_CHARTS, tables: STUDENT_TABLES },
	{ name: "class", rest: "/reporting/classes/:id", params: { id: ID, ...PERIOD_PARAMS }, charts: CLASS_CHARTS, tables: CLASS_TABLES },
	{ name: "school", rest: "/reporting/school", params: { ...PERIOD_PARAMS }, charts: SCHOOL_CHARTS, tables: SCHOOL_TABLES },
	{ name: "platform", rest: "/reporting/platform", params: { months: MONTHS }, charts: PLATFORM_CHARTS, tables: PLATFORM_TABLES },
	{ name: "public", rest: "/reporting/public", params: {}, charts: PUBLIC_CHARTS, tables: PUBLIC_TABLES },
];

const camel = (s: string) => s.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
const cap = (s: string) => s[0].toUpperCase() + s.slice(1);

/** The action name of a chart: `reporting.classAiComplexityChart`. */
export const chartAction = (kind: string, chart: string) => `${kind}${cap(camel(chart))}Chart`;

/** One action per chart of every dashboard (each its own route), and one CSV export per dashboard. */
function generatedActions(): Record<string, unknown> {
	const out: Record<string, unknown> = {};
	for (const kind of KINDS) {
		for (const chart of Object.keys(kind.charts)) {
			out[chartAction(kind.name, chart)] = {
				rest: `GET ${kind.rest}/charts/${chart}`,
				// The heatmap is "as of now" (estimated recall of every item): it has no period.
				params: chart === "heatmap" ? { $$strict: "remove", id: ID, pathId: { ...ID, optional: true }, format: FORMAT } : { $$strict: "remove", ...kind.params, format: FORMAT },
				async handler(this: any, ctx: Ctx<any>) {
					const data = chart === "heatmap" ? await this.heatmapData(ctx) : await this.dashboardData(kind.name, ctx);
					return this.sendChart(ctx, kind.charts[chart](data), `${kind.name}-${chart}`);
				},
			};
		}
		out[`${kind.name}Csv`] = {
			rest: `GET ${kind.rest}/csv`,
			// Without `table`, the dashboard's first (its main one: activity over the period, or MRR).
			params: { $$strict: "remove", ...kind.params, table: { ...enumOf(kind.tables), optional: true }, ...(kind.name === "class" ? { pathId: { ...ID, optional: true } } : {}) },
			async handler(this: any, ctx: Ctx<any>) {
				const table: string = ctx.params.table ?? Object.keys(kind.tables)[0];
				const data = table === "heatmap" ? await this.heatmapData(ctx) : await this.dashboardData(kind.name, ctx);
				const csv = toCsv(kind.tables[table](data));
				ctx.meta.$responseType = "text/csv; charset=utf-8";
				ctx.meta.$responseHeaders = { "Content-Disposition": `attachment; filename="${kind.name}-${table}.csv"`, "Cache-Control": kind.name === "public" ? this.publicCacheControl() : "private, no-store" };
				return csv;
			},
		};
	}
	return out;
}

const ReportingService: ServiceDef = {
	name: "reporting",
	settings: { rest: "/" },
	// The mixin gives this node the shared database connection; the projections are read through dashboards/read.ts.
	mixins: [dbMixin(ReportingBucket, { fields: ["id"], tenant: false })],

	actions: {
		student: {
			rest: "GET /reporting/students/:id",
			params: { $$strict: "remove", id: ID, ...PERIOD_PARAMS },
			handler(this: any, ctx: Ctx<any>) {
				return this.dashboardData("student", ctx);
			},
		},
		class: {
			rest: "GET /reporting/classes/:id",
			params: { $$strict: "remove", id: ID, ...PERIOD_PARAMS },
			handler(this: any, ctx: Ctx<any>) {
				return this.dashboardData("class", ctx);
			},
		},
		classHeatmap: {
			rest: "GET /reporting/classes/:id/heatmap",
			params: { $$strict: "remove", id: ID, pathId: { ...ID, optional: true } },
			handler(this: any, ctx: Ctx<any>) {
				return this.heatmapData(ctx);
			},
		},
		classPdf: {
			rest: "GET /reporting/classes/:id/pdf",
			params: { $$strict: "remove", id: ID, ...PERIOD_PARAMS },
			async handler(this: any, ctx: Ctx<any>) {
				const data = await this.dashboardData("class", ctx);
				const school: any = await ReportingSchool.findById(callerSchoolId(ctx), { name: 1 }).lean();
				const { classReportPdf } = await import("./exports/class-report.js");
				const pdf = await classReportPdf(data, school?.name ?? null);
				ctx.meta.$responseType = "application/pdf";
				ctx.meta.$responseHeaders = { "Content-Disposition": `attachment; filename="class-report-${data.period.from}-${data.period.to}.pdf"`, "Cache-Control": "private, no-store" };
				return pdf;
			},
		},
		school: {
			rest: "GET /reporting/school",
			params: { $$strict: "remove", ...PERIOD_PARAMS },
			handler(this: any, ctx: Ctx<any>) {
				return this.dashboardData("school", ctx);
			},
		},
		platform: {
			rest: "GET /reporting/platform",
			params: { $$strict: "remove", months: MONTHS },
			handler(this: any, ctx: Ctx<any>) {
				return this.dashboardData("platform", ctx);
			},
		},
		public: {
			rest: "GET /reporting/public",
			params: { $$strict: "remove" },
			handler(this: any, ctx: Ctx<any>) {
				return this.dashboardData("public", ctx);
			},
		},
		...generatedActions(),
	},

	methods: {
		/** Authorises the caller for the dashboard and computes it (with display names). */
		async dashboardData(this: any, kind: DashboardKind["name"], ctx: Ctx<any>) {
			const now = new Date();
			switch (kind) {
				case "student": {
					await this.assertMaySeeStudent(ctx, ctx.params.id);
					const { p, period, zone } = await this.scope(ctx);
					const data = await studentDashboard(p, ctx.params.id, period, today(zone, now), now);
					const titles = await this.itemTitles(ctx, data.weakestItems.map((w: any) => w.itemId));
					data.weakestItems = data.weakestItems.map((w: any) => ({ ...w, title: titles.get(w.itemId) ?? null }));
					return data;
				}
				case "class": {
					const cls = await this.classFor(ctx, ctx.params.id);
					const { p, period, zone } = await this.scope(ctx);
					const data = await classDashboard(p, cls, period, today(zone, now));
					const names = await this.names(ctx, data.atRisk.students.map((s: any) => s.studentId));
					data.atRisk.students = data.atRisk.students.map((s: any) => ({ ...s, name: names.get(s.studentId) ?? null }));
					return data;
				}
				case "school": {
					const { p, period } = await this.scope(ctx);
					const limits: any = await ctx.call("subscriptions.limits", {}).catch(() => null);
					const data = await schoolDashboard(p, period, now, limits?.seatLimit ?? null);
					const names = await this.names(ctx, data.engagementByTeacher.map((t: any) => t.teacherId));
					data.engagementByTeacher = data.engagementByTeacher.map((t: any) => ({ ...t, name: names.get(t.teacherId) ?? null }));
					return data;
				}
				case "platform":
					return platformDashboard(lastMonths(ctx.params.months ?? 12, now), now);
				case "public": {
					ctx.meta.$responseHeaders = { "Cache-Control": this.publicCacheControl() };
					// Fresh while younger than the cache time now configured (computed once for concurrent callers).
					const ttl = settings().reportingPublicCacheSeconds * 1000;
					if (!this.publicCache || this.publicCache.at + ttl <= Date.now()) {
						this.publicCache = { at: Date.now(), value: publicStatistics(now, settings().reportingMinGroup) };
						this.publicCache.value.catch(() => (this.publicCache = null));
					}
					return this.publicCache.value;
				}
			}
		},

		async heatmapData(this: any, ctx: Ctx<any>) {
			const cls = await this.classFor(ctx, ctx.params.id);
			const p = await projectionOf(callerSchoolId(ctx));
			const data: any = await classHeatmap(p, cls, ctx.params.pathId, new Date());
			if (ctx.params.pathId && data.pathIds.length === 0) throw notFound("LearningPath", ctx.params.pathId);
			const [names, titles] = await Promise.all([this.names(ctx, data.studentIds), this.itemTitles(ctx, data.itemIds)]);
			data.studentLabels = data.studentIds.map((id: string) => names.get(id) ?? id.slice(-6));
			data.itemLabels = data.itemIds.map((id: string) => titles.get(id) ?? id.slice(-6));
			return data;
		},

		/** The caller's school projection, time zone and the requested period in it. */
		async scope(this: any, ctx: Ctx<any>) {
			const schoolId = callerSchoolId(ctx);
			const zone = await timeZoneOf(schoolId, (id: string) => ctx.call("schools.resolve", { id }));
			return { p: await projectionOf(schoolId), zone, period: periodOf(ctx.params, zone) };
		},

		/** A student of the caller's school the caller may see: themself, a student they teach, anyone for an admin. */
		async assertMaySeeStudent(this: any, ctx: Ctx<any>, studentId: string) {
			const user = currentUser(ctx);
			if (user.id === studentId && hasRole(user, "student")) return;
			if (!hasRole(user, "school_admin", "teacher")) throw forbidden("A student sees only their own dashboard");
			const [student] = (await ctx.call("users.resolveMany", { ids: [studentId], roles: ["student"] })) as unknown[];
			if (!student) throw notFound("Student", studentId);
			if (hasRole(user, "school_admin")) return;
			const { teaches } = (await ctx.call("classes.teachesStudent", { teacherId: user.id, studentId })) as { teaches: boolean };
			if (!teaches) throw forbidden("You do not teach this student");
		},

		/** The class as its owner shows it to the caller: 404 outside their school, 403 for a class they do not teach. */
		async classFor(this: any, ctx: Ctx<any>, id: string): Promise<ClassRoster> {
			const cls: any = await ctx.call("classes.get", { id });
			const user = currentUser(ctx);
			if (!hasRole(user, "school_admin") && !(cls.teacherIds ?? []).includes(user.id)) throw forbidden("You do not teach this class");
			return { id: cls.id, name: cls.name, studentIds: cls.studentIds ?? [], teacherIds: cls.teacherIds ?? [] };
		},

		/** Display names of the school's users (first and last name), for labels only. */
		async names(this: any, ctx: Ctx<any>, ids: string[]): Promise<Map<string, string>> {
			const out = new Map<string, string>();
			for (let i = 0; i < ids.length; i += 1000) {
				const users = (await ctx.call("users.resolveMany", { ids: ids.slice(i, i + 1000) })) as any[];
				for (const u of users) out.set(String(u.id), [u.firstName, u.lastName].filter(Boolean).join(" ") || u.username || String(u.id));
			}
			return out;
		},

		async itemTitles(this: any, ctx: Ctx<any>, ids: string[]): Promise<Map<string, string>> {
			if (ids.length === 0) return new Map();
			const items = (await ctx.call("content.resolveMany", { ids: ids.slice(0, 2000) }).catch((err: unknown) => {
				if (err instanceof Errors.ServiceNotFoundError) return [];
				throw err;
			})) as any[];
			return new Map(items.map(i => [String(i.id), i.title ?? i.prompt ?? String(i.id)]));
		},

		async sendChart(this: any, ctx: Ctx<any>, chart: any, name: string) {
			const png = ctx.params.format === "png";
			ctx.meta.$responseType = png ? "image/png" : "image/svg+xml; charset=utf-8";
			ctx.meta.$responseHeaders = { "Content-Disposition": `inline; filename="${name}.${png ? "png" : "svg"}"`, "Cache-Control": name.startsWith("public-") ? this.publicCacheControl() : "private, no-store" };
			return png ? renderPng(chart) : renderSvg(chart);
		},

		publicCacheControl() {
			return `public, max-age=${settings().reportingPublicCacheSeconds}`;
		},
	},

	created(this: any) {
		this.publicCache = null;
	},

	async started() {
		await Promise.all(PROJECTION_MODELS.map(m => m.init()));
	},
};

export default ReportingService;
