/**
 * The params schemas of the billing actions, compiled by the broker's own validator (as
 * `validator: true` does before every handler): bad input is refused before any code runs.
 */
import { expect } from "chai";
import { ServiceBroker } from "moleculer";
import BillingAccountsService from "../../services/billing/billing-accounts.service.js";
import BillingRunsService from "../../services/billing/billing-runs.service.js";
import BillingUsageService from "../../services/billing/billing-usage.service.js";
import InvoicesService from "../../services/billing/invoices.service.js";
import PaymentsService from "../../services/billing/payments.service.js";
import StripeWebhooksService from "../../services/billing/stripe-webhooks.service.js";
import SubscriptionsService from "../../services/billing/subscriptions.service.js";

const broker = new ServiceBroker({ logger: false, validator: true });
const SERVICES: Record<string, any> = {
	billingAccounts: BillingAccountsService,
	billingRuns: BillingRunsService,
	billingUsage: BillingUsageService,
	invoices: InvoicesService,
	payments: PaymentsService,
	stripeWebhooks: StripeWebhooksService,
	subscriptions: SubscriptionsService,
};
const ID = "65a000000000000000000001";

function check(action: string, params: Record<string, unknown>): true | unknown[] {
	const [service, name] = action.split(".");
	const schema = SERVICES[service].actions[name].params;
	const result = (broker.validator as any).compile(schema)(params);
	return result === true ? true : (result as unknown[]);
}
const ok = (action: string, params: Record<string, unknown>) => expect(check(action, params), `${action} ${JSON.stringify(params)}`).to.equal(true);
const bad = (action: string, params: Record<string, unknown>) => expect(check(action, params), `${action} ${JSON.stringify(params)}`).to.be.an("array");

const ACCOUNT = { legalName: "Lycée", address: { line1: "1 rue", postalCode: "75001", city: "Paris" }, country: "FR" };

describe("params of the billing actions", () => {
	it("billing account: legal name, a strict address, a two-letter country, an email", () => {
		ok("billingAccounts.update", ACCOUNT);
		ok("billingAccounts.update", { ...ACCOUNT, vatNumber: "FR40303265045", billingEmail: "compta@school.test", autoDebit: true });
		bad("billingAccounts.update", { ...ACCOUNT, legalName: "" });
		bad("billingAccounts.update", { ...ACCOUNT, address: { line1: "1 rue", city: "Paris" } });
		bad("billingAccounts.update", { ...ACCOUNT, address: { ...ACCOUNT.address, extra: 1 } });
		bad("billingAccounts.update", { ...ACCOUNT, country: "FRA" });
		bad("billingAccounts.update", { ...ACCOUNT, billingEmail: "not-an-email" });
		bad("billingAccounts.update", { ...ACCOUNT, autoDebit: "yes" });
		bad("billingAccounts.update", { ...ACCOUNT, stripeCustomerId: "cus_x" });
	});

	it("invoices: statuses, periods and ids; credit notes with a request id, a reason and lines in cents", () => {
		ok("invoices.list", { status: "pending", period: "2026-11", page: 1 });
		bad("invoices.list", { status: "draft" });
		bad("invoices.list", { period: "2026-13" });
		bad("invoices.get", { id: "nope" });
		ok("invoices.creditNote", { id: ID, requestId: "req-12345678", reason: "Erreur", lines: [{ description: "Geste", amountCents: 100 }] });
		bad("invoices.creditNote", { id: ID, requestId: "short", reason: "Erreur", full: true });
		bad("invoices.creditNote", { id: ID, requestId: "req-12345678", reason: "Erreur", lines: [{ description: "Geste", amountCents: 1.5 }] });
		bad("invoices.creditNote", { id: ID, requestId: "req-12345678", reason: "Erreur", lines: [{ description: "Geste", amountCents: -100 }] });
		bad("invoices.creditNote", { id: ID, requestId: "req-12345678", reason: "Erreur", lines: [] });
		ok("invoices.export", { from: "2026-11-01", to: "2026-11-30" });
		bad("invoices.export", { from: "01/11/2026", to: "2026-11-30" });
		bad("invoices.finalizeDrafts", { ids: ["x"] });
	});

	it("payments: a transfer reference and whole cents", () => {
		ok("payments.recordTransfer", { id: ID, reference: "VIR-2026-11" });
		bad("payments.recordTransfer", { id: ID, reference: "VIR", amountCents: 0 });
		bad("payments.recordTransfer", { id: ID, reference: "VIR-1", amountCents: 10.5 });
		bad("payments.collect", { invoiceId: ID, attempt: 0 });
	});

	it("jobs, usage and the webhook: periods, metrics and strings", () => {
		ok("billingRuns.run", { period: "2026-11", dryRun: true });
		bad("billingRuns.run", { period: "11-2026" });
		bad("billingRuns.run", { period: "2026-11", schoolId: "x" });
		ok("billingUsage.record", { id: "ai:1", schoolId: ID, metric: "ai_tokens", quantity: 1200 });
		bad("billingUsage.record", { id: "ai:1", schoolId: ID, metric: "gpus", quantity: 1 });
		bad("billingUsage.record", { id: "ai:1", schoolId: ID, metric: "ai_tokens", quantity: -1 });
		bad("stripeWebhooks.receive", { payload: 12, signature: "t=1" });
		bad("subscriptions.changePlan", { id: ID, plan: "campus", modules: ["teleport"] });
		bad("subscriptions.changePlan", { id: ID, plan: "campus", modules: ["ai", "ai"] });
		bad("subscriptions.transition", { schoolId: ID, event: "explode" });
	});
});
