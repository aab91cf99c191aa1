/**
 * Attributes every stored change to the HTTP request that caused it, so a test can prove that refused
 * requests (4xx) changed nothing, while accepted ones around them do their work. Test-only wiring:
 * - the gateway's HTTP server runs each request inside an AsyncLocalStorage context, which follows the
 *   request through the broker call, the service, mongoose and any event or durable message it causes in
 *   this process;
 * - the MongoDB driver's write methods are wrapped: a write made inside a request's context is recorded
 *   against it when it changed something (documents inserted, modified, upserted or deleted; for
 *   find-and-modify, the document read before differs from the one after).
 */
import { AsyncLocalStorage } from "node:async_hooks";
import type { Server } from "node:http";
import { BSON, Collection } from "mongodb";

export interface RecordedRequest {
	method: string;
	url: string;
	status: number;
	writes: { collection: string; op: string; detail: string }[];
}

const als = new AsyncLocalStorage<RecordedRequest>();

type AnyFn = (this: Collection, ...args: any[]) => Promise<any>;
const COUNTED = ["insertOne", "insertMany", "updateOne", "updateMany", "replaceOne", "deleteOne", "deleteMany", "bulkWrite"] as const;
const FIND_AND_MODIFY = ["findOneAndUpdate", "findOneAndReplace", "findOneAndDelete"] as const;

function changedCount(op: string, result: any): number {
	if (!result || typeof result !== "object") return 0;
	switch (op) {
		case "insertOne":
			return result.acknowledged === false ? 0 : 1;
		case "insertMany":
			return result.insertedCount ?? 0;
		case "deleteOne":
		case "deleteMany":
			return result.deletedCount ?? 0;
		case "bulkWrite":
			return (result.insertedCount ?? 0) + (result.modifiedCount ?? 0) + (result.upsertedCount ?? 0) + (result.deletedCount ?? 0);
		default:
			return (result.modifiedCount ?? 0) + (result.upsertedCount ?? 0);
	}
}

/** The document a find-and-modify returned, whatever the result format. */
function returnedDoc(result: any): unknown {
	if (result && typeof result === "object" && "lastErrorObject" in result) return result.value;
	return result;
}

const same = (a: unknown, b: unknown) => BSON.EJSON.stringify(a ?? null, { relaxed: false }) === BSON.EJSON.stringify(b ?? null, { relaxed: false });

export interface WriteRecorder {
	requests: RecordedRequest[];
	stop(): void;
}

/** Starts recording the requests of this gateway server and the writes they cause. */
export function recordWrites(server: Server): WriteRecorder {
	const requests: RecordedRequest[] = [];
	const proto = Collection.prototype as unknown as Record<string, AnyFn>;
	const originals = new Map<string, AnyFn>();

	for (const op of COUNTED) {
		const original = proto[op];
		originals.set(op, original);
		proto[op] = async function (this: Collection, ...args: any[]) {
			const request = als.getStore();
			const result = await original.apply(this, args);
			if (request) {
				const n = changedCount(op, result);
				if (n > 0) request.writes.push({ collection: this.collectionName, op, detail: `${n} document(s): ${JSON.stringify(args[0])?.slice(0, 300)}` });
			}
			return result;
		};
	}
	for (const op of FIND_AND_MODIFY) {
		const original = proto[op];
		originals.set(op, original);
		proto[op] = async function (this: Collection, ...args: any[]) {
			const request = als.getStore();
			if (!request) return original.apply(this, args);
			const before = await this.findOne(args[0]);
			const result = await original.apply(this, args);
			const doc = returnedDoc(result);
			const options = (op === "findOneAndDelete" ? args[1] : args[2]) ?? {};
			// With returnDocument "before", the after-state has to be read back.
			const after = op === "findOneAndDelete" ? null : options.returnDocument === "after" ? doc : before ? await this.findOne({ _id: (before as { _id: any })._id }) : doc;
			// An update that matched nothing (its filter no longer held: a racing request got there first) returns no
			// document and changed nothing, whatever the read just before it saw.
			const matchedNothing = op !== "findOneAndDelete" && options.returnDocument === "after" && (doc === null || doc === undefined);
			const changed = op === "findOneAndDelete" ? doc !== null && doc !== undefined : !matchedNothing && !same(before, after);
			if (changed) request.writes.push({ collection: this.collectionName, op, detail: JSON.stringify(args[0])?.slice(0, 300) });
			return result;
		};
	}

	const listeners = server.listeners("request") as ((...args: any[]) => void)[];
	server.removeAllListeners("request");
	const recorded = (req: any, res: any) => {
		const entry: RecordedRequest = { method: req.method, url: req.url, status: 0, writes: [] };
		requests.push(entry);
		res.once("finish", () => (entry.status = res.statusCode));
		res.once("close", () => (entry.status ||= res.statusCode));
		als.run(entry, () => {
			for (const listener of listeners) listener.call(server, req, res);
		});
	};
	server.on("request", recorded);

	return {
		requests,
		stop() {
			for (const [op, original] of originals) proto[op] = original;
			server.removeListener("request", recorded);
			for (const listener of listeners) server.on("request", listener);
		},
	};
}
