/**
 * What a PaymentIntent (as Stripe answered or as a webhook event carries it) means for an invoice.
 * Pure, so the synchronous answer of an off-session charge and the webhook that follows it are read by
 * the same rules.
 */
export type Outcome =
	| { kind: "succeeded"; amountReceivedCents: number }
	| { kind: "requires_action" }
	| { kind: "processing" }
	| { kind: "failed"; code: string; reason: string }
	| { kind: "canceled" };

export interface PaymentIntentLike {
	id: string;
	status: string;
	amount?: number;
	amount_received?: number;
	last_payment_error?: { code?: string; decline_code?: string; message?: string } | null;
}

/** A PaymentIntent's status as an outcome. `requires_payment_method` is a failure only when Stripe says why. */
export function outcomeOf(pi: PaymentIntentLike): Outcome {
	switch (pi.status) {
		case "succeeded":
			return { kind: "succeeded", amountReceivedCents: pi.amount_received ?? pi.amount ?? 0 };
		case "requires_action":
		case "requires_confirmation":
			return { kind: "requires_action" };
		case "processing":
			return { kind: "processing" };
		case "canceled":
			return { kind: "canceled" };
		case "requires_payment_method": {
			const err = pi.last_payment_error;
			if (err && (err.decline_code || err.code) && err.message) return failed(err);
			// Created and confirmed, no verdict yet (stripe-mock's canned answer): the webhook will say.
			return { kind: "processing" };
		}
		default:
			return { kind: "processing" };
	}
}

function failed(err: { code?: string; decline_code?: string; message?: string }): Outcome {
	const code = err.decline_code ?? err.code ?? "payment_failed";
	if (code === "authentication_required") return { kind: "requires_action" };
	return { kind: "failed", code, reason: err.message ?? "The payment was declined" };
}

/** A Stripe error thrown by an off-session confirmation: a card decline or 3-D Secure, else null (retry later). */
export function outcomeOfError(err: unknown): Outcome | null {
	const e = err as { type?: string; code?: string; decline_code?: string; message?: string; raw?: any } | null;
	if (!e || e.type !== "StripeCardError") return null;
	return failed({ code: e.code, decline_code: e.decline_code ?? e.raw?.decline_code, message: e.message });
}

/** Which outcome may replace which: a success is final; otherwise the newer event wins. */
export function mayReplace(current: string, next: Outcome["kind"], newer: boolean): boolean {
	if (current === "succeeded") return false;
	if (next === "succeeded") return true;
	return newer;
}
