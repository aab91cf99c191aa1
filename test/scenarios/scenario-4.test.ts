/**
 * `scenario 4` (the seed's monthly billing): the cron job finds the schools that need last month's
 * invoice, checks their subscription, modules, seats and amount, creates each invoice as pending with a
 * gapless number, charges the schools on auto-debit off session (stripe-mock), sends the invoice (PDF
 * attached) and an in-app notification to the billing contacts, and publishes durable events. A second
 * run creates nothing; 3-D Secure sends the school admin a link to finish the payment.
 */
import { expect } from "chai";
import type { Account } from "../support/accounts.js";
import {
	addCard as addCardLikeStripeJs, billingEventProbe, bootPlatform, eventually, http, mailsTo, ok, paymentIntent, pdfText, postWebhook,
	saveAccount, schoolOnPlan, setBilling, setClock, signedEvent, stripeMockSuite, system, unique,
} from "../support/billing.js";

// A year no other suite bills in: this suite owns the 2033 numbering.
const PERIOD = "2033-11";
const IN_PERIOD = "2033-11-01T00:30:00+01:00";
const RUN_AT = "2033-12-01T02:00:00+01:00";

describe("scenario 4", function () {
	this.timeout(120_000);
	let root: Account;
	let debit: Awaited<ReturnType<typeof schoolOnPlan>>;
	let transfer: Awaited<ReturnType<typeof schoolOnPlan>>;
	let secure: Awaited<ReturnType<typeof schoolOnPlan>>;
	let trial: Awaited<ReturnType<typeof schoolOnPlan>>;
	let billingEmail: string;
	let probe: Awaited<ReturnType<typeof billingEventProbe>>;

	/** Gives a school a card the way Stripe.js would (support/billing.ts), and checks what the scenario relies on. */
	async function addCard(admin: Account) {
		const card = await addCardLikeStripeJs(admin);
		expect(card.clientSecret).to.be.a("string");
		expect(card.outcome).to.equal("payment method attached");
	}

	stripeMockSuite(admin => (root = admin));

	before(async function () {
		setClock(IN_PERIOD);
		[debit, transfer, secure, trial] = await Promise.all([
			schoolOnPlan(root, "campus"),
			schoolOnPlan(root, "essential"),
			schoolOnPlan(root, "essential"),
			schoolOnPlan(root, "trial"),
		]);
		billingEmail = `${unique("compta")}@school.test`;
		await saveAccount(debit.admin, { legalName: "Lycée Debit", billingEmail });
		await addCard(debit.admin);
		await saveAccount(debit.admin, { legalName: "Lycée Debit", billingEmail, autoDebit: true });
		// A Belgian school with a VAT number: reverse charge.
		await saveAccount(transfer.admin, { legalName: "Athénée Transfer", country: "BE", vatNumber: "BE0123456789", address: { line1: "Rue Neuve 1", postalCode: "1000", city: "Bruxelles" } });
		await saveAccount(secure.admin, { legalName: "Collège Secure" });
		await addCard(secure.admin);
		await saveAccount(secure.admin, { legalName: "Collège Secure", autoDebit: true });
		probe = await billingEventProbe(["billing.invoice.created", "billing.invoice.paid", "billing.invoice.payment_failed", "billing.payment.action_required"]);
	});

	after(async () => {
		await probe?.stop();
	});

	const invoicesOf = async (admin: Account) => (await ok(http("GET", `/api/billing/invoices?period=${PERIOD}`, { token: admin.token }))).rows;

	it("runs the monthly job from node-cron at the configured time and zone, for last month", async () => {
		setClock(RUN_AT);
		const { broker } = await bootPlatform();
		const runs = broker.getLocalService("billingRuns") as any;
		// Every second instead of 02:00 on the 1st: the job computes "last month" from the (billing) clock.
		const previous = setBilling({ cron: "* * * * * *", dunningCron: null });
		const tasks = runs.schedule();
		try {
			await eventually(async () => (await invoicesOf(debit.admin)).length === 1 && (await invoicesOf(secure.admin)).length === 1, "the cron run to invoice the schools", 30_000);
			// Let any run the cron started finish before we stop it.
			await eventually(async () => !tasks.some((t: any) => t.isBusy()), "the cron run to end", 30_000);
		} finally {
			await Promise.all(tasks.map((t: any) => t.destroy()));
			setBilling({ cron: previous.cron, dunningCron: previous.dunningCron });
		}
	});

	it("creates each invoice as pending (EN_ATTENTE) with the checked subscription, modules, seats and amounts", async () => {
		const [inv] = await invoicesOf(debit.admin);
		expect(inv).to.include({ status: "pending", statusLabel: "EN_ATTENTE", period: PERIOD, currency: "eur", subtotalCents: 149900, totalCents: 179880, autoDebit: true });
		expect(inv.number).to.match(/^FA-2033-\d{6}$/);
		expect(inv.vat).to.include({ scheme: "domestic", rateBps: 2000, amountCents: 29980 });
		expect(inv.lines).to.have.length(1);
		expect(inv.lines[0]).to.include({ kind: "plan", code: "campus", amountCents: 149900 });
		expect(inv.checks).to.include({ plan: "campus", seatsUsed: 0, seatsIncluded: 3000, lifecycle: "active" });
		expect(inv.checks.modules).to.include.members(["ai", "live_sessions"]);
		expect(inv.buyer).to.include({ name: "Lycée Debit", country: "FR", email: billingEmail });
		expect(inv.paymentMethodLabel).to.equal("Visa se terminant par 4242");

		const [be] = await invoicesOf(transfer.admin);
		expect(be).to.include({ subtotalCents: 29900, totalCents: 29900, autoDebit: false });
		expect(be.vat).to.include({ scheme: "reverse_charge", rateBps: 0, amountCents: 0 });
		expect(be.vat.mention).to.match(/Autoliquidation/);
		expect(new Date(be.dueDate).getTime() - new Date(be.issueDate).getTime()).to.equal(30 * 86_400_000);

		// A month on the free trial is not invoiced.
		expect(await invoicesOf(trial.admin)).to.deep.equal([]);
	});

	it("gives gapless numbers in order of issue", async () => {
		const numbers = (await Promise.all([debit, transfer, secure].map(s => invoicesOf(s.admin)))).map(r => r[0].number).sort();
		const seqs = numbers.map(n => Number(n.slice(-6)));
		// The three are consecutive (other schools of this test database may sit between them, never a hole).
		const overview = await ok(http("GET", "/api/billing/overview", { token: root.token }));
		const year = overview.numbering.invoices.find((y: any) => y.year === 2033);
		expect(year).to.include({ missing: 0 });
		expect(Math.max(...seqs)).to.be.at.most(year.lastNumber);
	});

	it("charges auto-debit schools off session with a key per invoice and attempt, and a signed success marks it paid", async () => {
		const [inv] = await invoicesOf(debit.admin);
		const detail = await eventually(async () => {
			const d = await ok(http("GET", `/api/billing/invoices/${inv.id}`, { token: debit.admin.token }));
			return d.payments.length > 0 && d.payments[0].providerPaymentId ? d : null;
		}, "the auto-debit attempt");
		const payment = detail.payments[0];
		expect(payment).to.include({ provider: "stripe", attempt: 1, offSession: true, amountCents: 179880, status: "processing" });
		expect(payment.providerPaymentId).to.match(/^pi_/);
		// The transfer school is not charged.
		const [be] = await invoicesOf(transfer.admin);
		const beDetail = await ok(http("GET", `/api/billing/invoices/${be.id}`, { token: transfer.admin.token }));
		expect(beDetail.payments).to.deep.equal([]);

		const { payload, header } = signedEvent("payment_intent.succeeded", paymentIntent(payment.providerPaymentId, "succeeded", 179880, { metadata: { invoiceId: inv.id } }));
		expect((await postWebhook(payload, header)).status).to.equal(200);
		const paid = await ok(http("GET", `/api/billing/invoices/${inv.id}`, { token: debit.admin.token }));
		expect(paid).to.include({ status: "paid", statusLabel: "PAYEE", amountPaidCents: 179880, amountDueCents: 0 });
		expect(paid.payments[0].status).to.equal("succeeded");
	});

	it("lists the invoice for its school admins only, with its PDF", async () => {
		const [inv] = await invoicesOf(debit.admin);
		const others = await invoicesOf(transfer.admin);
		expect(others.map((i: any) => i.id)).to.not.include(inv.id);
		const teacherRes = await http("GET", "/api/billing/invoices", { token: (await (await import("../support/accounts.js")).invite(debit.admin, "teacher")).token });
		expect(teacherRes.status).to.equal(403);

		const { baseUrl } = await bootPlatform();
		const res = await fetch(`${baseUrl}/api/billing/invoices/${inv.id}/pdf`, { headers: { authorization: `Bearer ${debit.admin.token}` } });
		expect(res.status).to.equal(200);
		expect(res.headers.get("content-type")).to.equal("application/pdf");
		const pdf = Buffer.from(await res.arrayBuffer());
		expect(pdf.subarray(0, 5).toString()).to.equal("%PDF-");
		const text = pdfText(pdf);
		for (const needle of ["FACTURE", inv.number, "Lycée Debit", "France", "1 499,00 €", "1 798,80 €", "TVA 20 %", "indemnité forfaitaire", "40 €", "prélèvement automatique", "Visa se terminant par 4242"]) {
			expect(text, needle).to.contain(needle);
		}
	});

	it("mails the invoice with its PDF and notifies the school's billing contacts in the app", async () => {
		const [inv] = await invoicesOf(debit.admin);
		for (const to of [billingEmail, debit.admin.email!]) {
			const mails = await eventually(async () => {
				const rows = await mailsTo(to, "billing-invoice-created");
				return rows.length > 0 ? rows : null;
			}, `the invoice mail to ${to}`);
			expect(mails).to.have.length(1);
			expect(mails[0].subject).to.contain(inv.number);
			expect(mails[0].attachments).to.have.length(1);
			expect(mails[0].attachments[0]).to.include({ filename: `facture-${inv.number}.pdf`, contentType: "application/pdf" });
			expect(mails[0].attachments[0].size).to.be.greaterThan(1000);
		}
		const notes = await eventually(async () => {
			const page = await ok(http("GET", "/api/notifications?pageSize=100", { token: debit.admin.token }));
			const rows = page.rows.filter((n: any) => n.type === "billing.invoice.created");
			return rows.length > 0 ? rows : null;
		}, "the in-app notification");
		expect(notes).to.have.length(1);
		expect(notes[0].data).to.include({ invoiceId: inv.id, number: inv.number });
	});

	it("publishes durable billing.invoice.created and .paid events with an id and the school", async () => {
		const [inv] = await invoicesOf(debit.admin);
		const created = probe.messages.filter(m => m.channel === "billing.invoice.created" && m.message.invoiceId === inv.id);
		expect(created).to.have.length(1);
		expect(created[0].message).to.include({ id: `billing.invoice.created:${inv.id}`, schoolId: debit.school.id, number: inv.number });
		const paid = await eventually(async () => probe.messages.find(m => m.channel === "billing.invoice.paid" && m.message.invoiceId === inv.id), "billing.invoice.paid");
		expect(paid.message).to.include({ schoolId: debit.school.id });
		expect(paid.message.id).to.be.a("string");
	});

	it("sends the school admin a link to finish a payment that needs 3-D Secure", async () => {
		const [inv] = await invoicesOf(secure.admin);
		const detail = await eventually(async () => {
			const d = await ok(http("GET", `/api/billing/invoices/${inv.id}`, { token: secure.admin.token }));
			return d.payments[0]?.providerPaymentId ? d : null;
		}, "the auto-debit attempt");
		const pi = detail.payments[0].providerPaymentId;
		const { payload, header } = signedEvent(
			"payment_intent.payment_failed",
			paymentIntent(pi, "requires_payment_method", inv.totalCents, { last_payment_error: { code: "authentication_required", decline_code: "authentication_required", message: "This payment requires authentication." } }),
		);
		expect((await postWebhook(payload, header)).status).to.equal(200);
		const waiting = await ok(http("GET", `/api/billing/invoices/${inv.id}`, { token: secure.admin.token }));
		expect(waiting.status).to.equal("pending");
		expect(waiting.pendingAction).to.include({ paymentIntentId: pi, type: "authentication_required" });
		expect(waiting.pendingAction.url).to.match(new RegExp(`/billing/invoices/${inv.id}/pay$`));
		const mail = await eventually(async () => (await mailsTo(secure.admin.email!, "billing-payment-action_required"))[0], "the 3-D Secure mail");
		expect(mail.text).to.contain(waiting.pendingAction.url);
		const note = await eventually(async () => {
			const page = await ok(http("GET", "/api/notifications?pageSize=100", { token: secure.admin.token }));
			return page.rows.find((n: any) => n.type === "billing.payment.action_required");
		}, "the 3-D Secure notification");
		expect(note.body).to.contain(waiting.pendingAction.url);
		// The link's page asks for the waiting PaymentIntent's client secret to confirm it with Stripe.js.
		const pay = await ok(http("POST", `/api/billing/invoices/${inv.id}/pay`, { token: secure.admin.token, body: {} }));
		expect(pay).to.include({ paymentIntentId: pi, amountCents: inv.totalCents });
		expect(pay.clientSecret).to.be.a("string");
	});

	it("creates no second invoice when the month is run again", async () => {
		const before = await invoicesOf(debit.admin);
		const rerun = await system("billingRuns.run", { period: PERIOD }, { timeout: 0 });
		expect(rerun.created).to.equal(0);
		expect(rerun.finalized).to.equal(0);
		expect(rerun.existing).to.be.greaterThan(2);
		const after = await invoicesOf(debit.admin);
		expect(after.map((i: any) => [i.id, i.number])).to.deep.equal(before.map((i: any) => [i.id, i.number]));
	});
});
