/**
 * One agenda per user, in their time zone: visios (rendez-vous and class calls), live group sessions, path
 * step windows and deadlines, evaluation windows, and for teachers their availability. Each block is asked
 * through its own actions, as the user (so each block's own visibility rules apply). The private iCalendar
 * feed (ical-generator) serves the same agenda at a secret URL a calendar app subscribes to; the secret is
 * stored hashed and can be revoked or rotated.
 */
import { createHash, randomBytes } from "node:crypto";
import ical from "ical-generator";
import { settings } from "../../config/env.js";
import { CalendarFeed } from "../../models/calendar-feed.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import { ClientError, ERR, invalid, notFound } from "../shared/errors.js";
import { currentUser, hasRole, type AuthUser, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { commClock } from "./comm-clock.js";
import { isValidZone, localIso, parseBound } from "./time-rules.js";
import { agendaPersonalData } from "./personal-data.js";

const MAX_RANGE_DAYS = 92;
const FEED_PAST_DAYS = 30;
const FEED_AHEAD_DAYS = 180;
const TOKEN_RULE = { type: "string", min: 20, max: 80, pattern: /^[A-Za-z0-9_-]+(\.ics)?$/ } as const;

export interface AgendaEntry {
	kind: "visio" | "live_session" | "step_window" | "deadline" | "evaluation_window" | "availability";
	id: string;
	title: string;
	start: string;
	end: string;
	startLocal: string;
	endLocal: string;
	status?: string;
	link?: string;
	details?: Record<string, unknown>;
}

const hash = (token: string) => createHash("sha256").update(token).digest("hex");

const AgendaService: ServiceDef = {
	name: "agenda",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [agendaPersonalData, dbMixin(CalendarFeed, { fields: ["id", "userId", "lastUsedAt", "createdAt"] })],

	actions: {
		get: {
			rest: "GET /agenda",
			params: { $$strict: "remove", from: { type: "string", max: 40 }, to: { type: "string", max: 40 }, tz: { type: "string", max: 64, optional: true } },
			async handler(this: any, ctx: Ctx<{ from: string; to: string; tz?: string }>) {
				const zone = ctx.params.tz ?? (await this.zoneOf(ctx));
				if (!isValidZone(zone)) throw invalid("tz", "is not a known IANA time zone");
				const from = parseBound(ctx.params.from, zone);
				const to = parseBound(ctx.params.to, zone);
				if (!from) throw invalid("from", "must be a date (YYYY-MM-DD, in your time zone) or an ISO date-time");
				if (!to) throw invalid("to", "must be a date (YYYY-MM-DD, in your time zone) or an ISO date-time");
				if (to <= from) throw invalid("to", "must be after from");
				if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) throw invalid("to", `the range is at most ${MAX_RANGE_DAYS} days`);
				const entries = await this.collect(ctx, currentUser(ctx), from, to, zone);
				return { timezone: zone, from: localIso(from, zone), to: localIso(to, zone), entries };
			},
		},

		feedStatus: {
			rest: "GET /agenda/feed",
			async handler(this: any, ctx: Ctx) {
				const doc = await this.model.findOne(this.tenantFilter(ctx, { userId: currentUser(ctx).id }));
				return doc ? { active: true, createdAt: doc.createdAt, lastUsedAt: doc.lastUsedAt } : { active: false };
			},
		},

		/** A new secret feed URL (the previous one stops working). Shown once: only its hash is kept. */
		createFeed: {
			rest: "POST /agenda/feed",
			async handler(this: any, ctx: Ctx) {
				const me = currentUser(ctx);
				const token = randomBytes(32).toString("base64url");
				await this.model.findOneAndUpdate(this.tenantFilter(ctx, { userId: me.id }), { $set: { tokenHash: hash(token), lastUsedAt: null } }, { upsert: true, new: true });
				ctx.meta.$statusCode = 201;
				const url = new URL(`/api/agenda/feed/${token}.ics`, settings().publicUrl).toString();
				return { url, webcal: url.replace(/^https?:/, "webcal:") };
			},
		},

		revokeFeed: {
			rest: "DELETE /agenda/feed",
			async handler(this: any, ctx: Ctx) {
				const res = await this.model.deleteOne(this.tenantFilter(ctx, { userId: currentUser(ctx).id }));
				if (res.deletedCount === 0) throw notFound("CalendarFeed");
				return { revoked: true };
			},
		},

		/** The feed itself, for calendar apps: no login, the secret in the URL is the credential. */
		feed: {
			rest: "GET /agenda/feed/:token",
			params: { $$strict: "remove", token: TOKEN_RULE },
			async handler(this: any, ctx: Ctx<{ token: string }>) {
				const token = ctx.params.token.replace(/\.ics$/, "");
				const doc = await this.model.findOne({ tokenHash: hash(token) });
				// Unknown, revoked or rotated: the same 404.
				if (!doc) throw notFound("CalendarFeed");
				const account: any = await ctx.call("users.sessionUser", { userId: String(doc.userId) }).catch(() => null);
				if (!account || account.status !== "active" || String(account.schoolId) !== String(doc.schoolId)) throw notFound("CalendarFeed");
				const school: any = await ctx.call("schools.resolve", { id: String(doc.schoolId) });
				if (school.status !== "active") throw notFound("CalendarFeed");
				const user: AuthUser = { id: account.id, schoolId: account.schoolId, roles: account.roles };
				// The other blocks are asked as this user, so their own visibility rules apply.
				ctx.meta.user = user;
				const now = commClock.now();
				const zone = await this.zoneOf(ctx);
				const entries: AgendaEntry[] = await this.collect(ctx, user, new Date(now.getTime() - FEED_PAST_DAYS * 86_400_000), new Date(now.getTime() + FEED_AHEAD_DAYS * 86_400_000), zone);
				await this.model.updateOne({ _id: doc._id }, { $set: { lastUsedAt: now } });
				const calendar = ical({ name: `${school.name}`, timezone: zone, ttl: 15 * 60, prodId: { company: "learning-platform", product: "agenda", language: "EN" } });
				for (const e of entries) {
					calendar.createEvent({
						id: `${e.kind}-${e.id}@learning-platform`,
						start: new Date(e.start),
						end: new Date(e.end),
						summary: e.title,
						description: e.link ? new URL(e.link, settings().publicUrl).toString() : undefined,
						url: e.link ? new URL(e.link, settings().publicUrl).toString() : undefined,
						status: e.status === "cancelled" ? ("CANCELLED" as any) : ("CONFIRMED" as any),
					});
				}
				ctx.meta.$responseType = "text/calendar; charset=utf-8";
				ctx.meta.$responseHeaders = { "Cache-Control": "private, no-store", "Content-Disposition": 'inline; filename="agenda.ics"' };
				return calendar.toString();
			},
		},
	},

	methods: {
		async zoneOf(this: any, ctx: Ctx<any>): Promise<string> {
			const me = currentUser(ctx);
			const prefs: any = await ctx.call("preferences.forUsers", { userIds: [me.id] }).catch(() => ({}));
			if (prefs[me.id]?.timezone) return prefs[me.id].timezone;
			if (!me.schoolId) return "UTC";
			const school: any = await ctx.call("schools.resolve", { id: me.schoolId });
			return school.timezone ?? "UTC";
		},

		async collect(this: any, ctx: Ctx<any>, user: AuthUser, from: Date, to: Date, zone: string): Promise<AgendaEntry[]> {
			if (!user.schoolId) throw new ClientError("The agenda belongs to school members", 403, ERR.FORBIDDEN);
			const entry = (e: Omit<AgendaEntry, "startLocal" | "endLocal">): AgendaEntry => ({ ...e, startLocal: localIso(new Date(e.start), zone), endLocal: localIso(new Date(e.end), zone) });
			const inRange = (start: Date, end: Date) => start < to && end > from;
			const out: AgendaEntry[] = [];

			const visios: any[] = await ctx.call("visio.agenda", { userId: user.id, from, to });
			for (const v of visios) {
				out.push(entry({ kind: "visio", id: v.id, title: v.title, start: new Date(v.start).toISOString(), end: new Date(v.end).toISOString(), status: v.status, link: `/visios/${v.id}`, details: { kind: v.kind, rendezvousId: v.rendezvousId, classId: v.classId, host: v.hostId === user.id } }));
			}

			const live = (await ctx.call("liveSessions.agenda", { userId: user.id, from, to }).catch(() => [])) as any[];
			for (const s of live) out.push(entry({ kind: "live_session", id: s.id, title: s.title, start: s.start, end: s.end, status: s.status, details: { classId: s.classId } }));

			let paths: any[] = [];
			if (hasRole(user, "student")) paths = (await ctx.call("paths.ofStudent", { studentId: user.id })) as any[];
			else if (hasRole(user, "teacher")) paths = (await ctx.call("paths.list", { status: "active", pageSize: 100 }) as any).rows;
			for (const p of paths) {
				for (const step of p.steps ?? []) {
					const opens = step.availableFrom ? new Date(step.availableFrom) : null;
					const closes = step.availableUntil ? new Date(step.availableUntil) : null;
					const link = `/learning-paths/${p.id}`;
					const details = { pathId: p.id, stepId: step.id, path: p.name };
					if (opens && closes && inRange(opens, closes)) {
						out.push(entry({ kind: step.kind === "evaluation" ? "evaluation_window" : "step_window", id: `${p.id}:${step.id}`, title: `${p.name}: ${step.title}`, start: opens.toISOString(), end: closes.toISOString(), link, details }));
					}
					if (closes && closes >= from && closes < to) {
						out.push(entry({ kind: "deadline", id: `${p.id}:${step.id}:deadline`, title: `${p.name}: ${step.title}`, start: closes.toISOString(), end: closes.toISOString(), link, details }));
					} else if (opens && !closes && opens >= from && opens < to) {
						out.push(entry({ kind: step.kind === "evaluation" ? "evaluation_window" : "step_window", id: `${p.id}:${step.id}`, title: `${p.name}: ${step.title}`, start: opens.toISOString(), end: opens.toISOString(), link, details }));
					}
				}
			}

			if (hasRole(user, "teacher")) {
				const windows: { start: string; end: string }[] = await ctx.call("availability.windows", { teacherId: user.id, from, to });
				windows.forEach((w, i) => out.push(entry({ kind: "availability", id: `availability:${new Date(w.start).toISOString()}:${i}`, title: "Available for rendez-vous", start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString() })));
			}
			return out.sort((a, b) => a.start.localeCompare(b.start) || a.kind.localeCompare(b.kind));
		},
	},
};

export default AgendaService;
