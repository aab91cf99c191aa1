/**
 * Typed settings, read from the environment once and validated at start.
 * A bad value stops the process with a message naming the variable.
 */
import { randomBytes } from "node:crypto";
import { DEV_ORIGINS, parseOriginList, type OriginList } from "../services/shared/allowed-origins.js";

export class ConfigError extends Error {
	constructor(public readonly variable: string, message: string) {
		super(`Invalid configuration: ${variable} ${message}`);
		this.name = "ConfigError";
	}
}

type Env = Record<string, string | undefined>;

function str(env: Env, name: string, fallback?: string): string | undefined {
	const raw = env[name];
	if (raw === undefined || raw.trim() === "") return fallback;
	return raw.trim();
}

function int(env: Env, name: string, fallback: number, min: number, max: number): number {
	const raw = str(env, name);
	if (raw === undefined) return fallback;
	if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer, got "${raw}"`);
	const value = Number(raw);
	if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
	return value;
}

function url(env: Env, name: string, protocols: string[]): string | undefined {
	const raw = str(env, name);
	if (raw === undefined) return undefined;
	let parsed: URL;
	try {
		parsed = new URL(raw);
	} catch {
		throw new ConfigError(name, `must be a URL (${protocols.join(" or ")}), got "${raw}"`);
	}
	if (!protocols.includes(parsed.protocol)) {
		throw new ConfigError(name, `must use ${protocols.join(" or ")}, got "${parsed.protocol}"`);
	}
	return raw;
}

function list(env: Env, name: string): string[] | undefined {
	const raw = str(env, name);
	if (raw === undefined) return undefined;
	return raw.split(",").map(s => s.trim()).filter(Boolean);
}

function oneOf<T extends string>(env: Env, name: string, values: readonly T[], fallback: T): T {
	const raw = str(env, name);
	if (raw === undefined) return fallback;
	if (!values.includes(raw as T)) throw new ConfigError(name, `must be one of ${values.join(", ")}, got "${raw}"`);
	return raw as T;
}

/** A comma-separated list of origins (allowed-origins.ts); `none` for an explicitly empty list. */
function originList(env: Env, name: string, fallback: string[]): OriginList {
	const raw = list(env, name);
	const entries = raw === undefined ? fallback : raw.length === 1 && raw[0].toLowerCase() === "none" ? [] : raw;
	const parsed = parseOriginList(entries);
	if (typeof parsed === "string") throw new ConfigError(name, parsed);
	return parsed;
}

export const NODE_ENVS = ["development", "test", "production"] as const;
export const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace"] as const;
export const SWITCH = ["on", "off"] as const;

export interface Settings {
	nodeEnv: (typeof NODE_ENVS)[number];
	nodeId?: string;
	/** Brokers only see peers of the same namespace on a shared NATS. */
	namespace: string;
	logLevel: (typeof LOG_LEVELS)[number] | "none";
	port: number;
	realtimePort: number;
	/** host:port clients reach this realtime process at, when several share matchmaking (REDIS_URL). */
	realtimePublicAddress?: string;
	/**
	 * Whether the realtime server serves the Colyseus monitor under /monitor (platform admins only).
	 * It can inspect and dispose any room, so production serves it only when REALTIME_MONITOR=on.
	 */
	realtimeMonitor: boolean;
	/** Services this node runs; undefined means all of them. */
	services?: string[];
	mongoUrl?: string;
	dataDir: string;
	natsUrl?: string;
	redisUrl?: string;
	jwtSecret: string;
	accessTokenTtlSeconds: number;
	refreshTokenTtlDays: number;
	invitationTtlHours: number;
	resetTokenTtlMinutes: number;
	publicUrl: string;
	smtpUrl?: string;
	mailFrom: string;
	trustedProxies: string[];
	maxBodyBytes: number;
	loginMaxFailures: number;
	loginWindowSeconds: number;
	ipMaxFailures: number;
	defaultPlan: string;
	requestTimeoutMs: number;

	// --- HTTP hygiene (issue 9 §3, block sec1) ---
	/**
	 * Browser origins allowed cross-origin on both ports (CORS_ORIGINS). Outside production the default
	 * is local development servers (DEV_ORIGINS); in production nothing is allowed unless listed.
	 */
	corsOrigins: OriginList;
	/** Strict-Transport-Security max-age, sent only in production and only over TLS (HSTS_MAX_AGE_SECONDS); 0: never. */
	hstsMaxAgeSeconds: number;
}

export function loadSettings(env: Env = process.env): Settings {
	const nodeEnv = oneOf(env, "NODE_ENV", NODE_ENVS, "development");
	const jwtSecret = str(env, "JWT_SECRET");
	if (jwtSecret !== undefined && jwtSecret.length < 32) {
		throw new ConfigError("JWT_SECRET", "must be at least 32 characters");
	}
	if (jwtSecret === undefined && nodeEnv === "production") {
		throw new ConfigError("JWT_SECRET", "is required when NODE_ENV=production");
	}
	const accessTokenTtlSeconds = int(env, "ACCESS_TOKEN_TTL_SECONDS", 900, 30, 900);
	return {
		nodeEnv,
		nodeId: str(env, "NODE_ID"),
		namespace: str(env, "NAMESPACE", "lp")!,
		logLevel: oneOf(env, "LOG_LEVEL", [...LOG_LEVELS, "none"] as const, nodeEnv === "test" ? "none" : "info"),
		port: int(env, "PORT", 8080, 0, 65535),
		realtimePort: int(env, "REALTIME_PORT", 2567, 0, 65535),
		realtimePublicAddress: str(env, "REALTIME_PUBLIC_ADDRESS"),
		realtimeMonitor: oneOf(env, "REALTIME_MONITOR", SWITCH, nodeEnv === "production" ? "off" : "on") === "on",
		services: list(env, "SERVICES"),
		mongoUrl: url(env, "MONGO_URL", ["mongodb:", "mongodb+srv:"]),
		dataDir: str(env, "DATA_DIR", "./data")!,
		natsUrl: url(env, "NATS_URL", ["nats:", "tls:"]),
		redisUrl: url(env, "REDIS_URL", ["redis:", "rediss:"]),
		// Without a configured secret (development, tests) each process gets a random one:
		// tokens then do not survive a restart, which is the safe failure.
		jwtSecret: jwtSecret ?? randomBytes(32).toString("hex"),
		accessTokenTtlSeconds,
		refreshTokenTtlDays: int(env, "REFRESH_TOKEN_TTL_DAYS", 30, 1, 365),
		invitationTtlHours: int(env, "INVITATION_TTL_HOURS", 168, 1, 24 * 60),
		resetTokenTtlMinutes: int(env, "RESET_TOKEN_TTL_MINUTES", 60, 5, 24 * 60),
		publicUrl: url(env, "PUBLIC_URL", ["http:", "https:"]) ?? "http://localhost:8080",
		smtpUrl: url(env, "SMTP_URL", ["smtp:", "smtps:"]),
		mailFrom: str(env, "MAIL_FROM", "Learning Platform <no-reply@localhost>")!,
		trustedProxies: list(env, "TRUSTED_PROXIES") ?? [],
		maxBodyBytes: int(env, "MAX_BODY_BYTES", 1024 * 1024, 1024, 50 * 1024 * 1024),
		loginMaxFailures: int(env, "LOGIN_MAX_FAILURES", 5, 1, 1000),
		loginWindowSeconds: int(env, "LOGIN_WINDOW_SECONDS", 900, 1, 86400),
		ipMaxFailures: int(env, "LOGIN_IP_MAX_FAILURES", 50, 1, 100000),
		defaultPlan: str(env, "DEFAULT_PLAN", "trial")!,
		requestTimeoutMs: int(env, "REQUEST_TIMEOUT_MS", 10000, 100, 600000),

		// --- HTTP hygiene (issue 9 §3, block sec1) ---
		corsOrigins: originList(env, "CORS_ORIGINS", nodeEnv === "production" ? [] : [...DEV_ORIGINS]),
		hstsMaxAgeSeconds: int(env, "HSTS_MAX_AGE_SECONDS", 31_536_000, 0, 63_072_000),
	};
}

let cached: Settings | undefined;

/** The process-wide settings, loaded on first use. */
export function settings(): Settings {
	if (!cached) cached = loadSettings();
	return cached;
}

/** Tests and scripts that build brokers with other values replace the cache. */
export function overrideSettings(patch: Partial<Settings>): Settings {
	cached = { ...settings(), ...patch };
	return cached;
}
