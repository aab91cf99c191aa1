/**
 * `stripe webhooks`: POST /api/billing/webhooks/stripe checks Stripe's signature on the raw body with the
 * `stripe` package (a bad one answers 400 and changes nothing), applies each event once by its id, and
 * copes with events out of order (a success after a failure; a stale failure after a success).
 */
import { expect } from "chai";
import Stripe from "stripe";
import type { Account } from "../support/accounts.js";
import {
	billingEventProbe, bootPlatform, http, invoicedSchool, invoiceOf, ok, paymentIntent, postWebhook, setBilling, signedEvent, stripeMockSuite, unique,
	WEBHOOK_SECRET,
} from "../support/billing.js";
import { describeChanges, diff, settledSnapshot } from "../support/db-snapshot.js";

const BILLING_COLLECTIONS = ["invoices", "payments", "stripeevents", "billingaccounts", "subscriptions", "creditnotes", "notifications"];
const billingOnly = (name: string) => (BILLING_COLLECTIONS.includes(name) ? {} : null);

describe("stripe webhooks", function () {
	this.timeout(120_000);
	let root: Account;
	stripeMockSuite(admin => (root = admin));

	it("answers 400 to a bad signature and changes nothing", async () => {
		const school = await invoicedSchool(root, "2035-01", { autoDebit: true });
		const pi = paymentIntent(school.paymentIntentId!, "succeeded", school.invoice.totalCents);
		const good = signedEvent("payment_intent.succeeded", pi);
		const before = await settledSnapshot(billingOnly);
		const old = Math.floor(Date.now() / 1000) - 3600;
		const cases: [string, string, string | undefined][] = [
			["another secret", good.payload, signedEvent("payment_intent.succeeded", pi, { secret: "whsec_someone_else" }).header],
			["a body changed after signing", good.payload.replace(`"amount":${school.invoice.totalCents}`, `"amount":1`), good.header],
			["a re-serialised body", JSON.stringify(JSON.parse(good.payload), null, 2), good.header],
			["no signature header", good.payload, undefined],
			["a garbled header", good.payload, "t=abc,v1=nothing"],
			["a signature an hour old", good.payload, Stripe.webhooks.generateTestHeaderString({ payload: good.payload, secret: WEBHOOK_SECRET, timestamp: old })],
			["an empty body", "", good.header],
		];
		for (const [name, payload, header] of cases) {
			const res = await postWebhook(payload, header);
			expect(res.status, `${name}: ${JSON.stringify(res.body)}`).to.equal(400);
			expect(res.body.error.type, name).to.equal("INVALID_SIGNATURE");
		}
		expect(describeChanges(diff(before, await settledSnapshot(billingOnly)))).to.deep.equal([]);
		expect((await invoiceOf(school.admin, "2035-01")).status).to.equal("pending");
		// The genuine one, byte for byte, goes through.
		expect((await postWebhook(good.payload, good.header)).status).to.equal(200);
		expect((await invoiceOf(school.admin, "2035-01")).status).to.equal("paid");
	});

	it("checks the exact bytes Stripe sent, whatever their spacing, characters or content type", async () => {
		const school = await invoicedSchool(root, "2035-02", { autoDebit: true });
		const pi = paymentIntent(school.paymentIntentId!, "succeeded", school.invoice.totalCents, { description: "Facture réglée — ✓ 🎓" });
		const { header, payload } = (() => {
			const event = { id: unique("evt_"), object: "event", type: "payment_intent.succeeded", created: Math.floor(Date.now() / 1000), data: { object: pi } };
			const text = JSON.stringify(event, null, 3) + "\n";
			return { payload: text, header: Stripe.webhooks.generateTestHeaderString({ payload: text, secret: WEBHOOK_SECRET }) };
		})();
		const res = await postWebhook(payload, header, "application/json; charset=utf-8");
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
		expect((await invoiceOf(school.admin, "2035-02")).status).to.equal("paid");
	});

	it("applies an event once, however often it is delivered", async () => {
		const school = await invoicedSchool(root, "2035-03", { autoDebit: true });
		const probe = await billingEventProbe(["billing.invoice.paid"]);
		try {
			const event = signedEvent("payment_intent.succeeded", paymentIntent(school.paymentIntentId!, "succeeded", school.invoice.totalCents));
			const answers = await Promise.all([1, 2, 3].map(() => postWebhook(event.payload, event.header)));
			expect(answers.map(a => a.status)).to.deep.equal([200, 200, 200]);
			const again = await postWebhook(event.payload, event.header);
			expect(again.body).to.include({ received: true, duplicate: true });
			const invoice = await invoiceOf(school.admin, "2035-03");
			expect(invoice).to.include({ status: "paid", amountPaidCents: school.invoice.totalCents, amountDueCents: 0 });
			// The same success as a new event (Stripe's retry with another id) is not counted twice either.
			const twin = signedEvent("payment_intent.succeeded", paymentIntent(school.paymentIntentId!, "succeeded", school.invoice.totalCents));
			expect((await postWebhook(twin.payload, twin.header)).status).to.equal(200);
			expect((await invoiceOf(school.admin, "2035-03")).amountPaidCents).to.equal(school.invoice.totalCents);
			await new Promise(r => setTimeout(r, 300));
			expect(probe.messages.filter(m => m.message.invoiceId === invoice.id)).to.have.length(1);
		} finally {
			await probe.stop();
		}
	});

	it("takes a success that comes after a failure, and ignores a failure older than a success", async () => {
		const t = Math.floor(Date.now() / 1000);
		const a = await invoicedSchool(root, "2035-04", { autoDebit: true });
		const failed = signedEvent("payment_intent.payment_failed", paymentIntent(a.paymentIntentId!, "requires_payment_method", a.invoice.totalCents, { last_payment_error: { code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds." } }), { created: t });
		expect((await postWebhook(failed.payload, failed.header)).status).to.equal(200);
		const afterFailure = await invoiceOf(a.admin, "2035-04");
		expect(afterFailure).to.include({ status: "payment_failed" });
		expect(afterFailure.payments[0]).to.include({ status: "failed", failureCode: "insufficient_funds", failureReason: "Your card has insufficient funds." });
		const succeeded = signedEvent("payment_intent.succeeded", paymentIntent(a.paymentIntentId!, "succeeded", a.invoice.totalCents), { created: t + 60 });
		expect((await postWebhook(succeeded.payload, succeeded.header)).status).to.equal(200);
		expect(await invoiceOf(a.admin, "2035-04")).to.include({ status: "paid", amountDueCents: 0 });

		// The other way round: the success is delivered first, the (older) failure afterwards.
		const b = await invoicedSchool(root, "2035-05", { autoDebit: true });
		const win = signedEvent("payment_intent.succeeded", paymentIntent(b.paymentIntentId!, "succeeded", b.invoice.totalCents), { created: t + 60 });
		const stale = signedEvent("payment_intent.payment_failed", paymentIntent(b.paymentIntentId!, "requires_payment_method", b.invoice.totalCents, { last_payment_error: { code: "card_declined", message: "Declined" } }), { created: t });
		expect((await postWebhook(win.payload, win.header)).status).to.equal(200);
		const late = await postWebhook(stale.payload, stale.header);
		expect(late.status).to.equal(200);
		expect(late.body.outcome).to.match(/ignored/);
		const paid = await invoiceOf(b.admin, "2035-05");
		expect(paid).to.include({ status: "paid" });
		expect(paid.payments[0].status).to.equal("succeeded");
		const subscription = await ok(http("GET", "/api/subscription", { token: b.admin.token }));
		expect(subscription.lifecycle).to.equal("active");
	});

	it("accepts and records events it does not act on", async () => {
		const unknownType = signedEvent("customer.created", { id: "cus_x", object: "customer" });
		const res = await postWebhook(unknownType.payload, unknownType.header);
		expect(res.status).to.equal(200);
		expect(res.body.outcome).to.match(/not handled/);
		const unknownIntent = signedEvent("payment_intent.succeeded", paymentIntent("pi_not_ours", "succeeded", 100));
		expect((await postWebhook(unknownIntent.payload, unknownIntent.header)).body.outcome).to.match(/unknown PaymentIntent/);
		// A card saved for a customer that is no school's is not attached anywhere.
		const stray = signedEvent("setup_intent.succeeded", { id: "seti_x", object: "setup_intent", customer: "cus_nobody", payment_method: "pm_card_visa", metadata: {} });
		expect((await postWebhook(stray.payload, stray.header)).body.outcome).to.match(/unknown customer/);
	});

	it("turns automatic debit off when the card is removed at Stripe", async () => {
		const school = await invoicedSchool(root, "2035-06", { autoDebit: true });
		const account = await ok(http("GET", "/api/billing/account", { token: school.admin.token }));
		expect(account).to.include({ autoDebit: true, hasPaymentMethod: true });
		const detached = signedEvent("payment_method.detached", { id: "pm_card_visa", object: "payment_method", customer: null });
		// Every test school here saved pm_card_visa (stripe-mock's canned card): each loses it.
		expect((await postWebhook(detached.payload, detached.header)).status).to.equal(200);
		const after = await ok(http("GET", "/api/billing/account", { token: school.admin.token }));
		expect(after).to.include({ autoDebit: false, hasPaymentMethod: false, paymentMethod: null });
	});

	it("answers 503 naming the setting when no webhook secret is configured", async () => {
		const previous = setBilling({ stripeWebhookSecret: undefined });
		try {
			const event = signedEvent("customer.created", { id: "cus_y", object: "customer" });
			const res = await postWebhook(event.payload, event.header);
			expect(res.status).to.equal(503);
			expect(res.body.error.message).to.contain("STRIPE_WEBHOOK_SECRET");
		} finally {
			setBilling({ stripeWebhookSecret: previous.stripeWebhookSecret });
		}
	});

	it("is reachable only by POST, and only at its path", async () => {
		const { baseUrl } = await bootPlatform();
		expect((await fetch(`${baseUrl}/api/billing/webhooks/stripe`)).status).to.equal(404);
		const other = await fetch(`${baseUrl}/api/billing/webhooks/other`, { method: "POST", body: "{}" });
		expect(other.status).to.equal(404);
	});
});
