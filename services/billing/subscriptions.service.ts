/**
 * Subscriptions: each school's plan, status and seat counter. Seats are taken and given back with
 * conditional single-document updates (the limit in the filter), so concurrent invitations can never go
 * past the limit; a change computed from what was read (a plan change, a release clamped at zero) carries
 * the `seatsUsed` it read in its filter and is retried if the counter moved meanwhile.
 */
import { settings } from "../../config/env.js";
import { MODULES, PLANS, planById, type Module, type Plan } from "../../config/plans.js";
import { SUBSCRIPTION_STATUSES, Subscription, type Lifecycle, type SubscriptionStatus } from "../../models/subscription.model.js";
import { recordAudit } from "../shared/audit-trail.js";
import { dbMixin } from "../shared/db.mixin.js";
import { conflict, ERR, forbidden, invalid, isDuplicateKey, notFound } from "../shared/errors.js";
import { callerSchoolId, type Ctx } from "../shared/identity.js";
import { RETRY, retryOnConflict } from "../shared/optimistic.js";
import type { ServiceDef } from "../shared/service.js";
import { billingClock } from "./billing-clock.js";
import { checkEntitlement, enabledModules, releasable, resizeSeats, seatLimitFor } from "./entitlements.js";
import { accessStatus, fromStates, LIFECYCLE_DATE, lifecycleOf, nextLifecycle, type LifecycleEvent } from "./lifecycle.js";
import { mrrOf } from "./mrr.js";
import { isTrustedCaller } from "./trusted-caller.js";
import { ID } from "../shared/params.js";
import { subscriptionsPersonalData } from "./personal-data.js";

