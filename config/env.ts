/**
 * Typed settings, read from the environment once and validated at start.
 * A bad value stops the process with a message naming the variable.
 */
import { randomBytes } from "node:crypto";
import cron from "node-cron";
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
	// --- security: live identity and abuse limits (issue 9 §1-2; README "Security") ---
	/** How long an edge node trusts what it last read of an account or school (the events invalidate it sooner). */
	identityCacheSeconds: number;
	/** Failed logins of one account from all addresses together per window before 429 (distributed guessing). */
	loginAccountMaxFailures: number;
	loginAccountWindowSeconds: number;
	/** The longest a (account, address) pair stays blocked as its lockouts double. */
	loginMaxBlockSeconds: number;
	/** Requests that send mail, per window, per client address and per email. */
	requestLimitWindowSeconds: number;
	signupMaxPerAddress: number;
	signupMaxPerEmail: number;
	resetMaxPerAddress: number;
	resetMaxPerEmail: number;
	inviteMaxPerAddress: number;
	inviteMaxPerEmail: number;
	/** Unused password-reset links an account may hold; a new one beyond it retires the oldest. */
	resetMaxOutstanding: number;
	// --- HTTP hygiene (issue 9 §3, block sec1) ---
	/**
	 * Browser origins allowed cross-origin on both ports (CORS_ORIGINS). Outside production the default
	 * is local development servers (DEV_ORIGINS); in production nothing is allowed unless listed.
	 */
	corsOrigins: OriginList;
	/** Strict-Transport-Security max-age, sent only in production and only over TLS (HSTS_MAX_AGE_SECONDS); 0: never. */
	hstsMaxAgeSeconds: number;
	// ---- Web client (web/, served by the gateway at /; README "Web client")
	/**
	 * The ws(s):// URL browsers open live rooms at (behind a proxy or on another host). Unset: the page's
	 * own host name on the realtime node's port, ws or wss as the page is http or https.
	 */
	realtimePublicUrl?: string;
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
	// Block 6: billing (docs/BILLING.md)
	billing: BillingSettings;
	// Operations: logs, metrics, tracing, data rights and retention (issue 16, README "Operations")
	ops: OpsSettings;
}

/** Operations (issue 16): observability, data rights, retention periods. */
export interface OpsSettings {
	/** `json`: one JSON object per line with the request id (production default); `text`: short human lines. */
	logFormat: "json" | "text";
	/** Actions slower than this are logged at warn with their request id (0: never). */
	slowActionMs: number;
	/** Collect moleculer's and our metrics (GET /api/ops/metrics). */
	metrics: boolean;
	/** A static bearer secret a Prometheus scraper may present instead of a platform admin's token; unset: admins only. */
	metricsToken?: string;
	/** Where tracing spans go: off (default), console, or a Zipkin-compatible collector (Zipkin, Jaeger, Tempo, OTel collector). */
	tracingExporter: "off" | "console" | "zipkin";
	/** Base URL of the Zipkin v2 API (`/api/v2/spans` is appended). */
	tracingZipkinUrl: string;
	/** Share of requests traced, 0..1. */
	tracingSampleRate: number;
	/** Days between a school's closure request and the erasure of its data (it may export and cancel meanwhile). */
	schoolErasureGraceDays: number;
	/** Years invoices, credit notes and payments are kept after issue (Code de commerce L123-22: 10). */
	invoiceRetentionYears: number;
	/** Days audit entries are kept (security investigations). */
	auditRetentionDays: number;
	/** Days AI tutor exchanges are kept (teachers review them, flags included). */
	aiInteractionRetentionDays: number;
	/** Days in-app notifications are kept. */
	notificationRetentionDays: number;
	/** Days records of sent mail and push (recipient, subject) are kept. */
	deliveryRetentionDays: number;
	/** Years the register of erasure requests (who asked, when, what was done; no personal fields) is kept. */
	erasureRecordRetentionYears: number;
	/** node-cron schedule of the daily data-rights job (closures due, retention sweep), or null when off. */
	dataRightsCron: string | null;
}

