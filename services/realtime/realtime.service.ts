/**
 * Hosts the Colyseus server (live rooms) beside the broker, on REALTIME_PORT. Rooms are registered in
 * a later step; for now the server answers matchmaking, refusing unknown room types.
 *
 * Colyseus keeps its matchmaker in module state, so one process can host one server only: a second
 * realtime service in the same process fails at start with a clear error instead of corrupting it.
 */
import { createServer, type Server as HttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { Server } from "@colyseus/core";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { settings } from "../../config/env.js";
import type { ServiceDef } from "../shared/service.js";

/**
 * The service instance whose Colyseus server runs in this process, if any. Kept on globalThis: the
 * same module loaded twice (ESM and CommonJS, as test runners may do) must still see one owner.
 */
const OWNER = Symbol.for("learning-platform.realtime.colyseus-owner");
const registry = globalThis as { [OWNER]?: unknown };

function listenOrFail(colyseus: Server, http: HttpServer, port: number): Promise<void> {
	// Colyseus only logs a listen error (EADDRINUSE) and never settles: surface it.
	const failed = new Promise<never>((_, reject) => http.once("error", reject));
	return Promise.race([colyseus.listen(port), failed]);
}

function closed(http: HttpServer): Promise<void> {
	if (!http.listening) return Promise.resolve();
	return new Promise(resolve => {
		http.once("close", () => resolve());
		http.closeAllConnections();
	});
}

const RealtimeService: ServiceDef = {
	name: "realtime",
	settings: { rest: "/" },

	methods: {
		async shutdownColyseus(this: any) {
			if (registry[OWNER] !== this) return;
			const http: HttpServer = this.http;
			const done = closed(http);
			try {
				await (this.colyseus as Server).gracefullyShutdown(false);
			} finally {
				if (http.listening) http.close();
				await done;
				registry[OWNER] = undefined;
				this.colyseus = undefined;
			}
		},
	},

	async started(this: any) {
		if (registry[OWNER]) {
			throw new Error("A Colyseus server already runs in this process: run at most one realtime service per process");
		}
		registry[OWNER] = this;
		const http = createServer();
		// The start script handles SIGTERM and stops the broker, which stops this server.
		const colyseus = new Server({
			transport: new WebSocketTransport({ server: http }),
			gracefullyShutdown: false,
			greet: false,
			logger: this.logger,
		});
		this.http = http;
		this.colyseus = colyseus;
		try {
			await listenOrFail(colyseus, http, settings().realtimePort);
		} catch (err) {
			await this.shutdownColyseus();
			throw err;
		}
		this.port = (http.address() as AddressInfo).port;
		this.logger.info(`Realtime (Colyseus) listening on port ${this.port}`);
	},

	async stopped(this: any) {
		await this.shutdownColyseus();
	},
};

export default RealtimeService;
