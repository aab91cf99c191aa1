/**
 * Teachers' weekly availability for rendez-vous, in their time zone, with dated exceptions; and the free
 * slots a student sees (availability minus the teacher's scheduled visios). time-rules.ts does the
 * arithmetic (luxon, DST-correct).
 */
import { Availability } from "../../models/availability.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import { forbidden, invalid, notFound } from "../shared/errors.js";
import { currentUser, hasRole, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { commClock } from "./comm-clock.js";
import { settings } from "../../config/env.js";
import { DATE, freeSlots, HHMM, isValidZone, minutesOf, windowsBetween, within, type AvailabilityRules, type Interval } from "./time-rules.js";
import { availabilityPersonalData } from "./personal-data.js";

const TIME = { type: "string", pattern: HHMM } as const;
const MAX_RANGE_DAYS = 62;
const FIELDS = ["id", "schoolId", "teacherId", "timezone", "slotMinutes", "weekly", "exceptions", "updatedAt"];

const AvailabilityService: ServiceDef = {
	name: "availability",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [availabilityPersonalData, dbMixin(Availability, { fields: FIELDS })],

	actions: {
		mine: {
			rest: "GET /availability",
			async handler(this: any, ctx: Ctx) {
				return this.rulesOf(ctx, currentUser(ctx).id);
			},
		},

		replace: {
			rest: "PUT /availability",
			params: {
				$$strict: "remove",
				timezone: { type: "string", max: 64, optional: true },
				slotMinutes: { type: "number", integer: true, min: 15, max: 180, optional: true },
				weekly: { type: "array", max: 50, items: { type: "object", strict: "remove", props: { weekday: { type: "number", integer: true, min: 1, max: 7 }, start: TIME, end: TIME } } },
				exceptions: {
					type: "array",
					max: 200,
					optional: true,
					items: {
						type: "object",
						strict: "remove",
						props: {
							date: { type: "string", pattern: DATE },
							available: { type: "boolean" },
							start: { ...TIME, optional: true, nullable: true },
							end: { ...TIME, optional: true, nullable: true },
							note: { type: "string", max: 200, optional: true, nullable: true },
						},
					},
				},
			},
			async handler(this: any, ctx: Ctx<{ timezone?: string; slotMinutes?: number; weekly: { weekday: number; start: string; end: string }[]; exceptions?: any[] }>) {
				const me = currentUser(ctx);
				const timezone = ctx.params.timezone ?? (await this.schoolZone(ctx));
				if (!isValidZone(timezone)) throw invalid("timezone", "is not a known IANA time zone");
				ctx.params.weekly.forEach((w, i) => {
					if (minutesOf(w.end) <= minutesOf(w.start)) throw invalid(`weekly[${i}].end`, "must be after start");
				});
				const exceptions = (ctx.params.exceptions ?? []).map((e, i) => {
					if (!!e.start !== !!e.end) throw invalid(`exceptions[${i}]`, "give both start and end, or neither (the whole day)");
					if (e.available && !e.start) throw invalid(`exceptions[${i}]`, "extra availability needs start and end");
					if (e.start && minutesOf(e.end) <= minutesOf(e.start)) throw invalid(`exceptions[${i}].end`, "must be after start");
					if (Number.isNaN(Date.parse(e.date))) throw invalid(`exceptions[${i}].date`, "is not a date");
					return { date: e.date, available: e.available, start: e.start ?? null, end: e.end ?? null, note: e.note ?? null };
				});
				const filter = this.tenantFilter(ctx, { teacherId: me.id });
				const doc = await this.model.findOneAndUpdate(
					filter,
					{ $set: { timezone, slotMinutes: ctx.params.slotMinutes ?? 30, weekly: ctx.params.weekly, exceptions } },
					{ new: true, upsert: true, runValidators: true },
				);
				return this.toJSON(ctx, doc);
			},
		},

		/** A teacher's free slots, for their students (and themselves, and school admins). */
		slots: {
			rest: "GET /teachers/:teacherId/availability",
			params: { $$strict: "remove", teacherId: ID, from: { type: "date", convert: true, optional: true }, to: { type: "date", convert: true, optional: true } },
			async handler(this: any, ctx: Ctx<{ teacherId: string; from?: Date; to?: Date }>) {
				const me = currentUser(ctx);
				const { teacherId } = ctx.params;
				// Another school's teacher, or no teacher at all: the same 404.
				const [teacher] = (await ctx.call("users.resolveMany", { ids: [teacherId], roles: ["teacher"] })) as unknown[];
				if (!teacher) throw notFound("Teacher", teacherId);
				if (me.id !== teacherId && !hasRole(me, "school_admin")) {
					const { teaches } = (await ctx.call("classes.teachesStudent", { teacherId, studentId: me.id })) as { teaches: boolean };
					// Not their teacher: as if there were no such teacher.
					if (!teaches) throw notFound("Teacher", teacherId);
				}
				const now = commClock.now();
				const from = ctx.params.from ?? now;
				const to = ctx.params.to ?? new Date(from.getTime() + 14 * 86_400_000);
				if (to <= from) throw invalid("to", "must be after from");
				if (to.getTime() - from.getTime() > MAX_RANGE_DAYS * 86_400_000) throw invalid("to", `the range is at most ${MAX_RANGE_DAYS} days`);
				const rules = await this.rulesOf(ctx, teacherId);
				const windows: Interval[] = windowsBetween(rules, from, to);
				const busy: Interval[] = (await ctx.call("visio.busy", { userIds: [teacherId], from, to })) as Interval[];
				const notBefore = new Date(now.getTime() + settings().rendezvousMinNoticeMinutes * 60_000);
				return {
					teacherId,
					timezone: rules.timezone,
					slotMinutes: rules.slotMinutes,
					windows,
					slots: freeSlots(windows, busy.map(b => ({ start: new Date(b.start), end: new Date(b.end) })), rules.slotMinutes, notBefore),
				};
			},
		},

		/** For rendez-vous: which proposed slots fall outside the teacher's availability. */
		check: {
			params: { $$strict: "remove", teacherId: ID, slots: { type: "array", min: 1, max: 3, items: { type: "object", props: { start: { type: "date", convert: true }, end: { type: "date", convert: true } } } } },
			async handler(this: any, ctx: Ctx<{ teacherId: string; slots: Interval[] }>) {
				const rules = await this.rulesOf(ctx, ctx.params.teacherId);
				const starts = ctx.params.slots.map(s => s.start.getTime());
				const ends = ctx.params.slots.map(s => s.end.getTime());
				const windows = windowsBetween(rules, new Date(Math.min(...starts)), new Date(Math.max(...ends)));
				return { outside: ctx.params.slots.map((s, i) => (within(windows, s) ? -1 : i)).filter(i => i >= 0), published: rules.weekly.length + rules.exceptions.length > 0 };
			},
		},

		/** A teacher's windows in a range, for their agenda. */
		windows: {
			params: { $$strict: "remove", teacherId: ID, from: { type: "date", convert: true }, to: { type: "date", convert: true } },
			async handler(this: any, ctx: Ctx<{ teacherId: string; from: Date; to: Date }>) {
				const rules = await this.rulesOf(ctx, ctx.params.teacherId);
				return windowsBetween(rules, ctx.params.from, ctx.params.to);
			},
		},
	},

	methods: {
		async schoolZone(this: any, ctx: Ctx<any>): Promise<string> {
			const school: any = await ctx.call("schools.resolve", { id: currentUser(ctx).schoolId });
			return school.timezone;
		},

		/** The published rules, or empty ones in the school's zone. */
		async rulesOf(this: any, ctx: Ctx<any>, teacherId: string): Promise<AvailabilityRules & { slotMinutes: number; teacherId: string }> {
			const doc = await this.model.findOne(this.tenantFilter(ctx, { teacherId }));
			if (doc) return this.toJSON(ctx, doc);
			if (currentUser(ctx).id === teacherId && !hasRole(currentUser(ctx), "teacher")) throw forbidden("Only teachers publish availability");
			return { teacherId, timezone: await this.schoolZone(ctx), slotMinutes: 30, weekly: [], exceptions: [] };
		},
	},
};

export default AvailabilityService;
