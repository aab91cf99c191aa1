/**
 * Whether a query filter has an index to start from on MongoDB: some index declared on the model (or `_id`)
 * whose leading field is one the filter constrains. A filter whose fields lead no index makes MongoDB read
 * the whole collection (a COLLSCAN). The test server, mongo-java-server, ignores non-unique secondary indexes
 * and scans anyway; what matters here is what the schemas declare for production MongoDB.
 */
import mongoose, { type Model } from "mongoose";

export type IndexKey = Record<string, 1 | -1 | string>;
export type Filter = Record<string, unknown>;

/** The indexes mongoose declares for a model (schema.indexes()), `_id` first. */
export function declaredIndexes(model: Model<any>): IndexKey[] {
	return [{ _id: 1 }, ...model.schema.indexes().map(([keys]) => keys as IndexKey)];
}

/** The model whose collection this is, among the models mongoose knows. */
export function modelOfCollection(collection: string): Model<any> | undefined {
	for (const name of mongoose.modelNames()) {
		const model = mongoose.model(name);
		if (model.collection.name === collection) return model;
	}
	return undefined;
}

/** The fields a filter constrains at its top level (and inside `$and`), and its `$or` alternatives. */
function fieldsOf(filter: Filter): { fields: Set<string>; ors: Filter[][] } {
	const fields = new Set<string>();
	const ors: Filter[][] = [];
	for (const [key, value] of Object.entries(filter ?? {})) {
		if (key === "$and" && Array.isArray(value)) {
			for (const clause of value as Filter[]) {
				const inner = fieldsOf(clause);
				inner.fields.forEach(f => fields.add(f));
				ors.push(...inner.ors);
			}
		} else if (key === "$or" && Array.isArray(value)) ors.push(value as Filter[]);
		else if (!key.startsWith("$")) fields.add(key);
	}
	return { fields, ors };
}

/** How many leading keys of `index` the filter constrains. */
function prefixIn(index: IndexKey, fields: Set<string>): number {
	const keys = Object.keys(index);
	let n = 0;
	while (n < keys.length && fields.has(keys[n])) n++;
	return n;
}

/**
 * The index a filter starts from (the one whose leading keys it constrains most), or null when it has none.
 * With `$or`, an index for the fields outside it suffices; otherwise every alternative (with those fields)
 * needs one, as MongoDB plans each on its own.
 */
export function indexFor(filter: Filter, indexes: IndexKey[]): IndexKey | null {
	const { fields, ors } = fieldsOf(filter);
	let direct: IndexKey | null = null;
	for (const ix of indexes) if (prefixIn(ix, fields) > (direct ? prefixIn(direct, fields) : 0)) direct = ix;
	if (direct) return direct;
	if (ors.length === 0) return null;
	const outside = Object.fromEntries([...fields].map(f => [f, true]));
	for (const alternatives of ors) {
		const each = alternatives.map(branch => indexFor({ ...outside, ...branch }, indexes));
		if (each.every(Boolean)) return each[0];
	}
	return null;
}

/**
 * Whether `index` serves `filter` and, after the filter's equality fields, gives `sort` without sorting in
 * memory: its leading keys are fields of the filter, and the keys that follow them start with the sort's
 * keys (in the same directions, or all reversed).
 */
export function servesWithSort(index: IndexKey, filterFields: string[], sort?: Record<string, 1 | -1>): boolean {
	const keys = Object.keys(index);
	const firstSortKey = sort ? Object.keys(sort)[0] : undefined;
	let prefix = 0;
	// The equality fields; a field the reads are sorted by (a range on it, e.g. `_id < before`) ends them.
	while (prefix < keys.length && filterFields.includes(keys[prefix]) && keys[prefix] !== firstSortKey) prefix++;
	// No filter at all (a whole list in an order): the index must give the order.
	if (prefix === 0 && (filterFields.length > 0 || !sort)) return false;
	if (!sort) return true;
	const wanted = Object.entries(sort);
	const rest = keys.slice(prefix);
	if (rest.length < wanted.length) return false;
	const same = wanted.every(([k, dir], i) => rest[i] === k && index[k] === dir);
	const reversed = wanted.every(([k, dir], i) => rest[i] === k && index[k] === -dir);
	return same || reversed;
}

export interface SeenQuery {
	collection: string;
	method: string;
	filter: Filter;
}

const FILTER_FIRST = new Set(["find", "findOne", "countDocuments", "count", "updateOne", "updateMany", "deleteOne", "deleteMany", "findOneAndUpdate", "findOneAndDelete", "findOneAndReplace", "replaceOne"]);

/** The filters of one operation as mongoose's debug hook reports it (bulkWrite and aggregate included). */
export function filtersOf(collection: string, method: string, args: unknown[]): SeenQuery[] {
	if (FILTER_FIRST.has(method)) return [{ collection, method, filter: (args[0] ?? {}) as Filter }];
	if (method === "distinct") return [{ collection, method, filter: (args[1] ?? {}) as Filter }];
	if (method === "aggregate") {
		const pipeline = (args[0] ?? []) as Filter[];
		return [{ collection, method, filter: ((pipeline[0]?.$match as Filter) ?? {}) as Filter }];
	}
	if (method === "bulkWrite") {
		const ops = (args[0] ?? []) as Record<string, { filter?: Filter }>[];
		return ops.flatMap(op => {
			const [kind, body] = Object.entries(op)[0] ?? [];
			return kind && kind !== "insertOne" && body?.filter ? [{ collection, method: `bulkWrite.${kind}`, filter: body.filter }] : [];
		});
	}
	return [];
}

/** Records every filter the services send through mongoose while `run` runs. */
export async function recordQueries(run: () => Promise<void>): Promise<SeenQuery[]> {
	const seen: SeenQuery[] = [];
	mongoose.set("debug", (collection: string, method: string, ...args: unknown[]) => {
		seen.push(...filtersOf(collection, method, args));
	});
	try {
		await run();
	} finally {
		mongoose.set("debug", false);
	}
	return seen;
}
