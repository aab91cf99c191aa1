/**
 * Documents of one school by their ids, in the shape each server answers fastest.
 *
 * Why shapes: FerretDB 1.24 does not push `_id: {$in: …}` (nor any filter on other fields) down to its
 * SQLite backend: such a query scans and decodes the whole collection (measured: ~30 µs per stored
 * document, ~290 ms for 10,000), while `findOne({_id})` alone is a primary-key lookup (~2 ms; with `schoolId`
 * added to that filter ~10 ms). And FerretDB answers about 370 operations a second here whatever their
 * kind, so a few hundred lookups cost more than one scan of a small collection. On FerretDB a read of many
 * ids is one scan when the collection is small for their number (SCAN_WORTH_PER_ID documents per id), and
 * otherwise one lookup per id, at most LOOKUPS_IN_FLIGHT of them at once in this process (more only queue in
 * FerretDB, where they delay every other query). On MongoDB it is one `$in` query.
 * Either way the caller gets only the documents of `schoolId`: another school's id looks like a missing one.
 */
import type { Model } from "mongoose";
import { mapBounded } from "./bounded.js";
import { serverFlavour } from "./mongo-connection.js";

/** A lookup costs about as much as scanning this many documents (2.7 ms / 30 µs). */
const SCAN_WORTH_PER_ID = 90;
/** Lookups in flight at once, for the whole process. */
const LOOKUPS_IN_FLIGHT = 24;
/** How long a collection's size estimate is trusted. */
const SIZE_TTL_MS = 30_000;

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
	const inOneQuery = async () => {
		const query = model.find({ _id: { $in: distinct }, schoolId }, projection).sort({ _id: 1 });
		return (opts.lean ? await query.lean() : await query) as T[];
	};
	if ((await serverFlavour()) === "mongodb") return inOneQuery();
	if (distinct.length > 1 && (await sizeOf(model)) <= distinct.length * SCAN_WORTH_PER_ID) return inOneQuery();
	const found = await mapBounded(distinct, LOOKUPS_IN_FLIGHT, id =>
		lookups.run(() => {
			const query = model.findOne({ _id: id }, projection);
			return opts.lean ? query.lean() : query;
		}),
	);
	// In _id order, as the $in query answers: callers listing the result see one order on both servers.
	return found
		.filter((doc: any) => doc && String(doc.schoolId) === schoolId)
		.sort((a: any, b: any) => (String(a._id) < String(b._id) ? -1 : 1)) as T[];
}

const sizes = new Map<string, { count: number; at: number }>();

async function sizeOf(model: Model<any>): Promise<number> {
	const known = sizes.get(model.collection.name);
	if (known && Date.now() - known.at < SIZE_TTL_MS) return known.count;
	const count = await model.estimatedDocumentCount();
	sizes.set(model.collection.name, { count, at: Date.now() });
	return count;
}

/** A process-wide cap on lookups in flight, first come first served. */
class Limiter {
	private active = 0;
	private readonly waiting: (() => void)[] = [];

	constructor(private readonly limit: number) {}

	async run<R>(fn: () => PromiseLike<R>): Promise<R> {
		if (this.active >= this.limit) await new Promise<void>(resolve => this.waiting.push(resolve));
		else this.active++;
		try {
			return await fn();
		} finally {
			const next = this.waiting.shift();
			if (next) next();
			else this.active--;
		}
	}
}

const lookups = new Limiter(LOOKUPS_IN_FLIGHT);
