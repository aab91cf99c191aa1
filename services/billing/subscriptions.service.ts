/**
 * Subscriptions: each school's plan, status and seat counter. Seats are taken and given back with
 * conditional single-document updates (the limit in the filter), so concurrent invitations can never go
 * past the limit; a change computed from what was read (a plan change, a release clamped at zero) carries
 * the `seatsUsed` it read in its filter and is retried if the counter moved meanwhile.
 */
import { settings } from "../../config/env.js";
import { PLANS, planById, type Plan } from "../../config/plans.js";
import { SUBSCRIPTION_STATUSES, Subscription, type SubscriptionStatus } from "../../models/subscription.model.js";
import { recordAudit } from "../shared/audit-trail.js";
import { dbMixin } from "../shared/db.mixin.js";
import { conflict, ERR, forbidden, invalid, isDuplicateKey, notFound } from "../shared/errors.js";
import { callerSchoolId, type Ctx } from "../shared/identity.js";
import { RETRY, retryOnConflict } from "../shared/optimistic.js";
import type { ServiceDef } from "../shared/service.js";
import { checkEntitlement, releasable, resizeSeats, seatLimitFor } from "./entitlements.js";
import { isTrustedCaller } from "./trusted-caller.js";
import { ID } from "../shared/params.js";

const PLAN_ID = { type: "string", min: 1, max: 40 } as const;
const SEAT_COUNT = { type: "number", integer: true, min: 1, max: 100_000, convert: true } as const;

interface SchoolSeats {
	schoolId: string;
	count: number;
}

function knownPlan(id: string): Plan {
	const plan = planById(id);
	if (!plan) throw invalid("plan", `unknown plan "${id}" (known: ${Object.keys(PLANS).join(", ")})`);
	return plan;
}

