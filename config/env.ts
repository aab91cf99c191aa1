/**
 * Typed settings, read from the environment once and validated at start.
 * A bad value stops the process with a message naming the variable.
 */
import { randomBytes } from "node:crypto";
import { validate as validateCron } from "node-cron";

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

function fraction(env: Env, name: string, fallback: number): number {
	const raw = str(env, name);
	if (raw === undefined) return fallback;
	const value = Number(raw);
	if (!/^\d*\.?\d+$/.test(raw) || value < 0 || value > 1) throw new ConfigError(name, `must be a number from 0 to 1, got "${raw}"`);
	return value;
}

/** A model id as a folder name under MODELS_DIR: letters, digits, `._-`, one optional `owner/` part. */
function modelId(env: Env, name: string, fallback: string): string {
	const raw = str(env, name, fallback)!;
	if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/.test(raw) || raw.split("/").some(p => p === ".." || p === ".")) {
		throw new ConfigError(name, `must be a model id like "multilingual-e5-small" or "owner/name", got "${raw}"`);
	}
	return raw;
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

	// ---- Block 4, communication: dev mail, LiveKit visio, rendez-vous, reminders, Web Push (docs/COMMUNICATION.md)
	/** Keep a copy of every sent mail in memory for GET /api/dev/mails (platform admins); never in production. */
	devMailOutbox: boolean;
	/** LiveKit server API (http/https), its key and secret; unset: visio tokens and rooms answer 503. */
	livekitUrl?: string;
	livekitApiKey?: string;
	livekitApiSecret?: string;
	/** The ws/wss URL browsers connect to (defaults to LIVEKIT_URL with ws/wss). */
	livekitPublicUrl?: string;
	/** Minutes before its start from which a visio hands out join tokens. */
	visioJoinEarlyMinutes: number;
	/** LiveKit room settings: most participants, seconds an empty room is kept. */
	visioMaxParticipants: number;
	visioEmptyTimeoutSeconds: number;
	/** Least notice (minutes) for a proposed rendez-vous slot, and the cut-off before its start after which it can no longer be cancelled or moved. */
	rendezvousMinNoticeMinutes: number;
	rendezvousCutoffMinutes: number;
	/** node-cron expression of the reminder / room-closing / digest tick, or "off" on nodes that must not run it. */
	communicationTickCron: string;
	/** Reminder offsets (minutes before the event) for users who chose none. */
	reminderDefaultOffsets: number[];
	/** VAPID keys (base64url) and subject for Web Push; unset outside production: a key pair is generated per process. */
	vapidPublicKey?: string;
	vapidPrivateKey?: string;
	vapidSubject: string;
	// Block 3, AI (services/ai, docs/AI.md)
	/** Folder holding local models: `<modelsDir>/<embeddingModel>/` (npm run models:install). */
	modelsDir: string;
	embeddingModel: string;
	/** An OpenAI-compatible endpoint (OpenAI, Ollama, vLLM); with neither URL nor key the tutor is extractive. */
	openaiBaseUrl?: string;
	openaiApiKey?: string;
	openaiModel: string;
	llmTimeoutMs: number;
	chunkTokens: number;
	chunkOverlapTokens: number;
	retrievalTopK: number;
	minCosine: number;
	minTermCoverage: number;
	/** Questions one student may ask the tutor per minute (a runaway client must not spend the school's quota). */
	askPerMinute: number;
	// Block 5, reporting (services/reporting, docs/REPORTING.md)
	/** Feed messages written to the projections in one batch, and how long a batch waits to fill. */
	reportingBatchSize: number;
	reportingBatchLingerMs: number;
	/** Messages of one channel a node takes at once (JetStream max_ack_pending): what batches can fill from. */
	reportingMaxInFlight: number;
	/** Smallest group of people a public figure may describe (k-anonymity); never below 10. */
	reportingMinGroup: number;
	/** How long public statistics are cached (server and HTTP). */
	reportingPublicCacheSeconds: number;
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
		// Block 3, AI
		modelsDir: str(env, "MODELS_DIR", `${str(env, "LP_TOOLS_DIR", `${str(env, "XDG_CACHE_HOME", `${env.HOME ?? "."}/.cache`)}/learning-platform`)}/models`)!,
		embeddingModel: modelId(env, "EMBEDDING_MODEL", "multilingual-e5-small"),
		openaiBaseUrl: url(env, "OPENAI_BASE_URL", ["http:", "https:"]),
		openaiApiKey: str(env, "OPENAI_API_KEY"),
		openaiModel: str(env, "OPENAI_MODEL", "gpt-4o-mini")!,
		llmTimeoutMs: int(env, "AI_LLM_TIMEOUT_MS", 60000, 1000, 600000),
		chunkTokens: int(env, "AI_CHUNK_TOKENS", 200, 32, 500),
		chunkOverlapTokens: int(env, "AI_CHUNK_OVERLAP_TOKENS", 40, 0, 200),
		retrievalTopK: int(env, "AI_TOP_K", 5, 1, 20),
		minCosine: fraction(env, "AI_MIN_COSINE", 0.81),
		minTermCoverage: fraction(env, "AI_MIN_TERM_COVERAGE", 0.6),
		askPerMinute: int(env, "AI_ASK_PER_MINUTE", 10, 1, 1000),
		...communicationSettings(env, nodeEnv),
		// Block 5, reporting
		reportingBatchSize: int(env, "REPORTING_BATCH_SIZE", 500, 1, 5000),
		reportingBatchLingerMs: int(env, "REPORTING_BATCH_LINGER_MS", 20, 0, 5000),
		reportingMaxInFlight: int(env, "REPORTING_MAX_IN_FLIGHT", 500, 1, 10000),
		reportingMinGroup: int(env, "REPORTING_MIN_GROUP", 10, 10, 1000),
		reportingPublicCacheSeconds: int(env, "REPORTING_PUBLIC_CACHE_SECONDS", 600, 0, 86400),
	};
}

