/**
 * Rebuilds a school's projections from scratch from the owners' export actions, while the live feed keeps
 * flowing (`npm run reporting:rebuild`):
 *
 * 1. A new generation is opened (feed/generations.ts). From then on every node writes live facts to both the
 *    current generation and the new one; the rebuild waits until every node's cache has seen it.
 * 2. The owners' exports are paged through (accounts, classes and paths first, so facts find their classes and
 *    subjects, then every kind of fact) and written to the new generation only, through the same writer as the
 *    live feed. A fact both exported and delivered live is counted once: its marker is per generation and id.
 * 3. Optionally the new generation is compared with the current one (same documents, same figures).
 * 4. The new generation becomes current; once every node has seen it, the old one is deleted.
 *
 * The registers (schools, invoices) are not per generation: the exports confirm them in place.
 */
import { Errors, type ServiceBroker } from "moleculer";
import { systemMeta } from "../../shared/identity.js";
import type { ExportPage, FeedRow } from "../../shared/feed-export.js";
import { forgetStates } from "../feed/context.js";
import { abandonBuilding, openBuilding, SETTLE_MS, switchTo } from "../feed/generations.js";
import { applyBatch, type FeedEnv } from "../feed/writer.js";
import { GENERATION_MODELS } from "../projection-models.js";

/** The owners' exports, in the order they are replayed (states before facts). */
export const EXPORTS = [
	"users.export",
	"classes.export",
	"paths.export",
	"memory.exportReviews",
	"revisions.export",
	"evaluations.export",
	"progress.export",
	"conversations.exportMessages",
	"visio.exportAttendance",
	"aiTutor.export",
	"aiGeneration.export",
	// Billing's invoices (billing.invoice.*: created, then their state now).
	"invoices.feedExport",
] as const;

/** Comparisons before a difference is reported as real (each after a pause). */
const VERIFY_LOOKS = 5;

export interface RebuildProgress {
	schoolId: string;
	stage: string;
	done: number;
	total: number;
}

export interface RebuildOptions {
	schoolId?: string;
	force?: boolean;
	verify?: boolean;
	pageSize?: number;
	settleMs?: number;
	onProgress?: (p: RebuildProgress) => void;
	onSchool?: (schoolId: string, total: number) => void;
	/** Called before the switch (the tests let the live feed settle there). */
	beforeSwitch?: (schoolId: string) => Promise<void>;
	logger?: FeedEnv["logger"];
}

export interface SchoolReport {
	schoolId: string;
	generation: number;
	records: number;
	skipped: string[];
	differences?: string[];
	seconds: number;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));
const missing = (err: unknown) => err instanceof Errors.ServiceNotFoundError || err instanceof Errors.ServiceNotAvailableError;

export async function rebuild(broker: ServiceBroker, opts: RebuildOptions = {}): Promise<SchoolReport[]> {
	const call = <T>(action: string, params: Record<string, unknown>) => broker.call(action, params, { meta: systemMeta(), timeout: 0 }) as Promise<T>;
	const env: FeedEnv = { logger: opts.logger, resolveSchool: id => call("schools.resolve", { id }) };
	const schools: string[] = [];
	for (let after: string | null | undefined = undefined; ; ) {
		const page: ExportPage = await call("schools.export", { ...(opts.schoolId ? { schoolId: opts.schoolId } : {}), ...(after ? { after } : {}), limit: 500 });
		await applyBatch(env, page.rows);
		schools.push(...page.rows.map(r => String(r.message.schoolId)));
		if (!page.next) break;
		after = page.next;
	}
	if (opts.schoolId && schools.length === 0) throw new Error(`No school ${opts.schoolId}`);
	const reports: SchoolReport[] = [];
	for (const schoolId of schools) reports.push(await rebuildSchool(broker, env, schoolId, opts, call));
	return reports;
}

