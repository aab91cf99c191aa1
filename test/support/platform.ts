/**
 * Boots the whole platform once per mocha process (gateway on a free port, every service, the
 * databases CI started) and gives tests an HTTP client and account fixtures.
 * MONGO_URL must point at a MongoDB-compatible server (`bash .ci/services.sh start` gives one).
 */
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import type { ServiceBroker } from "moleculer";
import mongoose from "mongoose";
import { overrideSettings, settings } from "../../config/env.js";
import { systemMeta } from "../../services/shared/identity.js";
import { createPlatformBroker } from "../../services/platform.js";

export interface Platform {
	broker: ServiceBroker;
	baseUrl: string;
}

let booting: Promise<Platform> | undefined;

export function requireEnv(name: "MONGO_URL" | "NATS_URL" | "REDIS_URL" | "MAILPIT_SMTP_URL" | "MAILPIT_API_URL"): string {
	const value = process.env[name];
	if (!value) throw new Error(`${name} is not set: run \`bash .ci/services.sh start\` and export what it prints`);
	return value;
}

/** A test database per mocha run, so runs never see each other's data. */
function testDatabaseUrl(): string {
	const url = new URL(requireEnv("MONGO_URL"));
	url.pathname = `/lp_test_${process.pid}_${Date.now().toString(36)}`;
	return url.toString();
}

export function bootPlatform(): Promise<Platform> {
	booting ??= (async () => {
		overrideSettings({
			mongoUrl: testDatabaseUrl(),
			// One process, no transporter: the NATS tests build their own brokers.
			natsUrl: undefined,
			port: 0,
			realtimePort: 0,
			logLevel: (process.env.LOG_LEVEL as any) ?? "none",
			// Mail really leaves, to Mailpit; tests read it back through Mailpit's API (support/mailpit.ts).
			smtpUrl: requireEnv("MAILPIT_SMTP_URL"),
			// Tests run the communication tick themselves (reminders.tick), at the times they choose.
			communicationTickCron: "off",
			// Every test file signs schools up and invites from 127.0.0.1: the `abuse limits` tests lower these themselves.
			signupMaxPerAddress: 1_000_000,
			resetMaxPerAddress: 1_000_000,
			inviteMaxPerAddress: 1_000_000,
		});
		const broker = await createPlatformBroker(undefined, { nodeID: `test-${process.pid}` });
		await broker.start();
		const api = broker.getLocalService("api") as any;
		const port = (api.server.address() as AddressInfo).port;
		const platform = { broker, baseUrl: `http://127.0.0.1:${port}` };
		await waitForReady(platform.baseUrl);
		return platform;
	})();
	return booting;
}

export async function shutdownPlatform(): Promise<void> {
	if (!booting) return;
	const { broker } = await booting;
	booting = undefined;
	try {
		await mongoose.connection.db?.dropDatabase();
	} catch {
		/* the database may already be gone */
	}
	await broker.stop();
}

export async function waitForReady(baseUrl: string, timeoutMs = 15_000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	let last = "";
	while (Date.now() < deadline) {
		try {
			const res = await fetch(`${baseUrl}/health/ready`);
			last = await res.text();
			if (res.status === 200) return;
		} catch (err) {
			last = String(err);
		}
		await new Promise(r => setTimeout(r, 50));
	}
	throw new Error(`platform not ready after ${timeoutMs} ms: ${last}`);
}

export interface HttpResult<T = any> {
	status: number;
	body: T;
	headers: Headers;
}

/** JSON over HTTP as a client would send it; `raw` sends a body string as is. */
export async function http<T = any>(
	method: string,
	path: string,
	opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<HttpResult<T>> {
	const { baseUrl } = await bootPlatform();
	const headers: Record<string, string> = { ...(opts.headers ?? {}) };
	if (opts.token) headers.authorization = `Bearer ${opts.token}`;
	let body: string | undefined;
	if (opts.raw !== undefined) {
		body = opts.raw;
		headers["content-type"] ??= "application/json";
	} else if (opts.body !== undefined) {
		body = JSON.stringify(opts.body);
		headers["content-type"] = "application/json";
	}
	const res = await fetch(baseUrl + path, { method, headers, body });
	const text = await res.text();
	let parsed: unknown = text;
	try {
		parsed = text ? JSON.parse(text) : undefined;
	} catch {
		/* not JSON: keep the text */
	}
	return { status: res.status, body: parsed as T, headers: res.headers };
}

export const unique = (prefix = "x") => `${prefix}${randomBytes(5).toString("hex")}`;

export { settings, systemMeta };
