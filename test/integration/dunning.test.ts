/**
 * `dunning`: a failed automatic payment is retried at +3, +7 and +14 days, the school admins are told
 * each time, the subscription goes past_due and then suspended (entitlements refuse, billing pages stay
 * open), and is reactivated once paid. A school paying by transfer is reminded after its due date and a
 * platform admin marks its transfer paid, audited.
 */
import { expect } from "chai";
import type { Account } from "../support/accounts.js";
import {
	eventually, http, invoicedSchool, invoiceOf, mailsTo, ok, paymentIntent, postWebhook, setClock, signedEvent, stripeMockSuite, system, unique,
} from "../support/billing.js";

const DAY = 86_400_000;
const failure = (pi: string, amount: number, message = "Your card has insufficient funds.") =>
	paymentIntent(pi, "requires_payment_method", amount, { last_payment_error: { code: "card_declined", decline_code: "insufficient_funds", message } });

describe("dunning", function () {
	this.timeout(180_000);
	let root: Account;
	stripeMockSuite(admin => (root = admin));

	const subscription = (admin: Account) => ok(http("GET", "/api/subscription", { token: admin.token }));
	const canImport = async (admin: Account) => (await ok(http("GET", "/api/subscription/check?feature=import", { token: admin.token })));
	const notifications = async (admin: Account, type: string) =>
		(await ok(http("GET", "/api/notifications?pageSize=100", { token: admin.token }))).rows.filter((n: any) => n.type === type);

	async function failAttempt(admin: Account, period: string, attempt: number) {
		const invoice = await eventually(async () => {
			const d = await invoiceOf(admin, period);
			const p = d.payments.find((x: any) => x.attempt === attempt);
			return p?.providerPaymentId ? d : null;
		}, `attempt ${attempt}`);
		const payment = invoice.payments.find((x: any) => x.attempt === attempt);
		expect(payment).to.include({ offSession: true, status: "processing" });
		const { payload, header } = signedEvent("payment_intent.payment_failed", failure(payment.providerPaymentId, payment.amountCents));
		expect((await postWebhook(payload, header)).status).to.equal(200);
		return payment;
	}

	it("retries a failed auto-debit at +3, +7 and +14 days, tells the admins each time, then suspends; payment reactivates", async () => {
		const school = await invoicedSchool(root, "2036-01", { autoDebit: true, plan: "essential" });
		const issued = new Date(school.invoice.issueDate).getTime();
		// An auto-debit invoice is due at issue, but while its payment is in progress nobody chases it.
		setClock(new Date(issued + 3_600_000));
		await system("billingRuns.dunning");
		expect(await invoiceOf(school.admin, "2036-01")).to.include({ status: "pending", dunning: null });
		expect((await subscription(school.admin)).lifecycle).to.equal("active");
		const attempts: any[] = [];
		attempts.push(await failAttempt(school.admin, "2036-01", 1));
		let invoice = await invoiceOf(school.admin, "2036-01");
		expect(invoice).to.include({ status: "payment_failed", statusLabel: "ECHEC_PAIEMENT" });
		expect(invoice.dunning).to.include({ step: 0, attempts: 1 });
		// The calendar runs from the failure.
		const failedAt = new Date(invoice.dunning.startedAt).getTime();
		expect(failedAt).to.equal(issued + 3_600_000);
		expect(new Date(invoice.dunning.nextAt).getTime() - failedAt).to.equal(3 * DAY);
		expect(await subscription(school.admin)).to.include({ lifecycle: "past_due", status: "active" });
		// Past due is a grace period: the school still works.
		expect(await canImport(school.admin)).to.deep.equal({ allowed: true });

		// Nothing happens before the next step is due. (Passes are platform-wide: what is checked is this school's invoice.)
		setClock(new Date(failedAt + 2 * DAY));
		await system("billingRuns.dunning");
		expect((await invoiceOf(school.admin, "2036-01")).payments).to.have.length(1);

		for (const [days, attempt] of [[3, 2], [7, 3], [14, 4]] as const) {
			setClock(new Date(failedAt + days * DAY + 60_000));
			await system("billingRuns.dunning");
			// A second pass at the same time does not retry again.
			await system("billingRuns.dunning");
			const now = await invoiceOf(school.admin, "2036-01");
			expect(now.dunning, `day ${days}`).to.include({ step: attempt - 1, attempts: attempt });
			expect(now.payments, `day ${days}`).to.have.length(attempt);
			attempts.push(await failAttempt(school.admin, "2036-01", attempt));
			if (attempt < 4) expect((await subscription(school.admin)).lifecycle).to.equal("past_due");
		}
		// One key per invoice and attempt: four attempts, four PaymentIntents.
		expect(new Set(attempts.map(a => a.providerPaymentId)).size).to.equal(4);

		const failed = await eventually(async () => {
			const rows = await notifications(school.admin, "billing.invoice.payment_failed");
			return rows.length === 4 ? rows : null;
		}, "four payment_failed notifications");
		expect(failed.map((n: any) => n.body).join("\n")).to.contain("insufficient funds");
		// Mail leaves after the in-app notification (delivery is its own consumer): wait for it, then count exactly.
		const mails = await eventually(async () => {
			const rows = await mailsTo(school.admin.email!, "billing-invoice-payment_failed");
			return rows.length >= 4 ? rows : null;
		}, "four payment_failed mails");
		expect(mails).to.have.length(4);

		// Suspended: entitlements refuse, seats cannot be taken; billing stays open to the admin.
		expect(await subscription(school.admin)).to.include({ lifecycle: "suspended", status: "suspended" });
		expect((await canImport(school.admin)).reason).to.equal("SUBSCRIPTION_INACTIVE");
		const invite = await http("POST", "/api/invitations", { token: school.admin.token, body: { email: `${unique("s")}@school.test`, role: "student" } });
		expect(invite.status).to.equal(403);
		expect(invite.body.error.type).to.equal("SUBSCRIPTION_INACTIVE");
		await eventually(async () => (await notifications(school.admin, "billing.subscription.suspended")).length === 1, "the suspension notice");
		expect((await http("GET", "/api/billing/invoices", { token: school.admin.token })).status).to.equal(200);
		expect((await http("GET", "/api/billing/account", { token: school.admin.token })).status).to.equal(200);
		expect((await http("GET", `/api/billing/invoices/${invoice.id}/pdf`, { token: school.admin.token })).status).to.equal(200);
		const pay = await ok(http("POST", `/api/billing/invoices/${invoice.id}/pay`, { token: school.admin.token, body: {} }));
		expect(pay).to.include({ amountCents: invoice.totalCents });
		expect(pay.clientSecret).to.be.a("string");

		// The admin pays on session: Stripe's success reactivates the school.
		const paid = signedEvent("payment_intent.succeeded", paymentIntent(pay.paymentIntentId, "succeeded", invoice.totalCents));
		expect((await postWebhook(paid.payload, paid.header)).status).to.equal(200);
		invoice = await invoiceOf(school.admin, "2036-01");
		expect(invoice).to.include({ status: "paid", amountDueCents: 0 });
		expect(invoice.dunning.nextAt).to.equal(null);
		expect(await subscription(school.admin)).to.include({ lifecycle: "active", status: "active" });
		expect(await canImport(school.admin)).to.deep.equal({ allowed: true });
		await eventually(async () => (await notifications(school.admin, "billing.subscription.reactivated")).length === 1, "the reactivation notice");
		// Paid: no more steps.
		setClock(new Date(failedAt + 30 * DAY));
		await system("billingRuns.dunning");
		expect((await invoiceOf(school.admin, "2036-01")).payments).to.have.length(5);
	});

	it("reminds a school paying by transfer after its due date, suspends after the last reminder, and a platform admin marks the transfer paid (audited)", async () => {
		const school = await invoicedSchool(root, "2036-02", { plan: "essential" });
		const due = new Date(school.invoice.dueDate).getTime();
		expect(due - new Date(school.invoice.issueDate).getTime()).to.equal(30 * DAY);
		setClock(new Date(due - DAY));
		await system("billingRuns.dunning");
		expect((await invoiceOf(school.admin, "2036-02")).dunning).to.equal(null);
		setClock(new Date(due + 60_000));
		await system("billingRuns.dunning");
		const started = await invoiceOf(school.admin, "2036-02");
		expect(started.dunning).to.include({ step: 0 });
		expect(new Date(started.dunning.startedAt).getTime()).to.equal(due);
		expect(await subscription(school.admin)).to.include({ lifecycle: "past_due" });
		for (const [i, days] of [3, 7, 14].entries()) {
			setClock(new Date(due + days * DAY + 60_000));
			await system("billingRuns.dunning");
			expect((await invoiceOf(school.admin, "2036-02")).dunning, `day ${days}`).to.include({ step: i + 1 });
		}
		const reminders = await eventually(async () => {
			const rows = await notifications(school.admin, "billing.invoice.overdue");
			return rows.length === 4 ? rows : null;
		}, "a reminder at the due date and at each step");
		expect(reminders[0].title).to.contain(school.invoice.number);
		expect(await subscription(school.admin)).to.include({ lifecycle: "suspended", status: "suspended" });

		const path = `/api/billing/invoices/${school.invoice.id}/mark-paid`;
		expect((await http("POST", path, { token: school.admin.token, body: { reference: "VIR-1" } })).status).to.equal(403);
		const tooMuch = await http("POST", path, { token: root.token, body: { reference: "VIR-1", amountCents: school.invoice.totalCents + 1 } });
		expect(tooMuch.status).to.equal(422);
		expect(tooMuch.body.error.type).to.equal("AMOUNT_TOO_HIGH");
		// A partial transfer leaves the rest due.
		const part = await ok(http("POST", path, { token: root.token, body: { reference: "VIR-2036-0001", amountCents: 10000 } }));
		// Overdue, not failed: a transfer invoice stays pending (EN_ATTENTE) while it is chased.
		expect(part).to.include({ provider: "bank_transfer", amountCents: 10000, status: "succeeded", invoiceStatus: "pending" });
		expect((await invoiceOf(school.admin, "2036-02")).amountDueCents).to.equal(school.invoice.totalCents - 10000);
		// The rest; the same request again records nothing more.
		const rest = await ok(http("POST", path, { token: root.token, body: { reference: "VIR-2036-0002" } }));
		expect(rest).to.include({ amountCents: school.invoice.totalCents - 10000, invoiceStatus: "paid" });
		const replay = await http("POST", path, { token: root.token, body: { reference: "VIR-2036-0002" } });
		expect(replay.status).to.equal(409);
		const invoice = await invoiceOf(school.admin, "2036-02");
		expect(invoice).to.include({ status: "paid", amountPaidCents: school.invoice.totalCents, amountDueCents: 0 });
		expect(invoice.payments.map((p: any) => p.provider)).to.deep.equal(["bank_transfer", "bank_transfer"]);
		expect(await subscription(school.admin)).to.include({ lifecycle: "active", status: "active" });

		const audit = await ok(http("GET", `/api/audit?action=billing.invoice.markedPaid&pageSize=100`, { token: school.admin.token }));
		expect(audit.rows).to.have.length(2);
		expect(audit.rows[0]).to.include({ actorId: root.id, targetId: school.invoice.id });
		expect(audit.rows.map((r: any) => r.data.reference).sort()).to.deep.equal(["VIR-2036-0001", "VIR-2036-0002"]);
	});

	it("fails the automatic debit of a school whose card went, so it is told and chased", async () => {
		const school = await invoicedSchool(root, "2036-04", { autoDebit: true, plan: "essential" });
		const removed = signedEvent("payment_method.detached", { id: "pm_card_visa", object: "payment_method", customer: null });
		expect((await postWebhook(removed.payload, removed.header)).status).to.equal(200);
		// The first attempt failed (no verdict yet from stripe-mock's canned answer); the retry at +3 days finds no card.
		const first = school.invoice.payments[0];
		const declined = signedEvent("payment_intent.payment_failed", failure(first.providerPaymentId, first.amountCents));
		expect((await postWebhook(declined.payload, declined.header)).status).to.equal(200);
		setClock(new Date(new Date(school.invoice.issueDate).getTime() + 3 * DAY + 60_000));
		await system("billingRuns.dunning");
		const invoice = await invoiceOf(school.admin, "2036-04");
		expect(invoice.payments[1]).to.include({ attempt: 2, status: "failed", failureCode: "payment_method_missing" });
		expect(invoice.payments[1].providerPaymentId).to.equal(null);
		expect(invoice.dunning).to.include({ step: 1 });
		const notes = await eventually(async () => {
			const rows = await notifications(school.admin, "billing.invoice.payment_failed");
			return rows.length === 2 ? rows : null;
		}, "two payment_failed notices");
		expect(notes[0].body).to.contain("Aucune carte");
	});

	it("asks Stripe about card payments it never heard back from", async () => {
		const school = await invoicedSchool(root, "2036-05", { autoDebit: true, plan: "essential" });
		expect(school.invoice.payments[0].status).to.equal("processing");
		// Two days on, still no webhook: the pass asks Stripe (stripe-mock's canned PaymentIntent has no verdict yet).
		setClock(new Date(new Date(school.invoice.issueDate).getTime() + 2 * DAY));
		const result = await system("payments.reconcile", {});
		expect(result.checked).to.be.at.least(1);
		// No verdict, nothing changed (a payment still processing is what we knew).
		expect(result.changed).to.equal(0);
		expect((await invoiceOf(school.admin, "2036-05")).payments[0].status).to.equal("processing");
	});

	it("runs one dunning pass at a time, and each step once", async () => {
		const school = await invoicedSchool(root, "2036-03", { plan: "essential" });
		setClock(new Date(new Date(school.invoice.dueDate).getTime() + 3 * DAY + 60_000));
		const passes = await Promise.all([system("billingRuns.dunning"), system("billingRuns.dunning"), system("billingRuns.dunning")]);
		expect(passes.filter(p => !p.skipped).length, "passes that ran").to.be.at.least(1);
		// Started at the due date, then the +3 step: once each, whichever pass ran them.
		expect((await invoiceOf(school.admin, "2036-03")).dunning.step).to.equal(1);
		// Claims decide, not the lease: the +7 step claimed by three callers at once is claimed once.
		setClock(new Date(new Date(school.invoice.dueDate).getTime() + 7 * DAY + 60_000));
		const claims = (await Promise.all([1, 2, 3].map(() => system("invoices.claimDunningSteps", {})))).flat();
		expect(claims.filter((c: any) => c.invoiceId === school.invoice.id)).to.have.length(1);
		const invoice = await invoiceOf(school.admin, "2036-03");
		expect(invoice.dunning.step).to.equal(2);
		const reminders = await eventually(async () => {
			const rows = await notifications(school.admin, "billing.invoice.overdue");
			return rows.length >= 2 ? rows : null;
		}, "the reminders");
		expect(reminders).to.have.length(2);
	});
});
