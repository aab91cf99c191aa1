/**
 * Durable reminders of visios, exactly once. Each (visio, user, offset) is one Reminder document, created
 * when the visio is scheduled, moved with it (same document, new time and event version) and cancelled
 * with it. A node-cron tick (COMMUNICATION_TICK_CRON) on every node tries to take a lease; the one that
 * gets it fires what is due, closes the LiveKit rooms of calls whose end has passed and sends the daily
 * digests. Firing claims a reminder (scheduled → sending) by a conditional update, publishes
 * `notifications.requested` with an id derived from the reminder and its event version (consumers act once
 * per id), then marks it sent; a claim left by a crashed node is taken over after a while and republished
 * with the same id, so nothing is sent twice. Late reminders: see reminder-rules.ts (sent late once while
 * the event is not over, the older ones of the same event superseded).
 */
import cron, { type ScheduledTask } from "node-cron";
import { settings } from "../../config/env.js";
import { CommunicationLease } from "../../models/communication-lease.model.js";
import { Reminder } from "../../models/reminder.model.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { currentUser, systemMeta, type Ctx } from "../shared/identity.js";
import { withLease } from "../shared/lease.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { commClock } from "./comm-clock.js";
import { catchUp, minutesUntil, plannedFireTimes } from "./reminder-rules.js";
import { remindersPersonalData } from "./personal-data.js";

const FIELDS = ["id", "userId", "visioId", "offsetMinutes", "fireAt", "eventStart", "eventEnd", "title", "status", "sentAt", "skippedReason"];
/** A claim older than this is a crashed sender's: taken over and republished under the same id. */
const STALE_CLAIM_MS = 2 * 60_000;
const TICK_BATCH = 500;
const TICK_LEASE_MS = 5 * 60_000;

