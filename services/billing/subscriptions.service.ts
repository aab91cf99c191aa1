/**
 * Subscriptions: each school's plan, status and seat counter. Seats are taken and given back with
 * conditional single-document updates, so concurrent invitations can never go past the limit.
 */
import { settings } from "../../config/env.js";
import { PLANS, planById, type Plan } from "../../config/plans.js";
import { SubscriptionLease } from "../../models/lease.model.js";
import { SUBSCRIPTION_STATUSES, Subscription, type SubscriptionStatus } from "../../models/subscription.model.js";
import { recordAudit } from "../shared/audit-trail.js";
import { dbMixin } from "../shared/db.mixin.js";
import { conflict, ERR, forbidden, invalid, isDuplicateKey, notFound } from "../shared/errors.js";
import { callerSchoolId, type Ctx } from "../shared/identity.js";
import { withLease } from "../shared/lease.js";
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
				const updated = await this.exclusive(ctx.params.id, async () => {
					const current = await this.model.findOne({ schoolId: ctx.params.id });
					if (!current) throw notFound("Subscription", ctx.params.id);
					const resized = resizeSeats(current.seatsUsed, newLimit);
					if (!resized) {
						throw conflict(`The school already uses ${current.seatsUsed} seats, more than ${newLimit}`, ERR.SEAT_LIMIT_REACHED, {
							seatsUsed: current.seatsUsed,
							seatLimit: newLimit,
						});
					}
					const next = await this.model.findOneAndUpdate(
						{ _id: current._id, seatsUsed: current.seatsUsed },
						{ $set: { plan: plan.id, seatLimitOverride: override, ...resized } },
						{ new: true },
					);
					if (!next) throw conflict("The subscription is changing, try again");
					return { next, from: current.plan };
				});
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
				const removed = await this.exclusive(schoolId, () => this.model.findOneAndDelete({ schoolId, seatsUsed: 0 }));
				if (!removed && (await this.model.exists({ schoolId }))) throw conflict("The school's subscription has seats in use");
				return { removed: removed ? 1 : 0 };
			},
		},

		reserveSeats: {
			params: { $$strict: "remove", schoolId: ID, count: SEAT_COUNT },
			async handler(this: any, ctx: Ctx<SchoolSeats>) {
				const { schoolId, count } = ctx.params;
				const updated = await this.exclusive(schoolId, () =>
					// The limit stays in the filter: on MongoDB this update alone is the guarantee.
					this.model.findOneAndUpdate(
						{ schoolId, status: "active", seatsFree: { $gte: count } },
						{ $inc: { seatsUsed: count, seatsFree: -count } },
						{ new: true },
					),
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
				const updated = await this.exclusive(schoolId, async () => {
					const current = await this.bySchool(schoolId);
					const n = releasable(current.seatsUsed, count);
					if (n < count) this.logger.warn("Releasing more seats than taken", { schoolId, count, seatsUsed: current.seatsUsed });
					if (n === 0) return current;
					return this.model.findOneAndUpdate(
						{ schoolId, seatsUsed: { $gte: n } },
						{ $inc: { seatsUsed: -n, seatsFree: n } },
						{ new: true },
					);
				});
				if (!updated) throw conflict("The subscription is changing, try again");
				return this.toJSON(ctx, updated);
			},
		},

		setStatus: {
			params: { $$strict: "remove", schoolId: ID, status: { type: "enum", values: [...SUBSCRIPTION_STATUSES] } },
			async handler(this: any, ctx: Ctx<{ schoolId: string; status: SubscriptionStatus }>) {
				const updated = await this.exclusive(ctx.params.schoolId, () =>
					this.model.findOneAndUpdate({ schoolId: ctx.params.schoolId }, { $set: { status: ctx.params.status } }, { new: true }),
				);
				if (!updated) throw notFound("Subscription", ctx.params.schoolId);
				return this.toJSON(ctx, updated);
			},
		},
	},

	methods: {
		/**
		 * Runs a write of one school's subscription alone. Every write takes it: FerretDB writes the whole
		 * document back, so even an unrelated field's update could undo a concurrent seat increment.
		 */
		exclusive<T>(this: any, schoolId: string, fn: () => Promise<T>): Promise<T> {
			return withLease(SubscriptionLease, `subscription:${schoolId}`, fn, { busyMessage: "The subscription is busy, try again" });
		},

		/** The raw subscription of a school named by a trusted caller or taken from the caller's identity. */
		async bySchool(this: any, schoolId: string) {
			const sub = await this.model.findOne({ schoolId });
			if (!sub) throw notFound("Subscription", schoolId);
			return sub;
		},
	},

	async started() {
		// The lease is only a lease once its unique index exists.
		await SubscriptionLease.init();
	},
};

export default SubscriptionsService;
