/**
 * The owners' `export` actions: a school's stored facts replayed as the durable messages the owner publishes
 * live (same ids, same fields), so the reporting block can rebuild its projections from scratch
 * (`npm run reporting:rebuild`). Paged by key (`_id` order, `after` = the last id seen), which stays correct
 * while new documents keep arriving; `total` comes with the first page, for a progress bar. Only the system
 * principal calls them (config/permissions), naming the school.
 */
import type { Model } from "mongoose";
import { ID } from "./params.js";

export const EXPORT_PARAMS = {
	$$strict: "remove",
	schoolId: ID,
	after: { type: "string", min: 1, max: 64, optional: true },
	limit: { type: "number", integer: true, min: 1, max: 1000, optional: true, convert: true },
} as const;

export interface ExportParams {
	schoolId: string;
	after?: string;
	limit?: number;
}

/** One replayed message and the channel it travels on live. */
export interface FeedRow {
	channel: string;
	message: Record<string, unknown>;
}

/** Rows of one channel. */
export const on = (channel: string, messages: Record<string, unknown>[]): FeedRow[] => messages.map(message => ({ channel, message }));

export interface ExportPage<T = FeedRow> {
	rows: T[];
	/** Give it back as `after` for the next page; null after the last one. */
	next: string | null;
	/** Documents read for this page (a document may replay as several messages). */
	count: number;
	/** Documents to export (first page only). */
	total?: number;
}

/** One page of `model`'s documents matching `filter` (the school is added), each turned into messages by `toRows`. */
export async function exportPage<T>(
	model: Model<any>,
	p: ExportParams,
	filter: Record<string, unknown>,
	toRows: (doc: any) => T[],
	projection?: Record<string, 0 | 1>,
): Promise<ExportPage<T>> {
	const limit = p.limit ?? 500;
	const where = { ...filter, schoolId: p.schoolId };
	const docs: any[] = await model
		.find(p.after ? { ...where, _id: { $gt: p.after } } : where, projection)
		.sort({ _id: 1 })
		.limit(limit)
		.lean();
	const page: ExportPage<T> = { rows: docs.flatMap(toRows), next: docs.length === limit ? String(docs[docs.length - 1]._id) : null, count: docs.length };
	if (!p.after) page.total = await model.countDocuments(where);
	return page;
}
