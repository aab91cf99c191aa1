/**
 * Video calls on LiveKit (scenario 3 bis): a booked rendez-vous (scheduled by the rendezvous service) or a
 * class visio a teacher schedules. Nobody is double-booked: a booking checks and writes under a lease per
 * person (services/shared/lease.ts), so two bookings of one teacher at the same time cannot both pass.
 * Participants get join tokens from a few minutes before the start until the end, with grants by role
 * (visio-rules.ts); the LiveKit room is created with the first token and deleted at the scheduled end by the
 * communication tick. LiveKit's signed webhooks become attendance records and durable
 * `communication.visio.*` events.
 */
import mongoose from "mongoose";
import { settings } from "../../config/env.js";
import { Attendance } from "../../models/attendance.model.js";
import { CommunicationLease } from "../../models/communication-lease.model.js";
import { Visioconference } from "../../models/visioconference.model.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { ClientError, conflict, ERR, forbidden, invalid, notFound } from "../shared/errors.js";
import { callerSchoolId, currentUser, hasRole, type Ctx } from "../shared/identity.js";
import { withLeases } from "../shared/lease.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { commClock } from "./comm-clock.js";
import { AccessToken, livekit } from "./livekit.js";
import { durationMinutes } from "./time-rules.js";
import { grantsFor, joinWindow, newRoomName, type StudentPublish } from "./visio-rules.js";
import { EXPORT_PARAMS, exportPage, on, type ExportParams } from "../shared/feed-export.js";

/**
 * An attendance record as the reporting feed's joined and (once over) left messages: what `exportAttendance`
 * replays. Reporting counts each by (visio, LiveKit participant sid), whichever message brought it.
 */
function attendanceMessages(a: any, kind: string) {
	const base = { schoolId: String(a.schoolId), visioId: String(a.visioId), kind, userId: String(a.userId), role: a.role, participantSid: a.participantSid };
	const joinedAt = new Date(a.joinedAt).toISOString();
	const joined = { ...base, id: `attendance:${a._id}:joined`, occurredAt: joinedAt, at: joinedAt };
	if (!a.leftAt) return [joined];
	const leftAt = new Date(a.leftAt).toISOString();
	return [joined, { ...base, id: `attendance:${a._id}:left`, occurredAt: leftAt, at: leftAt, seconds: a.seconds ?? 0 }];
}
import { visioPersonalData } from "./personal-data.js";

const FIELDS = [
	"id", "schoolId", "kind", "title", "description", "hostId", "participantIds", "classId", "rendezvousId", "pathId", "stepId",
	"start", "end", "status", "version", "studentPublish", "roomOpenedAt", "endedAt", "cancelledAt", "createdAt", "updatedAt",
	// Only for this service's own use: view() never shows it (the room name is a capability).
	"roomName",
];
const PUBLISH_RULE = {
	type: "object",
	strict: true,
	optional: true,
	props: { camera: { type: "boolean", optional: true }, microphone: { type: "boolean", optional: true }, screenShare: { type: "boolean", optional: true } },
} as const;
const TITLE = { type: "string", trim: true, min: 1, max: 200 } as const;
const DESCRIPTION = { type: "string", trim: true, max: 2000, optional: true, nullable: true } as const;
const WHEN = { type: "date", convert: true } as const;
const MAX_MINUTES = 240;
const MAX_AHEAD_DAYS = 365;
const CLOSE_BATCH = 50;

type VisioDoc = any;

const idOf = (v: unknown) => (v === null || v === undefined ? null : String(v));