/** Block 6: invoices, Stripe, dunning. */
export interface BillingSettings {
	/** Stripe secret key; unset: card payments, auto-debit and SetupIntents answer 503 naming it. */
	stripeSecretKey?: string;
	/** Signing secret of the Stripe webhook endpoint (`whsec_...`); unset: the webhook answers 503. */
	stripeWebhookSecret?: string;
	/** Where the Stripe client sends requests (stripe-mock in tests); unset: api.stripe.com. */
	stripeApiUrl?: string;
	/** node-cron schedule of the monthly invoice run, or null when switched off. */
	cron: string | null;
	/** node-cron schedule of dunning (payment retries, reminders, suspension), or null when off. */
	dunningCron: string | null;
	/** IANA zone in which periods (YYYY-MM), issue dates and the yearly numbering are reckoned. */
	timezone: string;
	/** Domestic (French) VAT rate, in basis points (2000 = 20 %). */
	vatRateBps: number;
	/** Overrides of the EU standard rates used for schools without a VAT number (country -> basis points). */
	vatCountryRates: Record<string, number>;
	/** Days between the issue date and the due date. */
	paymentTermsDays: number;
	/** Days after the first failed payment (or the due date) at which dunning acts; the last one suspends. */
	dunningDays: number[];
	/** The seller's legal identity, printed on every invoice. */
	seller: {
		name: string;
		address: string[];
		country: string;
		siret?: string;
		vatNumber?: string;
		legal?: string;
		email?: string;
		/** Bank details printed for schools paying by transfer ("IBAN ... BIC ..."). */
		bank?: string;
	};
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
		// --- security: live identity and abuse limits (issue 9 §1-2) ---
		identityCacheSeconds: int(env, "IDENTITY_CACHE_SECONDS", 5, 0, 60),
		loginAccountMaxFailures: int(env, "LOGIN_ACCOUNT_MAX_FAILURES", 100, 1, 100000),
		loginAccountWindowSeconds: int(env, "LOGIN_ACCOUNT_WINDOW_SECONDS", 3600, 1, 86400),
		loginMaxBlockSeconds: int(env, "LOGIN_MAX_BLOCK_SECONDS", 86400, 1, 7 * 86400),
		requestLimitWindowSeconds: int(env, "REQUEST_LIMIT_WINDOW_SECONDS", 3600, 1, 86400),
		signupMaxPerAddress: int(env, "SIGNUP_MAX_PER_ADDRESS", 10, 1, 1_000_000),
		signupMaxPerEmail: int(env, "SIGNUP_MAX_PER_EMAIL", 3, 1, 1000),
		resetMaxPerAddress: int(env, "RESET_MAX_PER_ADDRESS", 20, 1, 1_000_000),
		resetMaxPerEmail: int(env, "RESET_MAX_PER_EMAIL", 3, 1, 1000),
		inviteMaxPerAddress: int(env, "INVITE_MAX_PER_ADDRESS", 200, 1, 1_000_000),
		inviteMaxPerEmail: int(env, "INVITE_MAX_PER_EMAIL", 3, 1, 1000),
		resetMaxOutstanding: int(env, "RESET_MAX_OUTSTANDING", 3, 1, 20),
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
		// --- HTTP hygiene (issue 9 §3, block sec1) ---
		corsOrigins: originList(env, "CORS_ORIGINS", nodeEnv === "production" ? [] : [...DEV_ORIGINS]),
		hstsMaxAgeSeconds: int(env, "HSTS_MAX_AGE_SECONDS", 31_536_000, 0, 63_072_000),
		// Block 6: billing
		billing: loadBillingSettings(env, nodeEnv),
		...communicationSettings(env, nodeEnv),
		// Block 5, reporting
		reportingBatchSize: int(env, "REPORTING_BATCH_SIZE", 500, 1, 5000),
		reportingBatchLingerMs: int(env, "REPORTING_BATCH_LINGER_MS", 20, 0, 5000),
		reportingMaxInFlight: int(env, "REPORTING_MAX_IN_FLIGHT", 500, 1, 10000),
		reportingMinGroup: int(env, "REPORTING_MIN_GROUP", 10, 10, 1000),
		reportingPublicCacheSeconds: int(env, "REPORTING_PUBLIC_CACHE_SECONDS", 600, 0, 86400),
		...webClientSettings(env),
		// Operations (issue 16)
		ops: loadOpsSettings(env, nodeEnv),
	};
}

/** Operations (issue 16): see OpsSettings and README "Operations". */
function loadOpsSettings(env: Env, nodeEnv: Settings["nodeEnv"]): OpsSettings {
	const metricsToken = str(env, "METRICS_TOKEN");
	if (metricsToken !== undefined && metricsToken.length < 32) throw new ConfigError("METRICS_TOKEN", "must be at least 32 characters");
	const tracingExporter = oneOf(env, "TRACING_EXPORTER", ["off", "console", "zipkin"] as const, "off");
	return {
		logFormat: oneOf(env, "LOG_FORMAT", ["json", "text"] as const, nodeEnv === "production" ? "json" : "text"),
		slowActionMs: int(env, "SLOW_ACTION_MS", 1000, 0, 600_000),
		metrics: oneOf(env, "METRICS", SWITCH, "on") === "on",
		metricsToken,
		tracingExporter,
		tracingZipkinUrl: url(env, "TRACING_ZIPKIN_URL", ["http:", "https:"]) ?? "http://127.0.0.1:9411",
		tracingSampleRate: fraction(env, "TRACING_SAMPLE_RATE", 1),
		schoolErasureGraceDays: int(env, "SCHOOL_ERASURE_GRACE_DAYS", 30, 0, 365),
		invoiceRetentionYears: int(env, "RETENTION_INVOICE_YEARS", 10, 1, 30),
		auditRetentionDays: int(env, "RETENTION_AUDIT_DAYS", 365, 1, 3650),
		aiInteractionRetentionDays: int(env, "RETENTION_AI_INTERACTION_DAYS", 365, 1, 3650),
		notificationRetentionDays: int(env, "RETENTION_NOTIFICATION_DAYS", 365, 1, 3650),
		deliveryRetentionDays: int(env, "RETENTION_DELIVERY_DAYS", 90, 1, 3650),
		erasureRecordRetentionYears: int(env, "RETENTION_ERASURE_RECORD_YEARS", 5, 1, 30),
		dataRightsCron: cronSetting(env, "DATA_RIGHTS_CRON", nodeEnv === "test" ? "off" : "30 3 * * *"),
	};
}