const PLAN_ID = { type: "string", min: 1, max: 40 } as const;
const SEAT_COUNT = { type: "number", integer: true, min: 1, max: 100_000, convert: true } as const;
const ADD_ON_MODULES = { type: "array", max: MODULES.length, unique: true, items: { type: "enum", values: [...MODULES] } } as const;
/** Free-trial length shown to a new school (the trial plan costs nothing; it does not stop by itself). */
const TRIAL_DAYS = 30;
const LIFECYCLE_EVENTS: readonly LifecycleEvent[] = ["plan_paid", "plan_free", "payment_failed", "dunning_exhausted", "paid_up", "cancel"];

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
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [subscriptionsPersonalData, 
		dbMixin(Subscription, {
			fields: [
				"id", "schoolId", "plan", "status", "lifecycle", "modules", "seatLimit", "seatLimitOverride", "seatsUsed", "seatsFree",
				"trialEndsAt", "activatedAt", "pastDueAt", "suspendedAt", "canceledAt", "reactivatedAt", "createdAt", "updatedAt",
			],
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
					lifecycle: lifecycleOf(sub),
					seatLimit: sub.seatLimit,
					seatsUsed: sub.seatsUsed,
					modules: plan ? enabledModules(plan, sub) : [],
					trialEndsAt: sub.trialEndsAt ?? null,
					pastDueAt: sub.pastDueAt ?? null,
					suspendedAt: sub.suspendedAt ?? null,
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
					modules: plan ? enabledModules(plan, sub) : [],
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
				modules: { ...ADD_ON_MODULES, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ id: string; plan: string; seatLimit?: number | null; modules?: Module[] }>) {
				const plan = knownPlan(ctx.params.plan);
				const override = ctx.params.seatLimit ?? null;
				const at = billingClock.now();
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
						// Billing prorates from the history: every change of terms is pushed with its date.
						const modules = (ctx.params.modules ?? current.modules ?? []).filter((m: Module) => !plan.modules.includes(m));
						const lifecycle = lifecycleOf(current);
						const event: LifecycleEvent = plan.monthlyPriceCents > 0 ? "plan_paid" : "plan_free";
						const nextState = nextLifecycle(lifecycle, event) ?? lifecycle;
						const history = current.history?.length ? [] : [{ at: current.startedAt ?? current.createdAt, plan: current.plan, modules: current.modules ?? [], seatLimit: current.seatLimit }];
						// The free seats are computed from `seatsUsed` as read: a seat taken meanwhile makes this miss.
						const next = await this.model.findOneAndUpdate(
							{ _id: current._id, seatsUsed: current.seatsUsed },
							{
								$set: {
									plan: plan.id,
									seatLimitOverride: override,
									...resized,
									modules,
									lifecycle: nextState,
									...(nextState !== lifecycle && LIFECYCLE_DATE[nextState] ? { [LIFECYCLE_DATE[nextState]!]: at } : {}),
								},
								$push: { history: { $each: [...history, { at, plan: plan.id, modules, seatLimit: resized.seatLimit }] } },
							},
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
					data: { from: updated.from, to: plan.id, seatLimit: newLimit, modules: updated.next.modules },
				});
				return this.toJSON(ctx, updated.next);
			},
		},

		createForSchool: {
			params: { $$strict: "remove", schoolId: ID, plan: { ...PLAN_ID, optional: true } },
			async handler(this: any, ctx: Ctx<{ schoolId: string; plan?: string }>) {
				const plan = knownPlan(ctx.params.plan ?? settings().defaultPlan);
				const limit = seatLimitFor(plan);
				const now = billingClock.now();
				const paid = plan.monthlyPriceCents > 0;
				try {
					const created = await this.model.create({
						schoolId: ctx.params.schoolId,
						plan: plan.id,
						status: "active",
						lifecycle: paid ? "active" : "trialing",
						startedAt: now,
						trialEndsAt: paid ? null : new Date(now.getTime() + TRIAL_DAYS * 86_400_000),
						activatedAt: paid ? now : null,
						history: [{ at: now, plan: plan.id, modules: [], seatLimit: limit }],
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
				const current = await this.bySchool(ctx.params.schoolId);
				// Reactivating a school does not lift a suspension for non-payment: paying (or a transfer marked paid) does.
				const status = ctx.params.status === "active" ? accessStatus(lifecycleOf(current)) : ctx.params.status;
				const updated = await this.model.findOneAndUpdate({ schoolId: ctx.params.schoolId }, { $set: { status } }, { new: true });
				if (!updated) throw notFound("Subscription", ctx.params.schoolId);
				return this.toJSON(ctx, updated);
			},
		},

		/**
		 * A lifecycle event from billing (payment failed, dunning exhausted, paid up) or a platform admin
		 * (cancel): one conditional update from the states the event applies to, so replays change nothing.
		 */
		transition: {
			params: { $$strict: "remove", schoolId: ID, event: { type: "enum", values: [...LIFECYCLE_EVENTS] } },
			async handler(this: any, ctx: Ctx<{ schoolId: string; event: LifecycleEvent }>) {
				return this.applyTransition(ctx, ctx.params.schoolId, ctx.params.event);
			},
		},

		cancel: {
			rest: "POST /schools/:id/subscription/cancel",
			params: { $$strict: "remove", id: ID, reason: { type: "string", trim: true, min: 1, max: 500 } },
			async handler(this: any, ctx: Ctx<{ id: string; reason: string }>) {
				const result = await this.applyTransition(ctx, ctx.params.id, "cancel");
				if (!result.changed && result.lifecycle !== "canceled") throw conflict(`A ${result.lifecycle} subscription cannot be canceled`);
				if (result.changed) {
					await recordAudit(ctx, {
						schoolId: ctx.params.id,
						action: "subscriptions.canceled",
						targetType: "subscription",
						targetId: result.subscription.id,
						data: { reason: ctx.params.reason },
					});
				}
				return result.subscription;
			},
		},

		/** One page of subscriptions for the monthly run: what each school was on during [start, end). */
		forBilling: {
			params: {
				$$strict: "remove",
				start: { type: "date", convert: true },
				end: { type: "date", convert: true },
				afterId: { ...ID, optional: true },
				schoolId: { ...ID, optional: true },
				limit: { type: "number", integer: true, min: 1, max: 1000, optional: true },
			},
			async handler(this: any, ctx: Ctx<{ start: Date; end: Date; afterId?: string; schoolId?: string; limit?: number }>) {
				const { start, end, afterId, schoolId } = ctx.params;
				const filter: Record<string, unknown> = {
					$and: [
						{ $or: [{ startedAt: { $lt: end } }, { startedAt: null, createdAt: { $lt: end } }] },
						{ $or: [{ canceledAt: null }, { canceledAt: { $gt: start } }] },
					],
				};
				if (afterId) filter._id = { $gt: afterId };
				if (schoolId) filter.schoolId = schoolId;
				const docs = await this.model.find(filter).sort({ _id: 1 }).limit(ctx.params.limit ?? 500).lean();
				return docs.map((d: any) => ({
					id: String(d._id),
					schoolId: String(d.schoolId),
					plan: d.plan,
					lifecycle: lifecycleOf(d),
					status: d.status,
					createdAt: d.startedAt ?? d.createdAt,
					canceledAt: d.canceledAt ?? null,
					seatsUsed: d.seatsUsed,
					seatLimit: d.seatLimit,
					// Subscriptions written before billing kept a history were on their current terms from the start.
					history: (d.history?.length ? d.history : [{ at: d.startedAt ?? d.createdAt, plan: d.plan, modules: d.modules ?? [] }]).map((h: any) => ({
						at: h.at,
						plan: h.plan,
						modules: h.modules ?? [],
					})),
				}));
			},
		},

		/** Monthly recurring revenue of the schools in force (platform view). */
		mrr: {
			async handler(this: any) {
				const docs = await this.model.find({}, { plan: 1, modules: 1, seatsUsed: 1, lifecycle: 1, status: 1 }).lean();
				return mrrOf(docs.map((d: any) => ({ plan: d.plan, modules: d.modules ?? [], seatsUsed: d.seatsUsed, lifecycle: lifecycleOf(d) })));
			},
		},
	},

	methods: {
		async applyTransition(this: any, ctx: Ctx<any>, schoolId: string, event: LifecycleEvent): Promise<any> {
			const current = await this.bySchool(schoolId);
			const lifecycle: Lifecycle = lifecycleOf(current);
			const next = nextLifecycle(lifecycle, event);
			if (!next) return { changed: false, lifecycle, subscription: await this.toJSON(ctx, current) };
			const at = billingClock.now();
			const dates: Record<string, Date> = {};
			if (LIFECYCLE_DATE[next]) dates[LIFECYCLE_DATE[next]!] = at;
			if (event === "paid_up") dates.reactivatedAt = at;
			// The filter names the state we read (null too, for a subscription from before billing): a concurrent
			// transition makes this one a no-op instead of undoing it.
			const from = current.lifecycle ?? null;
			if (from !== null && !fromStates(event).includes(from)) return { changed: false, lifecycle, subscription: await this.toJSON(ctx, current) };
			const updated = await this.model.findOneAndUpdate(
				{ _id: current._id, lifecycle: from },
				{ $set: { lifecycle: next, status: current.status === "suspended" && next !== "canceled" && event !== "paid_up" ? "suspended" : accessStatus(next), ...dates } },
				{ new: true },
			);
			if (!updated) return this.applyTransition(ctx, schoolId, event);
			this.logger.info("Subscription lifecycle", { schoolId, from: lifecycle, to: next, event });
			return { changed: true, lifecycle: next, from: lifecycle, subscription: await this.toJSON(ctx, updated) };
		},

		/** The raw subscription of a school named by a trusted caller or taken from the caller's identity. */
		async bySchool(this: any, schoolId: string) {
			const sub = await this.model.findOne({ schoolId });
			if (!sub) throw notFound("Subscription", schoolId);
			return sub;
		},
	},
};

export default SubscriptionsService;