const VisioService: ServiceDef = {
	name: "visio",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [visioPersonalData, dbMixin(Visioconference, { fields: FIELDS })],

	actions: {
		/** The school's visio attendance as participantJoined / participantLeft messages (reporting rebuilds from them). */
		exportAttendance: {
			params: EXPORT_PARAMS,
			async handler(this: any, ctx: Ctx<ExportParams>) {
				const page = await exportPage(Attendance, ctx.params, {}, (doc: any) => [doc]);
				const kinds = new Map<string, string>((await this.model.find({ _id: { $in: [...new Set(page.rows.map((a: any) => String(a.visioId)))] } }, { kind: 1 }).lean()).map((v: any) => [String(v._id), v.kind]));
				return { ...page, rows: page.rows.flatMap((a: any) => {
					const [joined, left] = attendanceMessages(a, kinds.get(String(a.visioId)) ?? "unknown");
					return [...on("communication.visio.participantJoined", [joined]), ...(left ? on("communication.visio.participantLeft", [left]) : [])];
				}) };
			},
		},

		/** A class visio, scheduled by a teacher of the class: every student of it is invited. */
		create: {
			rest: "POST /visios",
			params: { $$strict: "remove", classId: ID, title: TITLE, description: DESCRIPTION, start: WHEN, end: WHEN, studentPublish: PUBLISH_RULE },
			async handler(this: any, ctx: Ctx<{ classId: string; title: string; description?: string | null; start: Date; end: Date; studentPublish?: Partial<StudentPublish> }>) {
				const me = currentUser(ctx);
				const { classId, title, description, start, end } = ctx.params;
				this.assertTimes(start, end);
				const cls: any = await ctx.call("classes.get", { id: classId });
				if (!cls.teacherIds.includes(me.id)) throw forbidden("Only a teacher of this class may schedule a visio for it");
				const visio = await this.book(ctx, {
					kind: "class",
					title,
					description: description ?? null,
					hostId: me.id,
					participantIds: [me.id, ...cls.studentIds.filter((id: string) => id !== me.id)],
					classId,
					start,
					end,
					studentPublish: { camera: true, microphone: true, screenShare: false, ...(ctx.params.studentPublish ?? {}) },
					// Only the host's own calendar is checked: one student's rendez-vous must not block a class.
					checkUsers: [me.id],
				});
				await this.notify(ctx, visio, "visio.invited", visio.participantIds.filter((id: string) => id !== me.id));
				ctx.meta.$statusCode = 201;
				return this.view(visio);
			},
		},

		list: {
			rest: "GET /visios",
			params: {
				$$strict: "remove",
				from: { ...WHEN, optional: true },
				to: { ...WHEN, optional: true },
				status: { type: "enum", values: ["scheduled", "cancelled", "ended"], optional: true },
				...PAGE_PARAMS,
			},
			async handler(this: any, ctx: Ctx<PageParams & { from?: Date; to?: Date; status?: string }>) {
				const me = currentUser(ctx);
				const filter: Record<string, unknown> = hasRole(me, "school_admin") ? {} : { participantIds: me.id };
				if (ctx.params.status) filter.status = ctx.params.status;
				if (ctx.params.from) filter.end = { $gt: ctx.params.from };
				if (ctx.params.to) filter.start = { $lt: ctx.params.to };
				const page = await this.pageScoped(ctx, filter, ctx.params, { start: 1, _id: 1 });
				return { ...page, rows: page.rows.map((v: VisioDoc) => this.view(v)) };
			},
		},

		get: {
			rest: "GET /visios/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				return this.view(await this.visible(ctx, ctx.params.id));
			},
		},

		update: {
			rest: "PATCH /visios/:id",
			params: { $$strict: "remove", id: ID, title: { ...TITLE, optional: true }, description: DESCRIPTION, start: { ...WHEN, optional: true }, end: { ...WHEN, optional: true }, studentPublish: PUBLISH_RULE },
			async handler(this: any, ctx: Ctx<{ id: string; title?: string; description?: string | null; start?: Date; end?: Date; studentPublish?: Partial<StudentPublish> }>) {
				const visio = await this.hosted(ctx, ctx.params.id);
				if (visio.status !== "scheduled") throw conflict("This visio is over or cancelled");
				const { title, description, studentPublish } = ctx.params;
				const moving = ctx.params.start !== undefined || ctx.params.end !== undefined;
				if (moving && visio.kind === "rendezvous") throw conflict("A rendez-vous is moved through its rendez-vous (POST /api/rendezvous/:id/propose)");
				let updated = visio;
				if (moving) {
					updated = await this.moveBooking(ctx, visio, ctx.params.start ?? visio.start, ctx.params.end ?? visio.end, [visio.hostId]);
					await this.notify(ctx, updated, "visio.rescheduled", updated.participantIds.filter((id: string) => id !== visio.hostId));
				}
				const set: Record<string, unknown> = {};
				if (title !== undefined) set.title = title;
				if (description !== undefined) set.description = description;
				if (studentPublish) for (const [k, v] of Object.entries(studentPublish)) if (v !== undefined) set[`studentPublish.${k}`] = v;
				if (Object.keys(set).length > 0) {
					updated = await this.updateScoped(ctx, visio.id, { $set: set }, { status: "scheduled" });
					if (studentPublish) await this.applyPublishRights(updated);
				}
				return this.view(updated);
			},
		},

		cancel: {
			rest: "POST /visios/:id/cancel",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const visio = await this.hosted(ctx, ctx.params.id);
				if (visio.kind === "rendezvous") throw conflict("A rendez-vous is cancelled through its rendez-vous (POST /api/rendezvous/:id/cancel)");
				const cancelled = await this.cancelBooking(ctx, visio);
				await this.notify(ctx, cancelled, "visio.cancelled", cancelled.participantIds.filter((id: string) => id !== visio.hostId));
				return this.view(cancelled);
			},
		},

		/** A join token for a participant, from a few minutes before the start until the end. */
		token: {
			rest: "POST /visios/:id/token",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const me = currentUser(ctx);
				const visio: VisioDoc = await this.getScoped(ctx, ctx.params.id, { participantIds: me.id });
				const now = commClock.now();
				const window = joinWindow({ status: visio.status, start: new Date(visio.start), end: new Date(visio.end) }, now, settings().visioJoinEarlyMinutes);
				if (window === "cancelled") throw new ClientError("This visio was cancelled", 409, ERR.VISIO_CANCELLED);
				if (window === "over") throw new ClientError("This visio is over", 409, ERR.VISIO_OVER);
				if (window === "early") {
					const opensAt = new Date(new Date(visio.start).getTime() - settings().visioJoinEarlyMinutes * 60_000);
					throw new ClientError("This visio is not open yet", 409, ERR.VISIO_NOT_OPEN, { opensAt: opensAt.toISOString() });
				}
				const lk = livekit();
				if (!lk) throw new ClientError("Video calls are not configured on this platform", 503, ERR.UNAVAILABLE);
				await this.ensureRoom(visio);
				const role = visio.hostId === me.id ? "host" : "participant";
				const user: any = await ctx.call("users.sessionUser", { userId: me.id });
				const expiresAt = new Date(visio.end);
				const at = new AccessToken(lk.apiKey, lk.apiSecret, {
					identity: me.id,
					name: `${user.firstName} ${user.lastName}`,
					// Joining is possible until the end; LiveKit checks the expiry when the client connects.
					ttl: Math.max(60, Math.ceil((expiresAt.getTime() - Date.now()) / 1000)),
					metadata: JSON.stringify({ role, visioId: visio.id }),
				});
				const grants = grantsFor(role, visio.roomName, visio.studentPublish);
				at.addGrant(grants);
				return { token: await at.toJwt(), url: lk.publicUrl, roomName: visio.roomName, identity: me.id, role, expiresAt: expiresAt.toISOString(), grants };
			},
		},

		attendance: {
			rest: "GET /visios/:id/attendance",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const me = currentUser(ctx);
				const visio: VisioDoc = await this.getScoped(ctx, ctx.params.id);
				if (visio.hostId !== me.id && !hasRole(me, "school_admin")) throw notFound("Visioconference", ctx.params.id);
				const rows = await Attendance.find({ schoolId: visio.schoolId, visioId: visio.id }).sort({ joinedAt: 1 });
				const byUser = new Map<string, { userId: string; role: string; sessions: number; seconds: number; firstJoinedAt: Date; lastLeftAt: Date | null }>();
				for (const r of rows as any[]) {
					const key = String(r.userId);
					const entry = byUser.get(key) ?? { userId: key, role: r.role, sessions: 0, seconds: 0, firstJoinedAt: r.joinedAt, lastLeftAt: null };
					entry.sessions++;
					entry.seconds += r.seconds ?? 0;
					if (r.leftAt && (!entry.lastLeftAt || r.leftAt > entry.lastLeftAt)) entry.lastLeftAt = r.leftAt;
					byUser.set(key, entry);
				}
				const present = new Set(byUser.keys());
				return {
					visioId: visio.id,
					attended: [...byUser.values()],
					absent: visio.participantIds.filter((id: string) => !present.has(id)),
				};
			},
		},

		// ---- for the rendezvous service, acting as the user who books, moves or cancels

		schedule: {
			params: {
				$$strict: "remove",
				hostId: ID,
				participantIds: { type: "array", min: 2, max: 2, items: ID },
				title: TITLE,
				start: WHEN,
				end: WHEN,
				rendezvousId: ID,
				pathId: { ...ID, optional: true, nullable: true },
				stepId: { type: "string", max: 64, optional: true, nullable: true },
			},
			async handler(this: any, ctx: Ctx<any>) {
				const { hostId, participantIds, title, start, end, rendezvousId, pathId, stepId } = ctx.params;
				this.assertTimes(start, end);
				const visio = await this.book(ctx, {
					kind: "rendezvous", title, description: null, hostId, participantIds, rendezvousId, pathId: pathId ?? null, stepId: stepId ?? null, start, end,
					studentPublish: { camera: true, microphone: true, screenShare: true },
					checkUsers: participantIds,
				});
				return this.view(visio);
			},
		},

		move: {
			params: { $$strict: "remove", id: ID, start: WHEN, end: WHEN },
			async handler(this: any, ctx: Ctx<{ id: string; start: Date; end: Date }>) {
				const visio: VisioDoc = await this.getScoped(ctx, ctx.params.id);
				if (visio.status !== "scheduled") throw conflict("This visio is over or cancelled");
				this.assertTimes(ctx.params.start, ctx.params.end);
				return this.view(await this.moveBooking(ctx, visio, ctx.params.start, ctx.params.end, visio.participantIds));
			},
		},

		cancelBooked: {
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const visio: VisioDoc = await this.getScoped(ctx, ctx.params.id);
				return this.view(await this.cancelBooking(ctx, visio));
			},
		},

		/** Scheduled calls of these people overlapping [from, to) (for free slots and proposals). */
		busy: {
			params: { $$strict: "remove", userIds: { type: "array", min: 1, max: 50, items: ID }, from: WHEN, to: WHEN, excludeId: { ...ID, optional: true } },
			async handler(this: any, ctx: Ctx<{ userIds: string[]; from: Date; to: Date; excludeId?: string }>) {
				const docs = await this.model.find(this.tenantFilter(ctx, this.overlapFilter(ctx.params.userIds, ctx.params.from, ctx.params.to, ctx.params.excludeId)), { start: 1, end: 1, participantIds: 1 });
				return docs.map((d: any) => ({ start: d.start, end: d.end, userIds: d.participantIds.map(String).filter((id: string) => ctx.params.userIds.includes(id)) }));
			},
		},

		/** A user's calls overlapping [from, to), for their agenda. */
		agenda: {
			params: { $$strict: "remove", userId: ID, from: WHEN, to: WHEN },
			async handler(this: any, ctx: Ctx<{ userId: string; from: Date; to: Date }>) {
				const docs = await this.model.find(this.tenantFilter(ctx, { participantIds: ctx.params.userId, status: { $ne: "cancelled" }, start: { $lt: ctx.params.to }, end: { $gt: ctx.params.from } })).sort({ start: 1 }).limit(500);
				return (await this.toJSON(ctx, docs)).map((v: VisioDoc) => this.view(v));
			},
		},

		/** A user's scheduled calls still to come (reminders follow a change of their preferences). */
		upcomingFor: {
			params: { $$strict: "remove", userId: ID },
			async handler(this: any, ctx: Ctx<{ userId: string }>) {
				const docs = await this.model.find(this.tenantFilter(ctx, { participantIds: ctx.params.userId, status: "scheduled", start: { $gt: commClock.now() } })).limit(500);
				return (await this.toJSON(ctx, docs)).map((v: VisioDoc) => this.view(v));
			},
		},

		/** The tick: calls whose scheduled end has passed are ended and their LiveKit rooms deleted. */
		closeDue: {
			async handler(this: any, ctx: Ctx) {
				const now = commClock.now();
				const due = await this.model.find({ status: "scheduled", end: { $lte: now } }).limit(CLOSE_BATCH);
				let closed = 0;
				for (const visio of due) {
					const ended = await this.model.findOneAndUpdate({ _id: visio._id, status: "scheduled" }, { $set: { status: "ended", endedAt: now } }, { new: true });
					if (!ended) continue;
					closed++;
					await this.deleteRoom(ended);
					await this.closeOpenAttendance(ended, now);
					await publishDurable(this.broker, "communication.visio.ended", {
						id: `communication.visio.ended:${ended._id}`,
						schoolId: String(ended.schoolId),
						visioId: String(ended._id),
						kind: ended.kind,
						start: ended.start.toISOString(),
						end: ended.end.toISOString(),
					});
				}
				return { closed };
			},
		},

		/** LiveKit's webhook (raw body and Authorization header, from the gateway): verified, then recorded. */
		webhook: {
			params: { $$strict: "remove", body: { type: "string", max: 1_000_000 }, authorization: { type: "string", max: 10_000 } },
			async handler(this: any, ctx: Ctx<{ body: string; authorization: string }>) {
				const lk = livekit();
				if (!lk) throw new ClientError("Video calls are not configured on this platform", 503, ERR.UNAVAILABLE);
				let event: any;
				try {
					event = await lk.webhooks.receive(ctx.params.body, ctx.params.authorization);
				} catch {
					// Forged, altered or replayed with another body: nothing is recorded.
					throw new ClientError("The webhook signature is not valid", 401, ERR.INVALID_SIGNATURE);
				}
				return this.onLiveKitEvent(event);
			},
		},
	},

	methods: {
		view(v: VisioDoc) {
			const { roomName: _secret, ...rest } = v;
			return { ...rest, durationMinutes: durationMinutes({ start: new Date(v.start), end: new Date(v.end) }) };
		},

		assertTimes(start: Date, end: Date) {
			const now = commClock.now();
			if (!(end > start)) throw invalid("end", "must be after start");
			const minutes = durationMinutes({ start, end });
			if (minutes < 5 || minutes > MAX_MINUTES) throw invalid("end", `a visio lasts 5 to ${MAX_MINUTES} minutes`);
			if (end <= now) throw invalid("start", "is in the past");
			if (start.getTime() > now.getTime() + MAX_AHEAD_DAYS * 86_400_000) throw invalid("start", `must be within ${MAX_AHEAD_DAYS} days`);
		},

		async visible(this: any, ctx: Ctx<any>, id: string): Promise<VisioDoc> {
			const me = currentUser(ctx);
			return this.getScoped(ctx, id, hasRole(me, "school_admin") ? {} : { participantIds: me.id });
		},

		async hosted(this: any, ctx: Ctx<any>, id: string): Promise<VisioDoc> {
			const me = currentUser(ctx);
			const visio = await this.visible(ctx, id);
			if (visio.hostId !== me.id) throw forbidden("Only the host may change this visio");
			return visio;
		},

		overlapFilter(userIds: string[], start: Date, end: Date, excludeId?: string) {
			return {
				status: "scheduled",
				participantIds: { $in: userIds.map(id => new mongoose.Types.ObjectId(id)) },
				start: { $lt: end },
				end: { $gt: start },
				...(excludeId ? { _id: { $ne: new mongoose.Types.ObjectId(excludeId) } } : {}),
			};
		},

		/** Checks and writes under the leases of `users`: nobody gets two calls at once. */
		async underLeases<T>(this: any, ctx: Ctx<any>, users: string[], fn: () => Promise<T>): Promise<T> {
			const schoolId = callerSchoolId(ctx);
			const keys = users.map(u => `busy:${schoolId}:${u}`);
			return withLeases(CommunicationLease, keys, async held => {
				if (held.size < keys.length) throw conflict("Someone is booking for the same people right now, try again");
				return fn();
			}, { leaseMs: 10_000, waitMs: 5_000 });
		},

		async assertFree(this: any, ctx: Ctx<any>, users: string[], start: Date, end: Date, excludeId?: string) {
			const clash = await this.model.findOne(this.tenantFilter(ctx, this.overlapFilter(users, start, end, excludeId)), { participantIds: 1, start: 1, end: 1 });
			if (clash) {
				const busy = clash.participantIds.map(String).filter((id: string) => users.includes(id));
				throw conflict("This time overlaps another visio", ERR.DOUBLE_BOOKED, { userIds: busy, start: clash.start, end: clash.end });
			}
		},

		async book(this: any, ctx: Ctx<any>, spec: Record<string, any>): Promise<VisioDoc> {
			const { checkUsers, ...fields } = spec;
			const visio = await this.underLeases(ctx, checkUsers, async () => {
				await this.assertFree(ctx, checkUsers, spec.start, spec.end);
				return this.insertScoped(ctx, { ...fields, roomName: newRoomName(), status: "scheduled", version: 1 });
			});
			await this.afterScheduled(ctx, visio, "scheduled");
			return visio;
		},

		async moveBooking(this: any, ctx: Ctx<any>, visio: VisioDoc, start: Date, end: Date, checkUsers: string[]): Promise<VisioDoc> {
			this.assertTimes(start, end);
			const moved = await this.underLeases(ctx, checkUsers, async () => {
				await this.assertFree(ctx, checkUsers, start, end, visio.id);
				return this.updateScoped(ctx, visio.id, { $set: { start, end }, $inc: { version: 1 } }, { status: "scheduled", version: visio.version });
			});
			await this.afterScheduled(ctx, moved, "rescheduled");
			return moved;
		},

		async cancelBooking(this: any, ctx: Ctx<any>, visio: VisioDoc): Promise<VisioDoc> {
			if (visio.status === "cancelled") return visio;
			if (visio.status !== "scheduled") throw conflict("This visio is already over");
			const cancelled = await this.updateScoped(ctx, visio.id, { $set: { status: "cancelled", cancelledAt: commClock.now() } }, { status: "scheduled" });
			await ctx.call("reminders.cancelFor", { visioId: visio.id });
			await this.deleteRoom({ roomName: visio.roomName, roomOpenedAt: visio.roomOpenedAt });
			await publishDurable(this.broker, "communication.visio.cancelled", {
				id: `communication.visio.cancelled:${visio.id}`,
				schoolId: visio.schoolId,
				visioId: visio.id,
				kind: visio.kind,
			});
			return cancelled;
		},

		async afterScheduled(this: any, ctx: Ctx<any>, visio: VisioDoc, what: "scheduled" | "rescheduled") {
			await ctx.call("reminders.scheduleFor", {
				visioId: visio.id,
				userIds: visio.participantIds,
				title: visio.title,
				start: visio.start,
				end: visio.end,
				version: visio.version,
			});
			await publishDurable(this.broker, `communication.visio.${what}`, {
				id: `communication.visio.${what}:${visio.id}:${visio.version}`,
				schoolId: visio.schoolId,
				visioId: visio.id,
				kind: visio.kind,
				hostId: visio.hostId,
				participants: visio.participantIds.length,
				start: new Date(visio.start).toISOString(),
				end: new Date(visio.end).toISOString(),
			});
		},

		async notify(this: any, ctx: Ctx<any>, visio: VisioDoc, type: string, userIds: string[]) {
			if (userIds.length === 0) return;
			const host: any = await ctx.call("users.sessionUser", { userId: visio.hostId }).catch(() => null);
			const hostName = host ? `${host.firstName} ${host.lastName}` : "";
			const titles: Record<string, string> = { "visio.invited": `Invitation: ${visio.title}`, "visio.rescheduled": `Moved: ${visio.title}`, "visio.cancelled": `Cancelled: ${visio.title}` };
			await publishDurable(this.broker, "notifications.requested", {
				id: `${type}:${visio.id}:${visio.version}`,
				schoolId: visio.schoolId,
				userIds,
				type,
				title: titles[type] ?? visio.title,
				body: new Date(visio.start).toISOString(),
				data: { visioId: visio.id, title: visio.title, start: new Date(visio.start).toISOString(), end: new Date(visio.end).toISOString(), hostName },
			});
		},

		/** Creates the LiveKit room (idempotent: LiveKit returns the existing one), with its limits. */
		async ensureRoom(this: any, visio: VisioDoc) {
			const lk = livekit()!;
			const cfg = settings();
			try {
				await lk.rooms.createRoom({
					name: visio.roomName,
					emptyTimeout: cfg.visioEmptyTimeoutSeconds,
					departureTimeout: 60,
					maxParticipants: Math.min(cfg.visioMaxParticipants, Math.max(2, visio.participantIds.length)),
					metadata: JSON.stringify({ visioId: visio.id }),
				});
			} catch (err) {
				this.logger.error("LiveKit createRoom failed", err instanceof Error ? err.message : err);
				throw new ClientError("The video server is unavailable, try again shortly", 503, ERR.UNAVAILABLE);
			}
			if (!visio.roomOpenedAt) await this.model.updateOne({ _id: visio.id, roomOpenedAt: null }, { $set: { roomOpenedAt: new Date() } });
		},

		async deleteRoom(this: any, visio: { roomName: string; roomOpenedAt?: unknown }) {
			const lk = livekit();
			if (!lk || !visio.roomOpenedAt) return;
			try {
				await lk.rooms.deleteRoom(visio.roomName);
			} catch (err: any) {
				// Already gone (empty timeout): fine.
				if (err?.status !== 404 && !/not found|does not exist/i.test(String(err?.message))) this.logger.warn("LiveKit deleteRoom failed", err?.message ?? err);
			}
		},

		/** The host changed what students may publish: applied at once to the students in the room. */
		async applyPublishRights(this: any, visio: VisioDoc) {
			const lk = livekit();
			if (!lk || !visio.roomOpenedAt || visio.status !== "scheduled") return;
			try {
				const grants = grantsFor("participant", visio.roomName, visio.studentPublish);
				const people = await lk.rooms.listParticipants(visio.roomName);
				for (const p of people) {
					if (p.identity === visio.hostId) continue;
					await lk.rooms.updateParticipant(visio.roomName, p.identity, { permission: { canPublish: grants.canPublish, canPublishSources: grants.canPublishSources, canSubscribe: true, canPublishData: true } });
				}
			} catch (err: any) {
				this.logger.warn("Could not update participants' permissions", err?.message ?? err);
			}
		},

		async closeOpenAttendance(this: any, visio: any, at: Date) {
			const open = await Attendance.find({ visioId: visio._id, leftAt: null });
			for (const a of open as any[]) {
				const seconds = Math.max(0, Math.round((at.getTime() - a.joinedAt.getTime()) / 1000));
				const res = await Attendance.updateOne({ _id: a._id, leftAt: null }, { $set: { leftAt: at, seconds } });
				// The reporting feed counts time in visio from the leaves: one closed here is a leave too.
				if (res.modifiedCount === 1) await publishDurable(this.broker, "communication.visio.participantLeft", attendanceMessages({ ...a.toObject(), leftAt: at, seconds }, visio.kind)[1]);
			}
		},

		async onLiveKitEvent(this: any, event: any) {
			const roomName: string | undefined = event.room?.name;
			const visio = roomName ? await this.model.findOne({ roomName }) : null;
			// A room we do not know (another deployment on the same LiveKit): acknowledged, ignored.
			if (!visio) return { ok: true, ignored: true };
			const at = event.createdAt ? new Date(Number(event.createdAt) * 1000) : new Date();
			const base = { schoolId: String(visio.schoolId), visioId: String(visio._id), kind: visio.kind };
			if (event.event === "participant_joined" || event.event === "participant_left") {
				const userId: string | undefined = event.participant?.identity;
				const sid: string | undefined = event.participant?.sid;
				if (!userId || !sid || !visio.participantIds.some((p: unknown) => String(p) === userId)) return { ok: true, ignored: true };
				const role = String(visio.hostId) === userId ? "host" : "participant";
				if (event.event === "participant_joined") {
					await Attendance.updateOne(
						{ visioId: visio._id, participantSid: sid },
						{ $setOnInsert: { schoolId: visio.schoolId, visioId: visio._id, userId, role, participantSid: sid, joinedAt: at } },
						{ upsert: true },
					);
					await publishDurable(this.broker, "communication.visio.participantJoined", { ...base, id: `livekit:${event.id || `${sid}:joined`}`, userId, role, at: at.toISOString(), participantSid: sid });
				} else {
					const record = await Attendance.findOneAndUpdate(
						{ visioId: visio._id, participantSid: sid },
						{ $setOnInsert: { schoolId: visio.schoolId, visioId: visio._id, userId, role, participantSid: sid, joinedAt: at } },
						{ upsert: true, new: true },
					);
					const seconds = Math.max(0, Math.round((at.getTime() - record.joinedAt.getTime()) / 1000));
					await Attendance.updateOne({ _id: record._id, leftAt: null }, { $set: { leftAt: at, seconds } });
					await publishDurable(this.broker, "communication.visio.participantLeft", { ...base, id: `livekit:${event.id || `${sid}:left`}`, userId, role, at: at.toISOString(), seconds, participantSid: sid });
				}
				return { ok: true };
			}
			if (event.event === "room_finished") await this.closeOpenAttendance(visio, at);
			return { ok: true };
		},
	},

	async started() {
		await Attendance.init();
	},
};

export default VisioService;
