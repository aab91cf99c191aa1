/**
 * The billing jobs. The monthly run (BILLING_CRON, 02:00 on the 1st in BILLING_TIMEZONE by default)
 * invoices last month: for each school whose subscription was in force, it computes the amounts, inserts
 * a draft, makes it final (gapless number) and announces it (`billing.invoice.created`, which starts
 * auto-debit, the mail and the notification). Dunning (BILLING_DUNNING_CRON, hourly) retries failed
 * payments, reminds, and suspends. Each job runs on one node at a time (a renewed lease); a second run,
 * a rerun after a crash or two nodes at once still make one invoice per school and period, because the
 * database refuses a second one (unique index), never because of a check in memory.
 * `npm run billing:run -- --period YYYY-MM [--school ID] [--dry-run]` is the operator's way in.
 */
import { ObjectId } from "mongodb";
import cron, { type ScheduledTask } from "node-cron";
import { settings } from "../../config/env.js";
import { BillingLease } from "../../models/lease.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import { ClientError, ERR } from "../shared/errors.js";
import { systemMeta, type Ctx } from "../shared/identity.js";
import { ID } from "../shared/params.js";
import type { ServiceDef } from "../shared/service.js";
import { billingClock } from "./billing-clock.js";
import { computeInvoice, type BillingSubject } from "./invoice-amounts.js";
import { acquireJobLease } from "./job-lease.js";
import { CURRENCY } from "./money.js";
import { isPeriod, PERIOD_PATTERN, periodBounds, previousPeriod } from "./period.js";
import { sellerOf } from "./seller.js";

export interface RunOptions {
	period: string;
	schoolId?: string;
	dryRun?: boolean;
	/** Schools per batch (each batch is a few round trips). */
	batchSize?: number;
}

export interface RunProgress {
	period: string;
	schoolsSeen: number;
	created: number;
	existing: number;
	nothingToBill: number;
	finalized: number;
	announced: number;
	totalCents: number;
	elapsedMs: number;
}

export interface RunSummary extends RunProgress {
	dryRun: boolean;
	/** Drafts a dry run would have made (the first ones, for the operator to read). */
	sample?: unknown[];
}

/** How long a job's lease outlives its holder; renewed every third of it while the job runs. */
const LEASE_TTL_MS = 15_000;
/** Drafts per createDrafts call (a draft is about 1-2 kB of JSON). */
const DRAFTS_PER_CALL = 200;

/** "visa" → "Visa", "american_express" → "American Express". */
function brandName(brand?: string | null): string {
	if (!brand) return "Carte";
	return brand.split(/[_\s]+/).map(w => w.charAt(0).toUpperCase() + w.slice(1)).join(" ");
}