const SubscriptionsService: ServiceDef = {
	name: "subscriptions",
	settings: { rest: "/" },
	mixins: [
		dbMixin(Subscription, {
			fields: ["id", "schoolId", "plan", "status", "seatLimit", "seatLimitOverride", "seatsUsed", "seatsFree", "createdAt", "updatedAt"],
		}),
	],

	actions: {
		plans: {
			rest: "GET /plans",
			handler() {
				return Object.values(PLANS);
			},
		},

		mine: {
			rest: "GET /subscription",
			async handler(this: any, ctx: Ctx) {
				const sub = await this.bySchool(callerSchoolId(ctx));
				const plan = planById(sub.plan);
				return {
					plan: sub.plan,
					status: sub.status,
					seatLimit: sub.seatLimit,
					seatsUsed: sub.seatsUsed,
					modules: plan ? [...plan.modules] : [],
				};
			},
		},

		check: {
			rest: "GET /subscription/check",
			params: {
				$$strict: "remove",
				feature: { type: "string", max: 40, optional: true },
				seats: { ...SEAT_COUNT, optional: true },
				schoolId: { ...ID, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ feature?: string; seats?: number; schoolId?: string }>) {
				// A client always asks about its own school; only services and jobs may name another.
				const schoolId = isTrustedCaller(ctx) && ctx.params.schoolId ? ctx.params.schoolId : callerSchoolId(ctx);
				const sub = await this.bySchool(schoolId);
				const plan = planById(sub.plan);
				if (!plan) return { allowed: false, reason: "PLAN_FORBIDS" };
				return checkEntitlement(plan, sub, { feature: ctx.params.feature, seats: ctx.params.seats });
			},
		},

		/** The plan's limits for other blocks (learning: how many active paths a school may run). */
		limits: {
			params: { $$strict: "remove", schoolId: { ...ID, optional: true } },
			async handler(this: any, ctx: Ctx<{ schoolId?: string }>) {
				const schoolId = isTrustedCaller(ctx) && ctx.params.schoolId ? ctx.params.schoolId : callerSchoolId(ctx);
				const sub = await this.bySchool(schoolId);
				const plan = planById(sub.plan);
				return {
					status: sub.status,
					plan: sub.plan,
					modules: plan ? [...plan.modules] : [],
					seatLimit: sub.seatLimit,
					maxActivePaths: plan ? plan.maxActivePaths : 0,
					aiMonthlyTokens: plan ? plan.aiMonthlyTokens : 0,
				};
			},
		},

		changePlan: {
			rest: "PATCH /schools/:id/subscription",
			params: {
				$$strict: "remove",
				id: ID,
				plan: PLAN_ID,
				seatLimit: { type: "number", integer: true, min: 0, max: 1_000_000, optional: true, nullable: true },
			},
			async handler(this: any, ctx: Ctx<{ id: string; plan: string; seatLimit?: number | null }>) {
				const plan = knownPlan(ctx.params.plan);
				const override = ctx.params.seatLimit ?? null;
				const newLimit = seatLimitFor(plan, override);
				const updated = await retryOnConflict(
					async () => {
						const current = await this.model.findOne({ schoolId: ctx.params.id });
						if (!current) throw notFound("Subscription", ctx.params.id);
						const resized = resizeSeats(current.seatsUsed, newLimit);
						if (!resized) {
							throw conflict(`The school already uses ${current.seatsUsed} seats, more than ${newLimit}`, ERR.SEAT_LIMIT_REACHED, {
								seatsUsed: current.seatsUsed,
								seatLimit: newLimit,
							});
						}
						// The free seats are computed from `seatsUsed` as read: a seat taken meanwhile makes this miss.
						const next = await this.model.findOneAndUpdate(
							{ _id: current._id, seatsUsed: current.seatsUsed },
							{ $set: { plan: plan.id, seatLimitOverride: override, ...resized } },
							{ new: true },
						);
						return next ? { next, from: current.plan as string } : RETRY;
					},
					{ message: "The subscription is changing, try again" },
				);
				await recordAudit(ctx, {
					schoolId: ctx.params.id,
					action: "subscriptions.planChanged",
					targetType: "subscription",
					targetId: String(updated.next._id),
					data: { from: updated.from, to: plan.id, seatLimit: newLimit },
				});
				return this.toJSON(ctx, updated.next);
			},
		},

		createForSchool: {
			params: { $$strict: "remove", schoolId: ID, plan: { ...PLAN_ID, optional: true } },
			async handler(this: any, ctx: Ctx<{ schoolId: string; plan?: string }>) {
				const plan = knownPlan(ctx.params.plan ?? settings().defaultPlan);
				const limit = seatLimitFor(plan);
				try {
					const created = await this.model.create({
						schoolId: ctx.params.schoolId,
						plan: plan.id,
						status: "active",
						seatLimit: limit,
						seatsUsed: 0,
						seatsFree: limit,
					});
					return this.toJSON(ctx, created);
				} catch (err) {
					// A retried signup finds the subscription it already made.
					if (!isDuplicateKey(err)) throw err;
					return this.toJSON(ctx, await this.model.findOne({ schoolId: ctx.params.schoolId }));
				}
			},
		},

		removeForSchool: {
			params: { $$strict: "remove", schoolId: ID },
			async handler(this: any, ctx: Ctx<{ schoolId: string }>) {
				const { schoolId } = ctx.params;
				// Compensation of a failed signup: a subscription whose seats are in use belongs to a live school.
				const removed = await this.model.findOneAndDelete({ schoolId, seatsUsed: 0 });
				if (!removed && (await this.model.exists({ schoolId }))) throw conflict("The school's subscription has seats in use");
				return { removed: removed ? 1 : 0 };
			},
		},

		reserveSeats: {
			params: { $$strict: "remove", schoolId: ID, count: SEAT_COUNT },
			async handler(this: any, ctx: Ctx<SchoolSeats>) {
				const { schoolId, count } = ctx.params;
				// The limit is in the filter: this one atomic update is the guarantee.
				const updated = await this.model.findOneAndUpdate(
					{ schoolId, status: "active", seatsFree: { $gte: count } },
					{ $inc: { seatsUsed: count, seatsFree: -count } },
					{ new: true },
				);
				if (updated) return this.toJSON(ctx, updated);
				const sub = await this.bySchool(schoolId);
				if (sub.status !== "active") throw forbidden(`The school's subscription is ${sub.status}`, ERR.SUBSCRIPTION_INACTIVE);
				throw conflict(`Not enough free seats (${sub.seatsFree} left, ${count} asked)`, ERR.SEAT_LIMIT_REACHED, {
					seatLimit: sub.seatLimit,
					seatsUsed: sub.seatsUsed,
					requested: count,
				});
			},
		},

		releaseSeats: {
			params: { $$strict: "remove", schoolId: ID, count: SEAT_COUNT },
			async handler(this: any, ctx: Ctx<SchoolSeats>) {
				const { schoolId, count } = ctx.params;
				// The usual case in one update; fewer seats in use than given back is clamped at zero below.
				const whole = await this.model.findOneAndUpdate({ schoolId, seatsUsed: { $gte: count } }, { $inc: { seatsUsed: -count, seatsFree: count } }, { new: true });
				if (whole) return this.toJSON(ctx, whole);
				const updated = await retryOnConflict(
					async () => {
						const current = await this.bySchool(schoolId);
						const n = releasable(current.seatsUsed, count);
						if (n === 0) return current;
						const next = await this.model.findOneAndUpdate({ schoolId, seatsUsed: current.seatsUsed }, { $inc: { seatsUsed: -n, seatsFree: n } }, { new: true });
						return next ?? RETRY;
					},
					{ message: "The subscription is changing, try again" },
				);
				this.logger.warn("Releasing more seats than taken", { schoolId, count, seatsUsed: updated.seatsUsed });
				return this.toJSON(ctx, updated);
			},
		},

		setStatus: {
			params: { $$strict: "remove", schoolId: ID, status: { type: "enum", values: [...SUBSCRIPTION_STATUSES] } },
			async handler(this: any, ctx: Ctx<{ schoolId: string; status: SubscriptionStatus }>) {
				const updated = await this.model.findOneAndUpdate({ schoolId: ctx.params.schoolId }, { $set: { status: ctx.params.status } }, { new: true });
				if (!updated) throw notFound("Subscription", ctx.params.schoolId);
				return this.toJSON(ctx, updated);
			},
		},
	},

	methods: {
		/** The raw subscription of a school named by a trusted caller or taken from the caller's identity. */
		async bySchool(this: any, schoolId: string) {
			const sub = await this.model.findOne({ schoolId });
			if (!sub) throw notFound("Subscription", schoolId);
			return sub;
		},
	},
};

export default SubscriptionsService;
