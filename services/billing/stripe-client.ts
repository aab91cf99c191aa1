/**
 * The Stripe client, built from the settings: STRIPE_SECRET_KEY, and STRIPE_API_URL to reach another
 * API server (stripe-mock in tests and CI). Without a key the payment features answer 503 naming it.
 */
import Stripe from "stripe";
import type { BillingSettings } from "../../config/env.js";
import { ClientError, ERR } from "../shared/errors.js";

const clients = new Map<string, Stripe>();

export function stripeOptions(apiUrl?: string): Stripe.StripeConfig {
	const base: Stripe.StripeConfig = { maxNetworkRetries: 2, timeout: 20_000, appInfo: { name: "learning-platform-billing" } };
	if (!apiUrl) return base;
	const url = new URL(apiUrl);
	const protocol = url.protocol === "http:" ? "http" : "https";
	return { ...base, host: url.hostname, port: Number(url.port || (protocol === "http" ? 80 : 443)), protocol };
}

export function stripeClient(cfg: BillingSettings): Stripe {
	if (!cfg.stripeSecretKey) {
		throw new ClientError("Card payments are not configured on this platform (STRIPE_SECRET_KEY is not set)", 503, ERR.PAYMENTS_UNAVAILABLE);
	}
	const key = `${cfg.stripeSecretKey}@${cfg.stripeApiUrl ?? "stripe"}`;
	let client = clients.get(key);
	if (!client) {
		client = new Stripe(cfg.stripeSecretKey, stripeOptions(cfg.stripeApiUrl));
		clients.set(key, client);
	}
	return client;
}

/** Signature checks need no key or network: a client without credentials does them. */
export const stripeWebhooks = new Stripe("sk_offline_signature_checks_only").webhooks;

/**
 * A Stripe call made for a client request: when Stripe cannot be reached or refuses our credentials, the
 * client gets 503 (try again later), not an internal error. Card declines are the caller's to read.
 */
export async function callStripe<T>(fn: () => Promise<T>): Promise<T> {
	try {
		return await fn();
	} catch (err: any) {
		if (err?.type === "StripeCardError") throw err;
		if (typeof err?.type === "string" && err.type.startsWith("Stripe")) {
			throw new ClientError("The payment provider did not answer as expected, try again later", 503, ERR.PAYMENTS_UNAVAILABLE, { retryAfter: 30, provider: err.type });
		}
		throw err;
	}
}
