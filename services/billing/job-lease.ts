/**
 * The lease of a long billing job (a month's invoices, a dunning pass): a unique-key document that the
 * holder renews while it works, so only one node runs the job and a crashed holder's lease lapses.
 * Correctness never rests on it (uniqueness is the database's, see invoices), it only keeps nodes from
 * doing the same work twice.
 */
import { randomUUID } from "node:crypto";
import type { Model } from "mongoose";
import { isDuplicateKey } from "../shared/errors.js";

export interface HeldLease {
	key: string;
	owner: string;
	/** Stops renewing and deletes the lease. */
	release(): Promise<void>;
}

/** Takes the lease or answers null when a live holder has it. */
export async function acquireJobLease(locks: Model<any>, key: string, ttlMs = 60_000): Promise<HeldLease | null> {
	const owner = randomUUID();
	const expiresAt = () => new Date(Date.now() + ttlMs);
	try {
		await locks.create({ key, owner, expiresAt: expiresAt() });
	} catch (err) {
		if (!isDuplicateKey(err)) throw err;
		// Take over only a lapsed lease; the owner in the filter makes sure only that one goes.
		const held = await locks.findOneAndUpdate({ key, expiresAt: { $lt: new Date() } }, { $set: { owner, expiresAt: expiresAt() } }, { new: true });
		if (!held) return null;
	}
	const timer = setInterval(() => {
		locks.updateOne({ key, owner }, { $set: { expiresAt: expiresAt() } }).catch(() => undefined);
	}, Math.max(1000, Math.floor(ttlMs / 3)));
	timer.unref();
	return {
		key,
		owner,
		async release() {
			clearInterval(timer);
			await locks.deleteOne({ key, owner }).catch(() => undefined);
		},
	};
}
