/**
 * Documents of one school by their ids, in the shape each server answers fastest.
 *
 * Why two shapes: FerretDB 1.24 does not push `_id: {$in: …}` (nor any filter on other fields) down to its
 * SQLite backend: every such query scans and decodes the whole collection (measured: ~290 ms for 10,000
 * documents, growing with the collection), while `findOne({_id})` alone is a primary-key lookup (~2 ms,
 * whatever the size; adding `schoolId` to that filter makes it ~10 ms). The hot paths of the live rooms read
 * a few hundred documents by id per second, so on FerretDB they read one id at a time, in parallel, and check
 * the school here; on MongoDB one `$in` query (with the school in the filter) is the cheaper shape.
 * Either way the caller gets only the documents of `schoolId`: another school's id looks like a missing one.
 */
import type { Model } from "mongoose";
import { mapBounded } from "./bounded.js";
import { serverFlavour } from "./mongo-connection.js";

/** Lookups in flight at once on FerretDB: enough to keep its two cores busy without queueing hundreds. */
const PARALLEL_LOOKUPS = 16;

export interface ByIdsOptions {
	/** Mongoose projection; `schoolId` is added when missing (the school is checked on it). */
	projection?: Record<string, 0 | 1>;
	/** Plain objects instead of mongoose documents. */
	lean?: boolean;
}

export async function findByIds<T = any>(model: Model<any>, ids: readonly unknown[], schoolId: string, opts: ByIdsOptions = {}): Promise<T[]> {
	const distinct = [...new Set(ids.map(String))];
	if (distinct.length === 0) return [];
	const projection = opts.projection && !Object.values(opts.projection).includes(0) ? { ...opts.projection, schoolId: 1 } : opts.projection;
	if ((await serverFlavour()) === "mongodb") {
		const query = model.find({ _id: { $in: distinct }, schoolId }, projection).sort({ _id: 1 });
		return (opts.lean ? await query.lean() : await query) as T[];
	}
	const found = await mapBounded(distinct, PARALLEL_LOOKUPS, id => {
		const query = model.findOne({ _id: id }, projection);
		return opts.lean ? query.lean() : query;
	});
	// In _id order, as the $in query above answers: callers listing the result see one order on both servers.
	return found
		.filter((doc: any) => doc && String(doc.schoolId) === schoolId)
		.sort((a: any, b: any) => (String(a._id) < String(b._id) ? -1 : 1)) as T[];
}
