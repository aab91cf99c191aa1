/**
 * reportingFeed: the aggregator. It consumes every channel of the durable feed that reporting reads
 * (feed/facts.ts CHANNELS, each by name, in the consumer group "reporting") and writes its own projections in
 * batches (feed/batcher.ts, feed/writer.ts). It never reads another block's collections: what it needs is in
 * the messages, or asked of the owner (a school's time zone, once, from `schools.resolve`).
 */
import { settings } from "../../config/env.js";
import { ReportingGeneration } from "../../models/reporting-generation.model.js";
import { ReportingBatch } from "../../models/reporting-batch.model.js";
import { ReportingMarker } from "../../models/reporting-marker.model.js";
import { dbMixin } from "../shared/db.mixin.js";
import type { FeedRow } from "../shared/feed-export.js";
import { systemMeta, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { MicroBatcher } from "./feed/batcher.js";
import { CHANNELS } from "./feed/facts.js";
import { applyBatch, type FeedEnv } from "./feed/writer.js";
import { reportingPersonalData } from "./personal-data.js";
import { PROJECTION_MODELS } from "./projection-models.js";

/** A batch record still there this long after it was written belongs to a batch that died half-way. */
const DOUBT_AFTER_MS = 60_000;

const FeedService: ServiceDef & { channels: Record<string, unknown> } = {
	name: "reportingFeed",
	settings: { rest: "/" },
	// The mixin gives this node the shared database connection; the projections are written through feed/writer.ts.
	// Data rights: the erasure of a person or a school reaches the projections too (personal-data.ts).
	mixins: [dbMixin(ReportingMarker, { fields: ["id"], tenant: false }), reportingPersonalData],

	channels: Object.fromEntries(
		CHANNELS.map(channel => [
			channel,
			{
				group: "reporting",
				context: true,
				maxInFlight: settings().reportingMaxInFlight,
				handler(this: any, ctx: Ctx<Record<string, unknown>>) {
					// Whoever published, the consumer acts as the system, never as a user.
					ctx.meta.user = systemMeta().user;
					return this.batcher.add({ channel, message: ctx.params });
				},
			},
		]),
	),

	actions: {
		/** Health of the projections: rebuilds running, facts in doubt. */
		status: {
			rest: "GET /reporting/status",
			async handler(this: any) {
				const [building, inDoubt] = await Promise.all([
					ReportingGeneration.find({ building: { $ne: null } }, { current: 1, building: 1, startedAt: 1 }).lean(),
					ReportingBatch.find({ at: { $lt: new Date(Date.now() - DOUBT_AFTER_MS) } }, { schoolId: 1, markerIds: 1 }).lean(),
				]);
				return {
					channels: [...CHANNELS],
					// Since this node started: batches written, messages taken, facts among them, facts counted (not seen before), dropped ones.
					thisNode: { ...this.totals },
					rebuilding: building.map((b: any) => ({ schoolId: String(b._id), current: b.current, building: b.building, startedAt: b.startedAt })),
					// Batches a process died in the middle of: their facts may be counted or not. A rebuild of the school settles them.
					factsInDoubt: inDoubt.reduce((n: number, b: any) => n + b.markerIds.length, 0),
					schoolsInDoubt: [...new Set(inDoubt.map((b: any) => b.schoolId))],
				};
			},
		},

		/** Resolves once the batches this node has taken are written (tests and the benchmark wait on it). */
		idle: {
			async handler(this: any) {
				await this.batcher.idle();
				return { idle: true };
			},
		},
	},

	methods: {
		env(this: any): FeedEnv {
			return {
				logger: this.logger,
				resolveSchool: (id: string) => this.broker.call("schools.resolve", { id }, { meta: systemMeta() }),
			};
		},
	},

	created(this: any) {
		const cfg = settings();
		this.totals = { batches: 0, messages: 0, facts: 0, counted: 0, malformed: 0 };
		this.batcher = new MicroBatcher(async (rows: FeedRow[]) => {
			const done = await applyBatch(this.env(), rows);
			this.totals.batches++;
			for (const k of ["messages", "facts", "counted", "malformed"] as const) this.totals[k] += done[k];
		}, {
			maxSize: cfg.reportingBatchSize,
			lingerMs: cfg.reportingBatchLingerMs,
			concurrency: 2,
		});
	},

	async started() {
		await Promise.all(PROJECTION_MODELS.map(m => m.init()));
	},
};

export default FeedService;
