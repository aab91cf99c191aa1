/**
 * Mutual exclusion through a unique-key insert: whoever inserts `{key}` holds the lease until it
 * deletes it or the lease expires (a crashed holder cannot block for ever). Used around every write
 * of a subscription, because FerretDB does not make one conditional update atomic (see
 * models/lease.model.ts); on MongoDB it only costs two small writes.
 */
import { randomUUID } from "node:crypto";
import type { Model } from "mongoose";
import { ClientError, ERR, isDuplicateKey } from "../shared/errors.js";

export interface LeaseOptions {
	/** How long a holder may keep the lease before others may take it over. */
	leaseMs?: number;
	/** How long to wait for the lease before giving up. */
	waitMs?: number;
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
		if (Date.now() > deadline) throw new ClientError("The subscription is busy, try again", 409, ERR.CONFLICT);
		await sleep(Math.min(50, 2 + attempt * 2) * (0.5 + Math.random()));
	}
	try {
		return await fn();
	} finally {
		await locks.deleteOne({ key, owner });
	}
}
