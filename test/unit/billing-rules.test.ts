/**
 * The billing block's pure rules: dunning calendar, subscription lifecycle, what a PaymentIntent means,
 * credit-note amounts, MRR and add-on modules in entitlements.
 */
import { expect } from "chai";
import { PLANS } from "../../config/plans.js";
import { computeCredit, CreditTooHigh, type CreditableInvoice } from "../../services/billing/credit-notes.js";
import { afterStep, dayOfDunning, isLastStep, startDunning } from "../../services/billing/dunning.js";
import { checkEntitlement, enabledModules } from "../../services/billing/entitlements.js";
import { accessStatus, fromStates, grantsAccess, lifecycleOf, nextLifecycle } from "../../services/billing/lifecycle.js";
import { monthlyAmount, mrrOf } from "../../services/billing/mrr.js";
import { mayReplace, outcomeOf, outcomeOfError } from "../../services/billing/payment-outcome.js";

const DAYS = [3, 7, 14];
const day = (iso: string) => new Date(iso);

describe("billing rules", () => {
	it("dunning: steps at +3, +7 and +14 days from the first failure; the last one is the last", () => {
		const start = startDunning(day("2026-12-01T02:00:00Z"), DAYS, 1);
		expect(start).to.deep.include({ step: 0, attempts: 1 });
		expect(start.nextAt!.toISOString()).to.equal("2026-12-04T02:00:00.000Z");
		const one = afterStep(start, DAYS);
		expect(one.step).to.equal(1);
		expect(one.nextAt!.toISOString()).to.equal("2026-12-08T02:00:00.000Z");
		const two = afterStep(one, DAYS);
		expect(two.nextAt!.toISOString()).to.equal("2026-12-15T02:00:00.000Z");
		const three = afterStep(two, DAYS);
		expect(three).to.deep.include({ step: 3, nextAt: null });
		expect([1, 2, 3].map(s => isLastStep(s, DAYS))).to.deep.equal([false, false, true]);
		expect(dayOfDunning(start, day("2026-12-08T02:00:00Z"))).to.equal(7);
	});

	it("lifecycle: trialing → active → past_due → suspended → canceled, and back to active when paid up", () => {
		expect(nextLifecycle("trialing", "plan_paid")).to.equal("active");
		expect(nextLifecycle("active", "payment_failed")).to.equal("past_due");
		expect(nextLifecycle("past_due", "payment_failed")).to.equal(null);
		expect(nextLifecycle("past_due", "dunning_exhausted")).to.equal("suspended");
		expect(nextLifecycle("suspended", "paid_up")).to.equal("active");
		expect(nextLifecycle("active", "paid_up")).to.equal(null);
		expect(nextLifecycle("suspended", "cancel")).to.equal("canceled");
		expect(nextLifecycle("canceled", "paid_up")).to.equal(null);
		expect(fromStates("paid_up").sort()).to.deep.equal(["past_due", "suspended"]);
		expect(["trialing", "active", "past_due"].every(l => grantsAccess(l as any))).to.equal(true);
		expect(accessStatus("past_due")).to.equal("active");
		expect(accessStatus("suspended")).to.equal("suspended");
		expect(accessStatus("canceled")).to.equal("canceled");
		expect(lifecycleOf({ plan: "campus", status: "active" })).to.equal("active");
		expect(lifecycleOf({ plan: "trial", status: "active" })).to.equal("trialing");
		expect(lifecycleOf({ plan: "trial", status: "active", lifecycle: "suspended" })).to.equal("suspended");
	});

	it("entitlements: a suspended or canceled subscription allows nothing; add-on modules count", () => {
		const essential = PLANS.essential;
		expect(checkEntitlement(essential, { status: "suspended", seatLimit: 300, seatsUsed: 0 }, { feature: "import" })).to.deep.equal({ allowed: false, reason: "SUBSCRIPTION_INACTIVE" });
		expect(checkEntitlement(essential, { status: "active", seatLimit: 300, seatsUsed: 0 }, { feature: "ai" }).reason).to.equal("PLAN_FORBIDS");
		expect(checkEntitlement(essential, { status: "active", seatLimit: 300, seatsUsed: 0, modules: ["ai"] }, { feature: "ai" })).to.deep.equal({ allowed: true });
		expect(enabledModules(essential, { modules: ["ai", "nonsense"] })).to.include("ai").and.not.include("nonsense");
	});

	it("payment outcomes: a decline fails, 3-D Secure asks for action, a success is final", () => {
		expect(outcomeOf({ id: "pi_1", status: "succeeded", amount: 100, amount_received: 100 })).to.deep.equal({ kind: "succeeded", amountReceivedCents: 100 });
		expect(outcomeOf({ id: "pi_1", status: "requires_action" }).kind).to.equal("requires_action");
		expect(outcomeOf({ id: "pi_1", status: "processing" }).kind).to.equal("processing");
		// Created and confirmed without a verdict (stripe-mock's canned answer): wait for the webhook.
		expect(outcomeOf({ id: "pi_1", status: "requires_payment_method", last_payment_error: { code: undefined } as any }).kind).to.equal("processing");
		expect(outcomeOf({ id: "pi_1", status: "requires_payment_method", last_payment_error: { code: "card_declined", decline_code: "insufficient_funds", message: "Your card has insufficient funds." } })).to.deep.equal({
			kind: "failed",
			code: "insufficient_funds",
			reason: "Your card has insufficient funds.",
		});
		expect(outcomeOfError({ type: "StripeCardError", code: "authentication_required", message: "auth" })).to.deep.equal({ kind: "requires_action" });
		expect(outcomeOfError({ type: "StripeCardError", code: "card_declined", decline_code: "expired_card", message: "Expired" })).to.deep.include({ kind: "failed", code: "expired_card" });
		expect(outcomeOfError({ type: "StripeConnectionError" })).to.equal(null);
		expect(mayReplace("failed", "succeeded", false)).to.equal(true);
		expect(mayReplace("succeeded", "failed", true)).to.equal(false);
		expect(mayReplace("requires_action", "failed", false)).to.equal(false);
		expect(mayReplace("requires_action", "failed", true)).to.equal(true);
	});

	it("credit notes: the whole invoice, or lines taxed at its rate, never more than it carries", () => {
		const inv: CreditableInvoice = {
			lines: [{ kind: "plan", code: "campus", description: "Abonnement", quantity: 1, unitAmountCents: 149900, amountCents: 149900 }],
			subtotalCents: 149900,
			vat: { scheme: "domestic", rateBps: 2000, amountCents: 29980 },
			totalCents: 179880,
			amountPaidCents: 0,
			amountCreditedCents: 0,
			amountDueCents: 179880,
		};
		const full = computeCredit(inv, [], { full: true });
		expect(full).to.deep.include({ subtotalCents: 149900, vatCents: 29980, totalCents: 179880, refundDueCents: 0, voidsInvoice: true });
		expect(full.lines).to.have.length(1);
		const part = computeCredit(inv, [], { lines: [{ description: "Geste commercial", amountCents: 10000 }] });
		expect(part).to.deep.include({ subtotalCents: 10000, vatCents: 2000, totalCents: 12000, voidsInvoice: false });
		// The rest after a partial credit: the sums equal the invoice to the cent.
		const rest = computeCredit({ ...inv, amountCreditedCents: 12000, amountDueCents: 167880 }, [{ subtotalCents: 10000, vatCents: 2000, totalCents: 12000 }], { full: true });
		expect(rest).to.deep.include({ subtotalCents: 139900, vatCents: 27980, totalCents: 167880, voidsInvoice: true });
		expect(() => computeCredit(inv, [], { lines: [{ description: "Too much", amountCents: 150000 }] })).to.throw(CreditTooHigh);
		// A paid invoice: the credit is owed back.
		const paid = computeCredit({ ...inv, amountPaidCents: 179880, amountDueCents: 0 }, [], { lines: [{ description: "Refund", amountCents: 1000 }] });
		expect(paid).to.deep.include({ refundDueCents: 1200, voidsInvoice: false });
	});

	it("MRR: schools in force on their current terms; trials, suspended and canceled schools bring nothing", () => {
		expect(monthlyAmount({ plan: "essential", modules: ["ai", "reporting"], seatsUsed: 310 })).to.equal(29900 + 49900 + 10 * 100);
		const mrr = mrrOf([
			{ plan: "campus", modules: [], seatsUsed: 10, lifecycle: "active" },
			{ plan: "essential", modules: [], seatsUsed: 10, lifecycle: "past_due" },
			{ plan: "essential", modules: [], seatsUsed: 10, lifecycle: "suspended" },
			{ plan: "trial", modules: [], seatsUsed: 10, lifecycle: "trialing" },
			{ plan: "campus", modules: [], seatsUsed: 10, lifecycle: "canceled" },
		]);
		expect(mrr).to.deep.equal({ mrrCents: 149900 + 29900, payingSchools: 2, byLifecycle: { trialing: 1, active: 1, past_due: 1, suspended: 1, canceled: 1 } });
	});
});