/** Web client (see the Settings fields above and README "Web client"). */
function webClientSettings(env: Env) {
	return { realtimePublicUrl: url(env, "REALTIME_PUBLIC_URL", ["ws:", "wss:"])?.replace(/\/+$/, "") };
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
	if (tickCron !== "off" && !cron.validate(tickCron)) {
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

/** A node-cron expression, or "off" (null). Tests default to off: a run on the 1st must not land mid-suite. */
function cronSetting(env: Env, name: string, fallback: string): string | null {
	const raw = str(env, name, fallback)!;
	if (raw === "off") return null;
	if (!cron.validate(raw)) throw new ConfigError(name, `must be a cron expression (e.g. "0 2 1 * *") or "off", got "${raw}"`);
	return raw;
}

/** A VAT rate in percent ("20", "5.5") as basis points. */
function vatRate(name: string, raw: string): number {
	if (!/^\d{1,2}(\.\d{1,2})?$/.test(raw)) throw new ConfigError(name, `must be a rate in percent such as 20 or 5.5, got "${raw}"`);
	return Math.round(Number(raw) * 100);
}

function loadBillingSettings(env: Env, nodeEnv: Settings["nodeEnv"]): BillingSettings {
	const timezone = str(env, "BILLING_TIMEZONE", "Europe/Paris")!;
	try {
		new Intl.DateTimeFormat("en-US", { timeZone: timezone });
	} catch {
		throw new ConfigError("BILLING_TIMEZONE", `must be an IANA time zone such as Europe/Paris, got "${timezone}"`);
	}
	const vatCountryRates: Record<string, number> = {};
	for (const pair of list(env, "BILLING_VAT_COUNTRY_RATES") ?? []) {
		const match = /^([A-Z]{2})=(.+)$/.exec(pair);
		if (!match) throw new ConfigError("BILLING_VAT_COUNTRY_RATES", `must be COUNTRY=RATE pairs such as "DE=19,IT=22", got "${pair}"`);
		vatCountryRates[match[1]] = vatRate("BILLING_VAT_COUNTRY_RATES", match[2]);
	}
	const dunningDays = (list(env, "BILLING_DUNNING_DAYS") ?? ["3", "7", "14"]).map(d => {
		if (!/^\d{1,3}$/.test(d) || Number(d) < 1) throw new ConfigError("BILLING_DUNNING_DAYS", `must be increasing day counts such as "3,7,14", got "${d}"`);
		return Number(d);
	});
	if (dunningDays.some((d, i) => i > 0 && d <= dunningDays[i - 1])) {
		throw new ConfigError("BILLING_DUNNING_DAYS", `must be increasing day counts such as "3,7,14", got "${dunningDays.join(",")}"`);
	}
	const sellerCountry = str(env, "BILLING_SELLER_COUNTRY", "FR")!;
	if (!/^[A-Z]{2}$/.test(sellerCountry)) throw new ConfigError("BILLING_SELLER_COUNTRY", `must be an ISO 3166 code such as FR, got "${sellerCountry}"`);
	const testing = nodeEnv === "test";
	return {
		stripeSecretKey: str(env, "STRIPE_SECRET_KEY"),
		stripeWebhookSecret: str(env, "STRIPE_WEBHOOK_SECRET"),
		stripeApiUrl: url(env, "STRIPE_API_URL", ["http:", "https:"]),
		cron: cronSetting(env, "BILLING_CRON", testing ? "off" : "0 2 1 * *"),
		dunningCron: cronSetting(env, "BILLING_DUNNING_CRON", testing ? "off" : "15 * * * *"),
		timezone,
		vatRateBps: vatRate("BILLING_VAT_RATE", str(env, "BILLING_VAT_RATE", "20")!),
		vatCountryRates,
		paymentTermsDays: int(env, "BILLING_PAYMENT_TERMS_DAYS", 30, 0, 60),
		dunningDays,
		seller: {
			name: str(env, "BILLING_SELLER_NAME", "")!,
			address: (str(env, "BILLING_SELLER_ADDRESS", "") ?? "").split("|").map(l => l.trim()).filter(Boolean),
			country: sellerCountry,
			siret: str(env, "BILLING_SELLER_SIRET"),
			vatNumber: str(env, "BILLING_SELLER_VAT_NUMBER"),
			legal: str(env, "BILLING_SELLER_LEGAL"),
			email: str(env, "BILLING_SELLER_EMAIL"),
			bank: str(env, "BILLING_SELLER_BANK"),
		},
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