/** Block 4, communication (see the Settings fields above and docs/COMMUNICATION.md). */
function communicationSettings(env: Env, nodeEnv: Settings["nodeEnv"]) {
	const devMailOutbox = oneOf(env, "DEV_MAIL_OUTBOX", SWITCH, "off") === "on";
	if (devMailOutbox && nodeEnv === "production") {
		throw new ConfigError("DEV_MAIL_OUTBOX", "must not be on when NODE_ENV=production (it would hand out every mailed token)");
	}
	const livekitUrl = url(env, "LIVEKIT_URL", ["http:", "https:", "ws:", "wss:"]);
	const livekitApiKey = str(env, "LIVEKIT_API_KEY");
	const livekitApiSecret = str(env, "LIVEKIT_API_SECRET");
	if (livekitUrl && (!livekitApiKey || !livekitApiSecret)) {
		throw new ConfigError(livekitApiKey ? "LIVEKIT_API_SECRET" : "LIVEKIT_API_KEY", "is required when LIVEKIT_URL is set");
	}
	const tickCron = str(env, "COMMUNICATION_TICK_CRON", "*/20 * * * * *")!;
	if (tickCron !== "off" && !validateCron(tickCron)) {
		throw new ConfigError("COMMUNICATION_TICK_CRON", `must be a node-cron expression (or "off"), got "${tickCron}"`);
	}
	const offsets = list(env, "REMINDER_DEFAULT_OFFSETS_MINUTES") ?? ["1440", "15"];
	const reminderDefaultOffsets = offsets.map(raw => {
		if (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 10080) {
			throw new ConfigError("REMINDER_DEFAULT_OFFSETS_MINUTES", `must list minutes between 1 and 10080, got "${raw}"`);
		}
		return Number(raw);
	});
	if (reminderDefaultOffsets.length > 5) throw new ConfigError("REMINDER_DEFAULT_OFFSETS_MINUTES", "may list at most 5 offsets");
	const vapidPublicKey = str(env, "VAPID_PUBLIC_KEY");
	const vapidPrivateKey = str(env, "VAPID_PRIVATE_KEY");
	if (!!vapidPublicKey !== !!vapidPrivateKey) {
		throw new ConfigError(vapidPublicKey ? "VAPID_PRIVATE_KEY" : "VAPID_PUBLIC_KEY", "is required with the other VAPID key");
	}
	for (const [name, value] of [["VAPID_PUBLIC_KEY", vapidPublicKey], ["VAPID_PRIVATE_KEY", vapidPrivateKey]] as const) {
		if (value !== undefined && !/^[A-Za-z0-9_-]+$/.test(value)) throw new ConfigError(name, "must be base64url (as `npx web-push generate-vapid-keys` prints)");
	}
	const vapidSubject = str(env, "VAPID_SUBJECT", "mailto:no-reply@localhost")!;
	if (!/^(mailto:|https:\/\/)/.test(vapidSubject)) throw new ConfigError("VAPID_SUBJECT", `must be a mailto: or https: URL, got "${vapidSubject}"`);
	return {
		devMailOutbox,
		livekitUrl,
		livekitApiKey,
		livekitApiSecret,
		livekitPublicUrl: url(env, "LIVEKIT_PUBLIC_URL", ["ws:", "wss:"]),
		visioJoinEarlyMinutes: int(env, "VISIO_JOIN_EARLY_MINUTES", 10, 0, 120),
		visioMaxParticipants: int(env, "VISIO_MAX_PARTICIPANTS", 50, 2, 500),
		visioEmptyTimeoutSeconds: int(env, "VISIO_EMPTY_TIMEOUT_SECONDS", 600, 10, 86400),
		rendezvousMinNoticeMinutes: int(env, "RENDEZVOUS_MIN_NOTICE_MINUTES", 60, 0, 10080),
		rendezvousCutoffMinutes: int(env, "RENDEZVOUS_CUTOFF_MINUTES", 120, 0, 10080),
		communicationTickCron: tickCron,
		reminderDefaultOffsets,
		vapidPublicKey,
		vapidPrivateKey,
		vapidSubject,
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
