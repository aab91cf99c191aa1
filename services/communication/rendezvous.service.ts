/**
 * Rendez-vous between a student and one of their teachers (scenario 3 bis). The student proposes one to
 * three slots (within the teacher's availability); the awaited side accepts one, declines, or proposes
 * others; once accepted, the visio service books a Visioconference (refusing double bookings on either
 * side). A booked rendez-vous can be cancelled or moved (a new proposal the other side accepts) until the
 * cut-off before its start. Every change notifies the other side. Each transition is one conditional
 * update on `version`; booking the visio first and undoing it if that update loses keeps them consistent.
 */
import mongoose from "mongoose";
import { settings } from "../../config/env.js";
import { RendezVous } from "../../models/rendezvous.model.js";
import { dbMixin, PAGE_PARAMS, type PageParams } from "../shared/db.mixin.js";
import { publishDurable } from "../shared/durable.js";
import { ClientError, conflict, ERR, forbidden, invalid, notFound } from "../shared/errors.js";
import { currentUser, hasRole, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { commClock } from "./comm-clock.js";
import { awaited, beforeCutoff, MAX_SLOTS, sideOf, slotProblems, type RendezvousView, type Side } from "./rendezvous-rules.js";
import type { Interval } from "./time-rules.js";
import { rendezvousPersonalData } from "./personal-data.js";

const FIELDS = ["id", "schoolId", "studentId", "teacherId", "topic", "pathId", "stepId", "status", "proposal", "booked", "visioId", "version", "history", "createdAt", "updatedAt"];
const SLOTS = { type: "array", min: 1, max: MAX_SLOTS, items: { type: "object", strict: "remove", props: { start: { type: "date", convert: true }, end: { type: "date", convert: true } } } } as const;
const MESSAGE = { type: "string", trim: true, max: 1000, optional: true } as const;

type Doc = any;

const RendezvousService: ServiceDef = {
	name: "rendezvous",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [rendezvousPersonalData, dbMixin(RendezVous, { fields: FIELDS })],

	actions: {
		create: {
			rest: "POST /rendezvous",
			params: {
				$$strict: "remove",
				teacherId: ID,
				slots: SLOTS,
				topic: { type: "string", trim: true, max: 200, optional: true },
				message: MESSAGE,
				pathId: { ...ID, optional: true },
				stepId: { type: "string", min: 1, max: 64, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ teacherId: string; slots: Interval[]; topic?: string; message?: string; pathId?: string; stepId?: string }>) {
				const me = currentUser(ctx);
				const { teacherId, slots, topic, message, pathId, stepId } = ctx.params;
				const { teaches } = (await ctx.call("classes.teachesStudent", { teacherId, studentId: me.id })) as { teaches: boolean };
				if (!teaches) throw notFound("Teacher", teacherId);
				if (stepId && !pathId) throw invalid("stepId", "needs the pathId it belongs to");
				if (pathId) {
					// As the student: 404 unless the path is assigned to them.
					const path: any = await ctx.call("paths.get", { id: pathId });
					if (stepId && !path.steps?.some((s: any) => s.id === stepId)) throw notFound("LearningStep", stepId);
				}
				this.assertSlots(slots);
				await this.assertBookable(ctx, teacherId, [me.id, teacherId], slots, true);
				const now = commClock.now();
				const doc = await this.insertScoped(ctx, {
					studentId: me.id,
					teacherId,
					topic: topic ?? null,
					pathId: pathId ?? null,
					stepId: stepId ?? null,
					status: "pending",
					proposal: { by: "student", byUserId: me.id, slots, message: message ?? null, at: now },
					version: 0,
					history: [{ at: now, by: me.id, action: "proposed", message: message ?? null }],
				});
				await this.notifyOther(ctx, doc, "rendezvous.proposed", { slots, topic, message });
				ctx.meta.$statusCode = 201;
				return doc;
			},
		},

		list: {
			rest: "GET /rendezvous",
			params: { $$strict: "remove", status: { type: "enum", values: ["pending", "booked", "declined", "cancelled"], optional: true }, ...PAGE_PARAMS },
			handler(this: any, ctx: Ctx<PageParams & { status?: string }>) {
				const me = currentUser(ctx);
				const filter: Record<string, unknown> = hasRole(me, "school_admin") ? {} : { $or: [{ studentId: me.id }, { teacherId: me.id }] };
				if (ctx.params.status) filter.status = ctx.params.status;
				return this.pageScoped(ctx, filter, ctx.params, { _id: -1 });
			},
		},

		get: {
			rest: "GET /rendezvous/:id",
			params: { $$strict: "remove", id: ID },
			async handler(this: any, ctx: Ctx<{ id: string }>) {
				const me = currentUser(ctx);
				return this.getScoped(ctx, ctx.params.id, hasRole(me, "school_admin") ? {} : { $or: [{ studentId: me.id }, { teacherId: me.id }] });
			},
		},

		accept: {
			rest: "POST /rendezvous/:id/accept",
			params: { $$strict: "remove", id: ID, slotIndex: { type: "number", integer: true, min: 0, max: MAX_SLOTS - 1, convert: true } },
			async handler(this: any, ctx: Ctx<{ id: string; slotIndex: number }>) {
				const { doc, me } = await this.awaitingMe(ctx, ctx.params.id);
				const slot = doc.proposal.slots[ctx.params.slotIndex];
				if (!slot) throw invalid("slotIndex", `there are only ${doc.proposal.slots.length} proposed slots`);
				const chosen = { start: new Date(slot.start), end: new Date(slot.end) };
				if (chosen.start <= commClock.now()) throw new ClientError("This slot has already started", 409, ERR.TOO_LATE);
				const now = commClock.now();
				if (doc.status === "pending") {
					const visio: any = await ctx.call("visio.schedule", {
						hostId: doc.teacherId,
						participantIds: [doc.teacherId, doc.studentId],
						title: doc.topic ?? "Rendez-vous",
						start: chosen.start,
						end: chosen.end,
						rendezvousId: doc.id,
						pathId: doc.pathId,
						stepId: doc.stepId,
					});
					const updated = await this.transition(ctx, doc, { status: "booked", booked: chosen, visioId: visio.id, proposal: null }, { at: now, by: me.id, action: "accepted", ...chosen }).catch(async (err: unknown) => {
						// Someone else changed it meanwhile: the visio just booked must not stay.
						await ctx.call("visio.cancelBooked", { id: visio.id }).catch(() => undefined);
						throw err;
					});
					await this.notifyOther(ctx, updated, "rendezvous.accepted", chosen);
					return updated;
				}
				// Booked, with a request to move it: the visio moves (its reminders with it).
				const previous = { start: new Date(doc.booked.start), end: new Date(doc.booked.end) };
				await ctx.call("visio.move", { id: doc.visioId, ...chosen });
				const updated = await this.transition(ctx, doc, { booked: chosen, proposal: null }, { at: now, by: me.id, action: "rescheduled", ...chosen }).catch(async (err: unknown) => {
					await ctx.call("visio.move", { id: doc.visioId, ...previous }).catch(() => undefined);
					throw err;
				});
				await this.notifyOther(ctx, updated, "rendezvous.rescheduled", chosen);
				return updated;
			},
		},

		decline: {
			rest: "POST /rendezvous/:id/decline",
			params: { $$strict: "remove", id: ID, reason: MESSAGE },
			async handler(this: any, ctx: Ctx<{ id: string; reason?: string }>) {
				const { doc, me } = await this.awaitingMe(ctx, ctx.params.id);
				const now = commClock.now();
				const reason = ctx.params.reason ?? null;
				// Declining a request to move a booked rendez-vous keeps the booking.
				const change = doc.status === "pending" ? { status: "declined", proposal: null } : { proposal: null };
				const updated = await this.transition(ctx, doc, change, { at: now, by: me.id, action: doc.status === "pending" ? "declined" : "move_declined", message: reason });
				await this.notifyOther(ctx, updated, "rendezvous.declined", { reason, start: doc.booked?.start });
				return updated;
			},
		},

		/** Counter-proposal (pending, by the awaited side) or request to move (booked, either side, before the cut-off). */
		propose: {
			rest: "POST /rendezvous/:id/propose",
			params: { $$strict: "remove", id: ID, slots: SLOTS, message: MESSAGE },
			async handler(this: any, ctx: Ctx<{ id: string; slots: Interval[]; message?: string }>) {
				const me = currentUser(ctx);
				const doc: Doc = await this.mine(ctx, ctx.params.id);
				const side: Side = sideOf(doc, me.id)!;
				const view = this.asView(doc);
				if (doc.status === "pending" && awaited(view) !== side) throw new ClientError("The other side has to answer first", 409, ERR.NOT_AWAITED);
				if (doc.status !== "pending" && doc.status !== "booked") throw conflict(`This rendez-vous is ${doc.status}`);
				if (doc.status === "booked" && !beforeCutoff(view, commClock.now(), settings().rendezvousCutoffMinutes)) {
					throw new ClientError(`A rendez-vous can no longer be moved less than ${settings().rendezvousCutoffMinutes} minutes before it starts`, 409, ERR.TOO_LATE);
				}
				this.assertSlots(ctx.params.slots);
				await this.assertBookable(ctx, doc.teacherId, [doc.teacherId, doc.studentId], ctx.params.slots, side === "student", doc.visioId ?? undefined);
				const now = commClock.now();
				const updated = await this.transition(
					ctx,
					doc,
					{ proposal: { by: side, byUserId: me.id, slots: ctx.params.slots, message: ctx.params.message ?? null, at: now } },
					{ at: now, by: me.id, action: doc.status === "booked" ? "move_proposed" : "counter_proposed", message: ctx.params.message ?? null },
				);
				await this.notifyOther(ctx, updated, "rendezvous.proposed", { slots: ctx.params.slots, topic: doc.topic, message: ctx.params.message, move: doc.status === "booked" });
				return updated;
			},
		},

		cancel: {
			rest: "POST /rendezvous/:id/cancel",
			params: { $$strict: "remove", id: ID, reason: MESSAGE },
			async handler(this: any, ctx: Ctx<{ id: string; reason?: string }>) {
				const me = currentUser(ctx);
				const doc: Doc = await this.mine(ctx, ctx.params.id);
				if (doc.status !== "pending" && doc.status !== "booked") throw conflict(`This rendez-vous is ${doc.status}`);
				if (!beforeCutoff(this.asView(doc), commClock.now(), settings().rendezvousCutoffMinutes)) {
					throw new ClientError(`A rendez-vous can no longer be cancelled less than ${settings().rendezvousCutoffMinutes} minutes before it starts`, 409, ERR.TOO_LATE);
				}
				const now = commClock.now();
				const reason = ctx.params.reason ?? null;
				const updated = await this.transition(ctx, doc, { status: "cancelled", proposal: null }, { at: now, by: me.id, action: "cancelled", message: reason });
				if (doc.visioId) await ctx.call("visio.cancelBooked", { id: doc.visioId });
				await this.notifyOther(ctx, updated, "rendezvous.cancelled", { reason, start: doc.booked?.start });
				return updated;
			},
		},
	},

	methods: {
		asView(doc: Doc): RendezvousView {
			return {
				status: doc.status,
				studentId: doc.studentId,
				teacherId: doc.teacherId,
				proposal: doc.proposal ? { by: doc.proposal.by, slots: doc.proposal.slots.map((s: any) => ({ start: new Date(s.start), end: new Date(s.end) })) } : null,
				booked: doc.booked ? { start: new Date(doc.booked.start), end: new Date(doc.booked.end) } : null,
			};
		},

		/** The rendez-vous, if the caller is its student or teacher; 404 otherwise. */
		async mine(this: any, ctx: Ctx<any>, id: string): Promise<Doc> {
			const me = currentUser(ctx);
			return this.getScoped(ctx, id, { $or: [{ studentId: me.id }, { teacherId: me.id }] });
		},

		async awaitingMe(this: any, ctx: Ctx<any>, id: string) {
			const me = currentUser(ctx);
			const doc = await this.mine(ctx, id);
			const side = sideOf(doc, me.id);
			if (awaited(this.asView(doc)) !== side) {
				throw new ClientError(doc.proposal ? "This proposal awaits the other side's answer" : `There is nothing to answer (${doc.status})`, 409, ERR.NOT_AWAITED);
			}
			return { doc, me };
		},

		assertSlots(this: any, slots: Interval[]) {
			const problems = slotProblems(slots, commClock.now(), settings().rendezvousMinNoticeMinutes);
			if (problems.length > 0) {
				const p = problems[0];
				throw invalid(p.index < 0 ? "slots" : `slots[${p.index}]`, p.message);
			}
		},

		/** Student proposals lie in the teacher's availability; nobody proposes a time either side is already booked. */
		async assertBookable(this: any, ctx: Ctx<any>, teacherId: string, userIds: string[], slots: Interval[], checkAvailability: boolean, excludeVisioId?: string) {
			if (checkAvailability) {
				const { outside, published } = (await ctx.call("availability.check", { teacherId, slots })) as { outside: number[]; published: boolean };
				if (!published) throw new ClientError("This teacher has not published any availability yet", 409, ERR.SLOT_UNAVAILABLE);
				if (outside.length > 0) throw new ClientError("A proposed slot is outside the teacher's availability", 409, ERR.SLOT_UNAVAILABLE, { slots: outside });
			}
			const from = new Date(Math.min(...slots.map(s => s.start.getTime())));
			const to = new Date(Math.max(...slots.map(s => s.end.getTime())));
			const busy = (await ctx.call("visio.busy", { userIds, from, to, ...(excludeVisioId ? { excludeId: excludeVisioId } : {}) })) as { start: string; end: string }[];
			const taken = slots.map((s, i) => (busy.some(b => new Date(b.start) < s.end && s.start < new Date(b.end)) ? i : -1)).filter(i => i >= 0);
			if (taken.length === slots.length) throw new ClientError("Every proposed slot is already booked", 409, ERR.DOUBLE_BOOKED, { slots: taken });
		},

		/** One conditional update on the version the caller read: a concurrent change makes it 409. */
		async transition(this: any, ctx: Ctx<any>, doc: Doc, set: Record<string, unknown>, change: Record<string, unknown>): Promise<Doc> {
			const updated = await this.model.findOneAndUpdate(
				this.tenantFilter(ctx, { _id: new mongoose.Types.ObjectId(doc.id), version: doc.version }),
				{ $set: set, $inc: { version: 1 }, $push: { history: change } },
				{ new: true, runValidators: true },
			);
			if (!updated) throw conflict("This rendez-vous changed meanwhile; reload it");
			const json = await this.toJSON(ctx, updated);
			await publishDurable(this.broker, "communication.rendezvous.changed", {
				id: `communication.rendezvous.changed:${json.id}:${json.version}`,
				schoolId: json.schoolId,
				rendezvousId: json.id,
				status: json.status,
				action: change.action,
			});
			return json;
		},

		async notifyOther(this: any, ctx: Ctx<any>, doc: Doc, type: string, extra: Record<string, unknown>) {
			const me = currentUser(ctx);
			const other = me.id === doc.studentId ? doc.teacherId : doc.studentId;
			const self: any = await ctx.call("users.sessionUser", { userId: me.id }).catch(() => null);
			const otherName = self ? `${self.firstName} ${self.lastName}` : "";
			const iso = (v: unknown) => (v ? new Date(v as string).toISOString() : undefined);
			const slots = Array.isArray(extra.slots) ? (extra.slots as Interval[]).map(s => ({ start: iso(s.start), end: iso(s.end) })) : undefined;
			const titles: Record<string, string> = {
				"rendezvous.proposed": extra.move ? `${otherName} proposes to move your rendez-vous` : `${otherName} proposes a rendez-vous`,
				"rendezvous.accepted": `Rendez-vous confirmed with ${otherName}`,
				"rendezvous.declined": `${otherName} declined the rendez-vous`,
				"rendezvous.cancelled": `${otherName} cancelled the rendez-vous`,
				"rendezvous.rescheduled": `Rendez-vous moved by ${otherName}`,
			};
			await publishDurable(this.broker, "notifications.requested", {
				id: `${type}:${doc.id}:${doc.version}`,
				schoolId: doc.schoolId,
				userIds: [other],
				type,
				title: titles[type] ?? type,
				body: typeof extra.message === "string" ? extra.message : typeof extra.reason === "string" ? extra.reason : "",
				data: {
					rendezvousId: doc.id,
					visioId: doc.visioId ?? undefined,
					otherName,
					topic: doc.topic ?? undefined,
					start: iso(extra.start ?? doc.booked?.start),
					end: iso(extra.end ?? doc.booked?.end),
					slots,
					message: typeof extra.message === "string" ? extra.message : undefined,
					reason: typeof extra.reason === "string" ? extra.reason : undefined,
				},
			});
		},
	},
};

void forbidden;
export default RendezvousService;
