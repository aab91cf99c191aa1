/**
 * Typed settings, read from the environment once and validated at start.
 * A bad value stops the process with a message naming the variable.
 */
import { randomBytes } from "node:crypto";
import cron from "node-cron";

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
	// Block 6: billing (docs/BILLING.md)
	billing: BillingSettings;
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
		// Block 6: billing
		billing: loadBillingSettings(env, nodeEnv),
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
