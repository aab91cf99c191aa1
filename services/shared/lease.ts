/**
 * Mutual exclusion through a unique-key insert: whoever inserts `{key}` holds the lease until it
 * deletes it or the lease expires (a crashed holder cannot block for ever).
 *
 * Only for rules that span several documents, which no single-document conditional update can guard:
 * - users: at least one active school admin stays (`admins:<school>`, around demotions and suspensions of
 *   admins: two admins demoting each other at once would each count the other);
 * - paths: the plan's limit on active paths (`active:<school>`, a count across path documents);
 * - scheduling: the nightly optimisation runs on one node at a time (`optimize-due`, waitMs 0);
 * - visio: nobody is booked into two calls at once (`busy:<school>:<user>` for every participant, taken
 *   together with withLeases: an overlap is a rule across visio documents).
 * A change of one document is one conditional update (the condition in the filter), and a read-modify-write
 * of one document is guarded optimistically (services/shared/optimistic.ts); neither takes a lease.
 *
 * Each owning service keeps its leases in its own collection (`leaseModel("<Service>Lease")`).
 */
import { randomUUID } from "node:crypto";
import type { Model } from "mongoose";
import { ClientError, duplicateKeyIndexes, ERR, isDuplicateKey } from "./errors.js";

export interface LeaseOptions {
	/** How long a holder may keep the lease before others may take it over. */
	leaseMs?: number;
	/** How long to wait for the lease before giving up with 409 CONFLICT. */
	waitMs?: number;
	/** The 409's message when the wait runs out. */
	busyMessage?: string;
}

const sleep = (ms: number) => new Promise(resolve => setTimeout(resolve, ms));

export async function withLease<T>(locks: Model<any>, key: string, fn: () => Promise<T>, opts: LeaseOptions = {}): Promise<T> {
	const leaseMs = opts.leaseMs ?? 10_000;
	const deadline = Date.now() + (opts.waitMs ?? 8_000);
	const owner = randomUUID();
	for (let attempt = 0; ; attempt++) {
		try {
			await locks.create({ key, owner, expiresAt: new Date(Date.now() + leaseMs) });
			break;
		} catch (err) {
			if (!isDuplicateKey(err)) throw err;
		}
		// Take over an expired lease; the owner in the filter makes sure only that stale lease goes.
		const held = await locks.findOne({ key }, { owner: 1, expiresAt: 1 });
		if (held && held.expiresAt.getTime() < Date.now()) {
			await locks.deleteOne({ _id: held._id, owner: held.owner });
			continue;
		}
		if (Date.now() > deadline) throw new ClientError(opts.busyMessage ?? "Someone else is changing this right now, try again", 409, ERR.CONFLICT);
		await sleep(Math.min(50, 2 + attempt * 2) * (0.5 + Math.random()));
	}
	try {
		return await fn();
	} finally {
		// A lease that cannot be deleted expires on its own; the work it guarded is done either way.
		await locks.deleteOne({ key, owner }).catch(() => undefined);
	}
}

/**
 * Many leases of one owner at once, for a batch: one insertMany takes every free key, only the keys held by
 * someone else are retried (expired ones taken over) until `waitMs`. `fn` gets the keys obtained, which may
 * be fewer than asked for; the caller answers 409 for the work it could not guard.
 */
export async function withLeases<T>(locks: Model<any>, keys: string[], fn: (held: Set<string>) => Promise<T>, opts: LeaseOptions = {}): Promise<T> {
	const leaseMs = opts.leaseMs ?? 10_000;
	const deadline = Date.now() + (opts.waitMs ?? 8_000);
	const owner = randomUUID();
	const held = new Set<string>();
	let wanted = [...new Set(keys)];
	try {
		for (let attempt = 0; wanted.length > 0; attempt++) {
			const docs = wanted.map(key => ({ key, owner, expiresAt: new Date(Date.now() + leaseMs) }));
			let busy = new Set<string>();
			try {
				await locks.insertMany(docs, { ordered: false });
			} catch (err) {
				busy = new Set(duplicateKeyIndexes(err).map(i => docs[i].key));
			}
			for (const key of wanted) if (!busy.has(key)) held.add(key);
			wanted = [...busy];
			if (wanted.length === 0) break;
			// Take over expired leases; the owner in the filter makes sure only those stale leases go.
			const stale = await locks.find({ key: { $in: wanted }, expiresAt: { $lt: new Date() } }, { owner: 1, key: 1 });
			if (stale.length > 0) {
				await Promise.all(stale.map((s: any) => locks.deleteOne({ _id: s._id, owner: s.owner })));
				continue;
			}
			if (Date.now() > deadline) break;
			await sleep(Math.min(50, 2 + attempt * 2) * (0.5 + Math.random()));
		}
		return await fn(held);
	} finally {
		if (held.size > 0) await locks.deleteMany({ key: { $in: [...held] }, owner }).catch(() => undefined);
	}
}
