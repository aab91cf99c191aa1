/**
 * One mongoose connection per process, shared by every DB service on this node and closed when the
 * last one stops. moleculer-db's mongoose adapter would otherwise connect and close the global
 * connection once per service (moleculer-db #221), so stopping one broker would break another.
 */
import mongoose from "mongoose";

let users = 0;
let connecting: Promise<typeof mongoose> | undefined;
let monitorCommands = false;

// Queries fail fast instead of buffering for ever when the server is away.
mongoose.set("bufferTimeoutMS", 10_000);
mongoose.set("strictQuery", true);

export async function acquireConnection(uri: string): Promise<mongoose.Connection> {
	users++;
	if (mongoose.connection.readyState === 1) return mongoose.connection;
	if (!connecting) {
		// The driver checks the server every 2 s (10 s by default): a database that went away is noticed
		// (requests then fail at once with 503, /health/ready says so) and one that came back is used again
		// within seconds, without restarting the node.
		connecting = mongoose.connect(uri, { serverSelectionTimeoutMS: 10_000, heartbeatFrequencyMS: 2_000, autoIndex: true, monitorCommands });
		connecting.catch(() => (connecting = undefined));
	}
	try {
		await connecting;
	} catch (err) {
		users--;
		throw err;
	}
	return mongoose.connection;
}

export async function releaseConnection(): Promise<void> {
	users = Math.max(0, users - 1);
	if (users === 0 && mongoose.connection.readyState !== 0) {
		connecting = undefined;
		await mongoose.disconnect();
	}
}

export function isConnected(): boolean {
	return mongoose.connection.readyState === 1;
}

/** Command monitoring (the driver's commandStarted/Succeeded events) for the next connect: benchmarks count round trips with it. */
export function monitorNextConnection(on: boolean): void {
	monitorCommands = on;
}
