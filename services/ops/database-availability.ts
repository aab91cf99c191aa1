/**
 * The database away is an outage, not a bug: an action that fails because MongoDB cannot be reached
 * answers 503 SERVICE_UNAVAILABLE with Retry-After (never a 500), and while this node knows the
 * connection is down its database actions fail at once instead of each waiting for the driver's server
 * selection. The driver reconnects by itself when the database is back (mongo-connection.ts), and
 * `/health/ready` says `database: false` meanwhile.
 */
import type { Middleware } from "moleculer";
import mongoose from "mongoose";
import { ClientError, ERR } from "../shared/errors.js";

const UNAVAILABLE_NAMES = /^Mongo(ose)?(ServerSelection|Network|NetworkTimeout|NotConnected|TopologyClosed|PoolCleared|PoolClosed|WaitQueueTimeout)Error$/;

export function isDatabaseUnavailable(err: unknown): boolean {
	const e = err as { name?: string; message?: string } | null;
	if (!e || typeof e !== "object") return false;
	if (typeof e.name === "string" && UNAVAILABLE_NAMES.test(e.name)) return true;
	return e.name === "MongooseError" && typeof e.message === "string" && /buffering timed out|Client must be connected/.test(e.message);
}

export const databaseUnavailable = () => new ClientError("The database is unavailable, try again shortly", 503, ERR.UNAVAILABLE, { retryAfter: 5 });

function usesDatabase(service: any): boolean {
	return !!service?.adapter;
}

/** moleculer-db services get the fast 503; every action maps a driver connection error to the same 503. */
export const DatabaseAvailabilityMiddleware: Middleware = {
	name: "DatabaseAvailability",
	localAction(next: (ctx: any) => Promise<unknown>, action: { name: string; service?: any }) {
		if (action.name.startsWith("$")) return next;
		const db = usesDatabase(action.service);
		return function databaseGuard(ctx: any) {
			// 0 = disconnected (the driver saw the server go), 3 = disconnecting: fail fast. 2 (connecting) is
			// left to the driver, which queues the operation until the server answers.
			if (db && (mongoose.connection.readyState === 0 || mongoose.connection.readyState === 3) && mongoose.connection.getClient?.()) {
				return Promise.reject(databaseUnavailable());
			}
			return next(ctx).catch(err => {
				if (!isDatabaseUnavailable(err)) throw err;
				// The driver's own error says why (a timeout under load, a reset connection, no server): kept in the log.
				action.service?.logger?.warn(`${action.name}: answered 503, the database driver said ${err?.name}: ${String(err?.message ?? "").slice(0, 300)}`);
				throw databaseUnavailable();
			});
		};
	},
} as unknown as Middleware;