const BillingRunsService: ServiceDef = {
	name: "billingRuns",
	// The leases of the jobs live here; the mixin holds this node's database connection.
	mixins: [dbMixin(BillingLease, { fields: ["id", "key", "expiresAt"], tenant: false })],

	actions: {
		/** The monthly run for one period (and optionally one school); `dryRun` computes and writes nothing. */
		run: {
			params: {
				$$strict: "remove",
				period: { type: "string", pattern: PERIOD_PATTERN },
				schoolId: { ...ID, optional: true },
				dryRun: { type: "boolean", optional: true },
				batchSize: { type: "number", integer: true, min: 1, max: 1000, optional: true },
			},
			handler(this: any, ctx: Ctx<RunOptions>) {
				return this.runPeriod(ctx, ctx.params);
			},
		},

		/** One dunning pass: overdue invoices start dunning, due steps retry or remind, lost collections restart. */
		dunning: {
			handler(this: any, ctx: Ctx) {
				return this.dunningPass(ctx);
			},
		},
	},

	methods: {
		async runPeriod(this: any, ctx: Ctx<any>, opts: RunOptions, onProgress?: (p: RunProgress) => void): Promise<RunSummary> {
			if (!isPeriod(opts.period)) throw new ClientError(`Not a period (YYYY-MM): ${opts.period}`, 422, ERR.VALIDATION);
			const cfg = settings().billing;
			const tz = cfg.timezone;
			const bounds = periodBounds(opts.period, tz);
			if (bounds.end.getTime() > billingClock.now().getTime()) {
				throw new ClientError(`${opts.period} is not over yet: a period is invoiced once it has ended`, 422, ERR.VALIDATION, [{ field: "period", message: "not over yet" }]);
			}
			const seller = sellerOf(cfg, settings().nodeEnv);
			const started = Date.now();
			const progress: RunProgress = { period: opts.period, schoolsSeen: 0, created: 0, existing: 0, nothingToBill: 0, finalized: 0, announced: 0, totalCents: 0, elapsedMs: 0 };
			const sample: unknown[] = [];
			const key = `monthly:${opts.period}${opts.schoolId ? `:${opts.schoolId}` : ""}`;
			const lease = opts.dryRun ? null : await acquireJobLease(BillingLease, key, LEASE_TTL_MS);
			if (!opts.dryRun && !lease) {
				// A run that died keeps the lease until it lapses (it is renewed while a run is alive).
				const held = await BillingLease.findOne({ key }).lean<any>();
				throw new ClientError(`Another run of the ${opts.period} invoices holds the lease until ${held?.expiresAt?.toISOString() ?? "soon"}`, 409, ERR.RUN_IN_PROGRESS, { heldUntil: held?.expiresAt ?? null });
			}
			try {
				// What the period holds already, in one pass: those schools are skipped, their drafts (a crash's) finalised.
				const invoiced = new Map<string, { id: string; status: string }>();
				for (let after: string | undefined; ; ) {
					const page = (await ctx.call("invoices.forRun", { period: opts.period, ...(after ? { afterId: after } : {}) })) as { id: string; schoolId: string; status: string }[];
					for (const inv of page) invoiced.set(inv.schoolId, inv);
					if (page.length < 5000) break;
					after = page[page.length - 1].id;
				}
				let afterId: string | undefined;
				for (;;) {
					const subs: any[] = await ctx.call("subscriptions.forBilling", {
						start: bounds.start,
						end: bounds.end,
						limit: opts.batchSize ?? 500,
						...(afterId ? { afterId } : {}),
						...(opts.schoolId ? { schoolId: opts.schoolId } : {}),
					});
					if (subs.length === 0) break;
					afterId = subs[subs.length - 1].id;
					const schoolIds = subs.map(s => s.schoolId);
					const [accounts, usage] = await Promise.all([
						ctx.call("billingAccounts.forSchools", { schoolIds }) as Promise<Record<string, any>>,
						ctx.call("billingUsage.totals", { schoolIds, start: bounds.start, end: bounds.end }) as Promise<Record<string, any>>,
					]);
					const drafts: Record<string, unknown>[] = [];
					const toFinalize: string[] = [];
					const missingNames = subs.filter(s => !invoiced.has(s.schoolId) && !accounts[s.schoolId]).map(s => s.schoolId);
					const names = await this.schoolNames(ctx, missingNames);
					for (const sub of subs) {
						progress.schoolsSeen++;
						const existing = invoiced.get(sub.schoolId);
						if (existing) {
							progress.existing++;
							if (existing.status === "draft") toFinalize.push(existing.id);
							continue;
						}
						const account = accounts[sub.schoolId] ?? null;
						const buyer = {
							legalName: account?.legalName ?? names[sub.schoolId] ?? sub.schoolId,
							country: account?.country ?? "FR",
							vatNumber: account?.vatNumber ?? null,
						};
						const subject: BillingSubject = {
							createdAt: new Date(sub.createdAt),
							canceledAt: sub.canceledAt ? new Date(sub.canceledAt) : null,
							history: sub.history.map((h: any) => ({ at: new Date(h.at), plan: h.plan, modules: h.modules })),
							seatsUsed: sub.seatsUsed,
						};
						const amounts = computeInvoice({ subject, bounds, timeZone: tz, usage: usage[sub.schoolId] ?? {}, buyer, vatRules: { domesticRateBps: cfg.vatRateBps, countryRates: cfg.vatCountryRates } });
						// A month on the free trial (or nothing in force) is not invoiced.
						if (amounts.totalCents <= 0) {
							progress.nothingToBill++;
							continue;
						}
						const autoDebit = !!account?.autoDebit;
						const pm = account?.paymentMethod;
						const id = new ObjectId().toHexString();
						toFinalize.push(id);
						drafts.push({
							_id: id,
							schoolId: sub.schoolId,
							period: opts.period,
							currency: CURRENCY,
							seller: { name: seller.name, address: seller.address, country: seller.country, vatNumber: seller.vatNumber, siret: seller.siret, legal: seller.legal, email: seller.email, bank: seller.bank },
							buyer: {
								name: buyer.legalName,
								address: account?.address ? [account.address.line1, account.address.line2, `${account.address.postalCode} ${account.address.city}`, account.address.region].filter(Boolean) : [],
								country: buyer.country,
								vatNumber: buyer.vatNumber,
								email: account?.billingEmail ?? null,
								purchaseOrder: account?.purchaseOrder ?? null,
							},
							lines: amounts.lines,
							subtotalCents: amounts.subtotalCents,
							vat: { scheme: amounts.vat.scheme, rateBps: amounts.vat.rateBps, amountCents: amounts.vat.amountCents, mention: amounts.vat.mention, country: amounts.vat.country ?? null },
							totalCents: amounts.totalCents,
							amountDueCents: amounts.totalCents,
							periodStart: bounds.start,
							periodEnd: bounds.end,
							autoDebit,
							paymentMethodLabel: autoDebit && pm?.last4 ? `${brandName(pm.brand)} se terminant par ${pm.last4}` : null,
							checks: { ...amounts.checks, lifecycle: sub.lifecycle, seatLimit: sub.seatLimit, measuredAt: billingClock.now() },
						});
						progress.totalCents += amounts.totalCents;
					}
					if (opts.dryRun) {
						progress.created += drafts.length;
						if (sample.length < 20) sample.push(...drafts.slice(0, 20 - sample.length));
					} else {
						// Chunks keep each message well under NATS's 1 MB payload limit.
						for (let i = 0; i < drafts.length; i += DRAFTS_PER_CALL) {
							const made = (await ctx.call("invoices.createDrafts", { drafts: drafts.slice(i, i + DRAFTS_PER_CALL) })) as { created: number; duplicates: number };
							progress.created += made.created;
							progress.existing += made.duplicates;
						}
						// Our drafts and any a crash left become final now (an id refused as a duplicate is simply not a draft).
						if (toFinalize.length > 0) {
							const done = (await ctx.call("invoices.finalizeDrafts", { ids: toFinalize }, { timeout: 0 })) as { finalized: string[] };
							progress.finalized += done.finalized.length;
						}
					}
					progress.elapsedMs = Date.now() - started;
					onProgress?.({ ...progress });
					if (opts.schoolId) break;
				}
				if (!opts.dryRun && !opts.schoolId) {
					// Drafts another run left meanwhile (it raced us and died): the period ends with none.
					const swept = (await ctx.call("invoices.finalizeDrafts", { period: opts.period }, { timeout: 0 })) as { finalized: string[] };
					progress.finalized += swept.finalized.length;
				}
				if (!opts.dryRun) {
					// Every final invoice of the period not yet announced (ours, and what a crash left between numbering and announcing).
					const announced = (await ctx.call("invoices.announce", { period: opts.period }, { timeout: 0 })) as { announced: number };
					progress.announced = announced.announced;
				}
				progress.elapsedMs = Date.now() - started;
				onProgress?.({ ...progress });
				this.logger.info("Billing run done", progress);
				return { ...progress, dryRun: !!opts.dryRun, ...(opts.dryRun ? { sample } : {}) };
			} finally {
				await lease?.release();
			}
		},

		/** School names for invoices of schools that never filled their billing account. */
		async schoolNames(this: any, ctx: Ctx<any>, schoolIds: string[]): Promise<Record<string, string>> {
			const out: Record<string, string> = {};
			for (let i = 0; i < schoolIds.length; i += 20) {
				await Promise.all(
					schoolIds.slice(i, i + 20).map(async id => {
						try {
							out[id] = ((await ctx.call("schools.resolve", { id })) as { name: string }).name;
						} catch {
							/* no school document: the id stands in */
						}
					}),
				);
			}
			return out;
		},

		async dunningPass(this: any, ctx: Ctx<any>) {
			const lease = await acquireJobLease(BillingLease, "dunning", LEASE_TTL_MS);
			if (!lease) return { skipped: "another node runs dunning" };
			try {
				const overdue = (await ctx.call("invoices.startOverdue")) as { started: number };
				const steps = (await ctx.call("invoices.claimDunningSteps", {})) as { invoiceId: string; step: number; last: boolean; autoDebit: boolean; attempt: number }[];
				let retried = 0;
				let reminded = 0;
				for (const step of steps) {
					try {
						if (step.autoDebit) {
							await ctx.call("payments.collect", { invoiceId: step.invoiceId, attempt: step.attempt });
							retried++;
						} else {
							await ctx.call("invoices.remind", { invoiceId: step.invoiceId, step: step.step, last: step.last });
							reminded++;
						}
					} catch (err) {
						this.logger.error("Dunning step failed", step, err);
					}
				}
				// Auto-debit whose first attempt never happened (its message was lost): attempt 1 again (idempotent).
				const lost = (await ctx.call("invoices.uncollected")) as string[];
				for (const invoiceId of lost) {
					await ctx.call("payments.collect", { invoiceId, attempt: 1 }).catch((err: unknown) => this.logger.error("Collection failed", invoiceId, err));
				}
				// Card payments Stripe never told us about (a lost webhook): ask Stripe.
				const reconciled = (await ctx.call("payments.reconcile", {}).catch((err: any) => {
					if (err?.type !== ERR.PAYMENTS_UNAVAILABLE) this.logger.error("Reconciliation failed", err);
					return { checked: 0, changed: 0 };
				})) as { checked: number; changed: number };
				return { overdueStarted: overdue.started, steps: steps.length, retried, reminded, collectionsRestarted: lost.length, reconciled: reconciled.changed };
			} finally {
				await lease.release();
			}
		},

		schedule(this: any) {
			const cfg = settings().billing;
			const tasks: ScheduledTask[] = [];
			if (cfg.cron) {
				tasks.push(
					cron.schedule(
						cfg.cron,
						async () => {
							const period = previousPeriod(billingClock.now(), cfg.timezone);
							try {
								await this.broker.call("billingRuns.run", { period }, { meta: systemMeta(), timeout: 0, nodeID: this.broker.nodeID });
							} catch (err: any) {
								if (err?.type === ERR.RUN_IN_PROGRESS) this.logger.info(`Monthly run of ${period} is running on another node`);
								else this.logger.error(`Monthly run of ${period} failed`, err);
							}
						},
						{ timezone: cfg.timezone, noOverlap: true, name: "billing.monthly" },
					) as ScheduledTask,
				);
			}
			if (cfg.dunningCron) {
				tasks.push(
					cron.schedule(
						cfg.dunningCron,
						() => this.broker.call("billingRuns.dunning", {}, { meta: systemMeta() }).catch((err: unknown) => this.logger.error("Dunning pass failed", err)),
						{ timezone: cfg.timezone, noOverlap: true, name: "billing.dunning" },
					) as ScheduledTask,
				);
			}
			return tasks;
		},
	},

	started(this: any) {
		this.tasks = this.schedule();
	},

	async stopped(this: any) {
		await Promise.all((this.tasks ?? []).map((t: ScheduledTask) => t.destroy()));
	},
};

export default BillingRunsService;
