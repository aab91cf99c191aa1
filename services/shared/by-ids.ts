/**
 * Documents of one school by their ids: one `_id: {$in}` query (the `_id` index answers it), in `_id` order.
 * The school is part of the filter, so another school's id looks like a missing one.
 */
import type { Model } from "mongoose";

export interface ByIdsOptions {
	/** More conditions every document must meet (e.g. `{roles: {$in: [...]}}`). */
	where?: Record<string, unknown>;
	/** Mongoose projection. */
	projection?: Record<string, 0 | 1>;
	/** Plain objects instead of mongoose documents. */
	lean?: boolean;
}

export async function findByIds<T = any>(model: Model<any>, ids: readonly unknown[], schoolId: string, opts: ByIdsOptions = {}): Promise<T[]> {
	const distinct = [...new Set(ids.map(String))];
	if (distinct.length === 0) return [];
	const query = model.find({ ...opts.where, _id: { $in: distinct }, schoolId }, opts.projection).sort({ _id: 1 });
	return (opts.lean ? await query.lean() : await query) as T[];
}