const RemindersService: ServiceDef = {
	name: "reminders",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [remindersPersonalData, dbMixin(Reminder, { fields: FIELDS })],

	actions: {
		/** The caller's reminders still to come. */
		mine: {
			rest: "GET /reminders",
			params: { $$strict: "remove", ...PAGE_PARAMS },
			handler(this: any, ctx: Ctx<PageParams>) {
				return this.pageScoped(ctx, { userId: currentUser(ctx).id, status: "scheduled" }, ctx.params, { fireAt: 1, _id: 1 });
			},
		},

		/** (Re)plans the reminders of a visio for its participants, at its current time and version. */
		scheduleFor: {
			params: {
				$$strict: "remove",
				visioId: ID,
				userIds: { type: "array", min: 1, max: 1000, items: ID },
				title: { type: "string", min: 1, max: 200 },
				start: { type: "date", convert: true },
				end: { type: "date", convert: true },
				version: { type: "number", integer: true, min: 1 },
			},
			async handler(this: any, ctx: Ctx<{ visioId: string; userIds: string[]; title: string; start: Date; end: Date; version: number }>) {
				const { visioId, userIds, title, start, end, version } = ctx.params;
				const schoolId = this.tenantFilter(ctx).schoolId;
				const prefs: Record<string, { reminderOffsets: number[] }> = await ctx.call("preferences.forUsers", { userIds });
				const now = commClock.now();
				let planned = 0;
				for (const userId of userIds) {
					const times = plannedFireTimes(start, prefs[userId]?.reminderOffsets ?? settings().reminderDefaultOffsets, now);
					const wanted = times.map(t => t.offsetMinutes);
					// Offsets the user no longer wants, and reminders of the previous time: replaced below.
					await this.model.updateMany(
						{ schoolId, visioId, userId, status: { $in: ["scheduled", "sending"] }, offsetMinutes: { $nin: wanted } },
						{ $set: { status: "cancelled", skippedReason: "offset_removed" } },
					);
					for (const t of times) {
						const filter = { visioId, userId, offsetMinutes: t.offsetMinutes };
						const event = { schoolId, eventStart: start, eventEnd: end, eventVersion: version, title };
						if (t.past) {
							// Too late for this one at the new time: it will not fire (and a sent one stays sent).
							await this.model.updateOne({ ...filter, status: { $in: ["scheduled", "sending", "cancelled"] } }, { $set: { ...event, fireAt: t.fireAt, status: "skipped", skippedReason: "too_late_when_scheduled" } });
							continue;
						}
						await this.model.updateOne(
							filter,
							{ $set: { ...event, fireAt: t.fireAt, status: "scheduled", claimedAt: null, sentAt: null, skippedReason: null }, $setOnInsert: { ...filter } },
							{ upsert: true },
						);
						planned++;
					}
				}
				return { planned };
			},
		},

		cancelFor: {
			params: { $$strict: "remove", visioId: ID },
			async handler(this: any, ctx: Ctx<{ visioId: string }>) {
				const res = await this.model.updateMany(this.tenantFilter(ctx, { visioId: ctx.params.visioId, status: { $in: ["scheduled", "sending"] } }), { $set: { status: "cancelled", skippedReason: "event_cancelled" } });
				return { cancelled: res.modifiedCount };
			},
		},

		/** After a change of reminder offsets: every upcoming visio of the user is planned again. */
		resyncUser: {
			params: { $$strict: "remove", userId: ID },
			async handler(this: any, ctx: Ctx<{ userId: string }>) {
				if (!currentUser(ctx).schoolId) return { visios: 0 };
				const visios: any[] = await ctx.call("visio.upcomingFor", { userId: ctx.params.userId });
				for (const v of visios) {
					await this.actions.scheduleFor({ visioId: v.id, userIds: [ctx.params.userId], title: v.title, start: v.start, end: v.end, version: v.version }, { parentCtx: ctx });
				}
				return { visios: visios.length };
			},
		},

		/** The communication tick, on whichever node takes the lease (others skip this round). */
		tick: {
			async handler(this: any, ctx: Ctx) {
				try {
					return await withLease(CommunicationLease, "communication.tick", () => this.runTick(ctx), { leaseMs: TICK_LEASE_MS, waitMs: 0 });
				} catch (err: any) {
					if (err?.code === 409) return { skipped: true };
					throw err;
				}
			},
		},
	},

	methods: {
		async runTick(this: any, ctx: Ctx<any>) {
			const now = commClock.now();
			const reminders = await this.fireDue(now);
			const rooms: any = await ctx.call("visio.closeDue", {}).catch((err: unknown) => {
				this.logger.warn("Closing ended visios failed", err);
				return { closed: 0 };
			});
			const digests: any = await ctx.call("delivery.sendDigests", { now }).catch((err: unknown) => {
				this.logger.warn("Daily digests failed", err);
				return { sent: 0 };
			});
			return { reminders, roomsClosed: rooms.closed, digests: digests.sent };
		},

		async fireDue(this: any, now: Date) {
			const due = await this.model
				.find({ $or: [{ status: "scheduled", fireAt: { $lte: now } }, { status: "sending", claimedAt: { $lt: new Date(now.getTime() - STALE_CLAIM_MS) } }] })
				.sort({ fireAt: 1 })
				.limit(TICK_BATCH);
			const groups = new Map<string, any[]>();
			for (const r of due) {
				const key = `${r.visioId}:${r.userId}`;
				groups.set(key, [...(groups.get(key) ?? []), r]);
			}
			const counts = { sent: 0, skipped: 0 };
			for (const group of groups.values()) {
				// Claim first: another tick (after a lease takeover) must not work on the same ones.
				const claimed: any[] = [];
				for (const r of group) {
					const got = await this.model.findOneAndUpdate({ _id: r._id, status: r.status, eventVersion: r.eventVersion, fireAt: r.fireAt }, { $set: { status: "sending", claimedAt: now } }, { new: true });
					if (got) claimed.push(got);
				}
				const plan = catchUp(claimed.map(r => ({ id: String(r._id), fireAt: r.fireAt, eventEnd: r.eventEnd, doc: r })), now);
				for (const { reminder, reason } of plan.skip) {
					await this.model.updateOne({ _id: reminder.doc._id, status: "sending" }, { $set: { status: "skipped", skippedReason: reason } });
					counts.skipped++;
				}
				if (plan.send) {
					await this.fire(plan.send.doc, now);
					counts.sent++;
				}
			}
			return counts;
		},

		async fire(this: any, r: any, now: Date) {
			const minutes = minutesUntil(r.eventStart, now);
			await publishDurable(this.broker, "notifications.requested", {
				// One id per reminder and event time: a republished claim is recognised by every consumer.
				id: `reminder:${r._id}:${r.eventVersion}`,
				schoolId: String(r.schoolId),
				userIds: [String(r.userId)],
				type: "reminder.visio",
				title: minutes > 0 ? `Reminder: "${r.title}" starts in ${minutes} min` : `"${r.title}" has started`,
				body: r.eventStart.toISOString(),
				data: { visioId: String(r.visioId), title: r.title, start: r.eventStart.toISOString(), end: r.eventEnd.toISOString(), minutesUntil: minutes, offsetMinutes: r.offsetMinutes, late: now.getTime() - r.fireAt.getTime() > 60_000 },
			});
			await this.model.updateOne({ _id: r._id, status: "sending" }, { $set: { status: "sent", sentAt: now } });
		},

		/** Runs the tick on `expr` (node-cron) on this node; every node does, the lease picks one per round. */
		startTick(this: any, expr: string) {
			this.tickTask = cron.schedule(
				expr,
				() =>
					this.broker
						.call("reminders.tick", {}, { meta: systemMeta() })
						.catch((err: unknown) => this.logger.warn("The communication tick failed", err)),
				{ noOverlap: true, name: `reminders.tick:${this.broker.nodeID}` },
			) as ScheduledTask;
		},

		async stopTick(this: any) {
			await this.tickTask?.destroy();
			this.tickTask = undefined;
		},
	},

	async started(this: any) {
		await CommunicationLease.init();
		const expr = settings().communicationTickCron;
		if (expr !== "off") this.startTick(expr);
	},

	async stopped(this: any) {
		await this.stopTick();
	},
};

export default RemindersService;