async function rebuildSchool(
	_broker: ServiceBroker,
	env: FeedEnv,
	schoolId: string,
	opts: RebuildOptions,
	call: <T>(action: string, params: Record<string, unknown>) => Promise<T>,
): Promise<SchoolReport> {
	const started = Date.now();
	const settle = opts.settleMs ?? SETTLE_MS;
	const { current, building } = await openBuilding(schoolId, opts.force);
	try {
		await sleep(settle);
		// Leftovers of a rebuild that died with this generation number.
		await Promise.all(GENERATION_MODELS.map(m => m.collection.deleteMany({ schoolId, g: building })));
		forgetStates(schoolId);

		const totals = new Map<string, number>();
		const skipped: string[] = [];
		for (const action of EXPORTS) {
			try {
				const first: ExportPage = await call(action, { schoolId, limit: 1 });
				totals.set(action, first.total ?? 0);
			} catch (err) {
				if (!missing(err)) throw err;
				skipped.push(action);
			}
		}
		const total = [...totals.values()].reduce((a, b) => a + b, 0);
		opts.onSchool?.(schoolId, total);
		const target: FeedEnv = { ...env, generationsOf: async () => [building] };
		let done = 0;
		const limit = opts.pageSize ?? 1000;
		for (const action of totals.keys()) {
			// The next page is read while this one is written: the owner's query and reporting's writes overlap.
			let pending: Promise<ExportPage<FeedRow>> | null = call(action, { schoolId, limit });
			while (pending) {
				const page: ExportPage<FeedRow> = await pending;
				pending = page.next ? call(action, { schoolId, limit, after: page.next }) : null;
				await applyBatch(target, page.rows);
				// Documents, not messages: a document may replay as several messages, and the total counts documents.
				done += page.count;
				opts.onProgress?.({ schoolId, stage: action, done: Math.min(done, total), total });
			}
		}
		const report: SchoolReport = { schoolId, generation: building, records: total, skipped, seconds: 0 };
		await opts.beforeSwitch?.(schoolId);
		if (opts.verify) {
			// A live batch writes one generation, then the other: a difference seen in between is gone a moment later,
			// though a busy school may show another one then. A real difference stays through every look.
			report.differences = await compareGenerations(schoolId, current, building);
			for (let look = 1; look < VERIFY_LOOKS && report.differences.length > 0; look++) {
				await sleep(Math.max(settle, 1000));
				report.differences = await compareGenerations(schoolId, current, building);
			}
		}
		await switchTo(schoolId, building);
		await sleep(settle);
		await Promise.all(GENERATION_MODELS.map(m => m.collection.deleteMany({ schoolId, g: current })));
		forgetStates(schoolId);
		report.seconds = (Date.now() - started) / 1000;
		return report;
	} catch (err) {
		await abandonBuilding(schoolId, building).catch(() => undefined);
		throw err;
	}
}

/**
 * Fields that say when or how a document was written, not what it holds: the time of the event that last set a
 * state (a live message's, an export's document time) may differ by milliseconds for the same content.
 */
const BOOKKEEPING = new Set(["_id", "g", "at", "rolesAt", "statusAt", "statusRank"]);

/**
 * Differences between two generations of a school's projections: documents present in one only, or holding
 * other figures (sums compared to 1e-9, since adding the same numbers in another order may differ in the last bit).
 */
export async function compareGenerations(schoolId: string, a: number, b: number): Promise<string[]> {
	const out: string[] = [];
	for (const model of GENERATION_MODELS) {
		const [left, right] = await Promise.all([model.collection.find({ schoolId, g: a }).toArray(), model.collection.find({ schoolId, g: b }).toArray()]);
		const key = (doc: any, g: number) => String(doc._id).replace(`${schoolId}|${g}|`, "");
		const rightByKey = new Map(right.map(d => [key(d, b), d]));
		for (const doc of left) {
			const k = key(doc, a);
			const other = rightByKey.get(k);
			rightByKey.delete(k);
			if (!other) out.push(`${model.modelName} ${k}: only in generation ${a}`);
			else {
				// A marker's fields say when it was written; that it exists is what counts.
				const diff = model.modelName === "ReportingMarker" ? null : firstDifference(strip(doc), strip(other), "");
				if (diff) out.push(`${model.modelName} ${k}: ${diff}`);
			}
		}
		for (const k of rightByKey.keys()) out.push(`${model.modelName} ${k}: only in generation ${b}`);
	}
	return out;
}

function strip(doc: Record<string, unknown>): Record<string, unknown> {
	return Object.fromEntries(Object.entries(doc).filter(([k]) => !BOOKKEEPING.has(k)));
}

function firstDifference(x: any, y: any, path: string): string | null {
	if (typeof x === "number" && typeof y === "number") return Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(x)) ? null : `${path}: ${x} ≠ ${y}`;
	if (x instanceof Date || y instanceof Date) return new Date(x as any).getTime() === new Date(y as any).getTime() ? null : `${path}: ${String(x)} ≠ ${String(y)}`;
	if (Array.isArray(x) && Array.isArray(y)) {
		if (x.length !== y.length) return `${path}: ${x.length} entries ≠ ${y.length}`;
		// Sets of ids ($addToSet) keep the order they were added in: compared as sets.
		if (x.every(v => typeof v === "string") && y.every(v => typeof v === "string")) {
			x = [...x].sort();
			y = [...(y as string[])].sort();
		}
		for (let i = 0; i < x.length; i++) {
			const d = firstDifference(x[i], y[i], `${path}[${i}]`);
			if (d) return d;
		}
		return null;
	}
	if (x && y && typeof x === "object" && typeof y === "object") {
		const keys = new Set([...Object.keys(x), ...Object.keys(y)]);
		for (const k of keys) {
			const d = firstDifference((x as any)[k], (y as any)[k], path ? `${path}.${k}` : k);
			if (d) return d;
		}
		return null;
	}
	return x === y || (x == null && y == null) ? null : `${path}: ${JSON.stringify(x)} ≠ ${JSON.stringify(y)}`;
}
