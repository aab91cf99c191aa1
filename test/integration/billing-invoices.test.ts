/**
 * Invoices as a finance team reads them: proration of plan and module changes, seats counted at the end
 * of the period, metered AI tokens, VAT by country, credit notes (partial, full, on a paid invoice) in
 * their own gapless series, final documents that never change, and the platform's overview.
 */
import { expect } from "chai";
import type { Account } from "../support/accounts.js";
import {
	billingEventProbe, bootPlatform, eventually, http, invoiceOf, mailsTo, ok, pdfText, runFor, saveAccount, schoolOnPlan, setClock, stripeMockSuite,
	system, unique,
} from "../support/billing.js";

// This suite owns the 2038 series.
describe("billing invoices and credit notes", function () {
	this.timeout(180_000);
	let root: Account;
	stripeMockSuite(admin => (root = admin));

	it("shows a school admin what its invoices would carry before the account is filled, and checks what is saved", async () => {
		setClock("2038-01-01T12:00:00Z");
		const school = await schoolOnPlan(root, "essential");
		const blank = await ok(http("GET", "/api/billing/account", { token: school.admin.token }));
		expect(blank).to.include({ configured: false, country: "FR", legalName: school.school.name, autoDebit: false, hasPaymentMethod: false });
		const bad = await http("PUT", "/api/billing/account", { token: school.admin.token, body: { legalName: "Lycée", address: { line1: "1 rue", postalCode: "75001", city: "Paris" }, country: "FR", vatNumber: "FR41303265045" } });
		expect(bad.status).to.equal(422);
		expect(bad.body.error.data[0]).to.include({ field: "vatNumber" });
		expect(bad.body.error.data[0].message).to.match(/wrong key/);
		const saved = await saveAccount(school.admin, { legalName: "Lycée Victor Hugo", vatNumber: "fr 40 303 265 045", billingEmail: "Compta@School.TEST", purchaseOrder: "BC-2038" });
		expect(saved).to.include({ configured: true, vatNumber: "FR40303265045", billingEmail: "compta@school.test", country: "FR" });
		const audit = await ok(http("GET", "/api/audit?action=billing.account.updated", { token: school.admin.token }));
		expect(audit.rows).to.have.length(1);
	});

	it("prorates plan and module changes by day, bills seats in use at the end and AI tokens beyond the plan", async () => {
		// 1 January 2038: Essential with the AI module added. 16 January (14:00 Paris): Campus (AI included), 3,200 seats.
		setClock("2038-01-01T09:00:00Z");
		const school = await schoolOnPlan(root, "essential", { modules: ["ai"] });
		await saveAccount(school.admin, { legalName: "Lycée Prorata" });
		setClock("2038-01-16T13:00:00Z");
		await ok(http("PATCH", `/api/schools/${school.school.id}/subscription`, { token: root.token, body: { plan: "campus", seatLimit: 3200 } }));
		// Seats: 3,150 taken during the month, 40 given back before its end: the end count (3,110) is billed.
		await system("subscriptions.reserveSeats", { schoolId: school.school.id, count: 3150 });
		await system("subscriptions.releaseSeats", { schoolId: school.school.id, count: 40 });
		// AI tokens: two reports (one retried) in the period, one after it.
		await system("billingUsage.record", { id: `ai:${school.school.id}:1`, schoolId: school.school.id, metric: "ai_tokens", quantity: 1_500_000, occurredAt: "2038-01-10T10:00:00Z" });
		await system("billingUsage.record", { id: `ai:${school.school.id}:2`, schoolId: school.school.id, metric: "ai_tokens", quantity: 1_000_000, occurredAt: "2038-01-30T10:00:00Z" });
		expect(await system("billingUsage.record", { id: `ai:${school.school.id}:2`, schoolId: school.school.id, metric: "ai_tokens", quantity: 1_000_000, occurredAt: "2038-01-30T10:00:00Z" })).to.include({ duplicate: true });
		await system("billingUsage.record", { id: `ai:${school.school.id}:3`, schoolId: school.school.id, metric: "ai_tokens", quantity: 9_000_000, occurredAt: "2038-02-02T10:00:00Z" });

		setClock("2038-02-01T02:00:00+01:00");
		expect((await runFor("2038-01", school.school.id)).created).to.equal(1);
		const inv = await invoiceOf(school.admin, "2038-01");
		expect(inv.lines.map((l: any) => [l.kind, l.code, l.quantity, l.amountCents])).to.deep.equal([
			["plan", "essential", 1, 14468], // 29900 × 15/31
			["plan", "campus", 1, 77368], // 149900 × 16/31
			["module", "ai", 1, 24145], // 49900 × 15/31: Campus includes AI from the 16th
			["extra_seats", "extra_seats", 110, 8800], // 3,110 used − 3,000 included, 0.80 € each
			["usage", "ai_tokens", 500, 1000], // 2,500,000 − 2,000,000 included, 2 cents per 1,000
		]);
		expect(inv.subtotalCents).to.equal(14468 + 77368 + 24145 + 8800 + 1000);
		expect(inv.vat.amountCents).to.equal(Math.round(inv.subtotalCents * 0.2));
		expect(inv.checks).to.include({ plan: "campus", seatsUsed: 3110, seatsIncluded: 3000, seatLimit: 3200 });
		expect(inv.buyer).to.include({ name: "Lycée Prorata" });
		// The subscription became active with the paid plan and stays so.
		expect((await ok(http("GET", "/api/subscription", { token: school.admin.token }))).lifecycle).to.equal("active");
	});

	it("applies VAT by country: OSS rate without a VAT number, export outside the EU", async () => {
		setClock("2038-03-01T09:00:00Z");
		const [de, ch] = await Promise.all([schoolOnPlan(root, "essential"), schoolOnPlan(root, "essential")]);
		await saveAccount(de.admin, { legalName: "Schule Berlin", country: "DE", address: { line1: "Unter den Linden 1", postalCode: "10117", city: "Berlin" } });
		await saveAccount(ch.admin, { legalName: "École de Genève", country: "CH", vatNumber: "CHE-123.456.789", address: { line1: "Rue du Rhône 1", postalCode: "1204", city: "Genève" } });
		setClock("2038-04-01T02:00:00+02:00");
		await runFor("2038-03", de.school.id);
		await runFor("2038-03", ch.school.id);
		const deInv = await invoiceOf(de.admin, "2038-03");
		expect(deInv.vat).to.include({ scheme: "eu_oss", rateBps: 1900, amountCents: 5681, country: "DE" });
		expect(deInv.totalCents).to.equal(29900 + 5681);
		const chInv = await invoiceOf(ch.admin, "2038-03");
		expect(chInv.vat).to.include({ scheme: "export", amountCents: 0 });
		expect(chInv.buyer.vatNumber).to.equal("CHE123456789");
	});

	it("corrects a final invoice only by credit notes, in their own gapless series; a full credit voids it", async () => {
		setClock("2038-05-01T09:00:00Z");
		const school = await schoolOnPlan(root, "essential");
		const billingEmail = `${unique("avoir")}@school.test`;
		await saveAccount(school.admin, { legalName: "Lycée Avoir", billingEmail });
		setClock("2038-06-01T03:00:00+02:00");
		await runFor("2038-05", school.school.id);
		const inv = await invoiceOf(school.admin, "2038-05");
		const before = { hash: inv.contentHash, lines: inv.lines, number: inv.number };
		const probe = await billingEventProbe(["billing.invoice.voided"]);
		try {
			const path = `/api/billing/invoices/${inv.id}/credit-notes`;
			const requestId = unique("req-");
			const partial = await ok(http("POST", path, { token: root.token, body: { requestId, reason: "Geste commercial", lines: [{ description: "Remise exceptionnelle", amountCents: 5000 }] } }));
			expect(partial).to.include({ status: "issued", invoiceNumber: inv.number, subtotalCents: 5000, totalCents: 6000, voidsInvoice: false, refundDueCents: 0 });
			expect(partial.number).to.match(/^AV-2038-\d{6}$/);
			// The same request again makes nothing new.
			const replay = await ok(http("POST", path, { token: root.token, body: { requestId, reason: "Geste commercial", lines: [{ description: "Remise exceptionnelle", amountCents: 5000 }] } }));
			expect(replay.id).to.equal(partial.id);
			let now = await invoiceOf(school.admin, "2038-05");
			expect(now).to.include({ status: "pending", amountCreditedCents: 6000, amountDueCents: inv.totalCents - 6000 });
			expect(now.creditNotes.map((n: any) => n.number)).to.deep.equal([partial.number]);

			// Voiding credits the rest; the invoice's own content is untouched.
			const rest = await ok(http("POST", `/api/billing/invoices/${inv.id}/void`, { token: root.token, body: { requestId: unique("req-"), reason: "Contrat annulé" } }));
			expect(rest).to.include({ totalCents: inv.totalCents - 6000, voidsInvoice: true });
			expect(Number(rest.number.slice(-6))).to.equal(Number(partial.number.slice(-6)) + 1);
			now = await invoiceOf(school.admin, "2038-05");
			expect(now).to.include({ status: "void", statusLabel: "ANNULEE", amountDueCents: 0, amountCreditedCents: inv.totalCents, contentHash: before.hash, number: before.number });
			expect(now.lines).to.deep.equal(before.lines);
			const voided = await eventually(async () => probe.messages.find(m => m.message.invoiceId === inv.id), "billing.invoice.voided");
			expect(voided.message).to.include({ schoolId: school.school.id, creditNoteNumber: rest.number });
			const mail = await eventually(async () => (await mailsTo(billingEmail, "billing-invoice-voided"))[0], "the voided mail");
			expect(mail.attachments[0].filename).to.equal(`avoir-${rest.number}.pdf`);

			// The credit note as the school reads it, with its PDF.
			const notes = await ok(http("GET", `/api/billing/credit-notes?invoiceId=${inv.id}`, { token: school.admin.token }));
			expect(notes.rows.map((n: any) => n.number).sort()).to.deep.equal([partial.number, rest.number].sort());
			const { baseUrl } = await bootPlatform();
			const pdf = Buffer.from(await (await fetch(`${baseUrl}/api/billing/credit-notes/${rest.id}/pdf`, { headers: { authorization: `Bearer ${school.admin.token}` } })).arrayBuffer());
			expect(pdfText(pdf)).to.contain("AVOIR").and.contain(rest.number).and.contain(`Facture corrigée : ${inv.number}`).and.contain("Contrat annulé");
			// Nothing more to credit.
			const more = await http("POST", path, { token: root.token, body: { requestId: unique("req-"), reason: "Encore", lines: [{ description: "x", amountCents: 1 }] } });
			expect(more.status).to.equal(422);
			const audit = await ok(http("GET", "/api/audit?action=billing.creditNote.issued", { token: school.admin.token }));
			expect(audit.rows).to.have.length(2);
		} finally {
			await probe.stop();
		}
	});

	it("owes back what a credit note takes off a paid invoice", async () => {
		setClock("2038-07-01T09:00:00Z");
		const school = await schoolOnPlan(root, "essential");
		setClock("2038-08-01T03:00:00+02:00");
		await runFor("2038-07", school.school.id);
		const inv = await invoiceOf(school.admin, "2038-07");
		await ok(http("POST", `/api/billing/invoices/${inv.id}/mark-paid`, { token: root.token, body: { reference: unique("VIR-") } }));
		const note = await ok(http("POST", `/api/billing/invoices/${inv.id}/credit-notes`, { token: root.token, body: { requestId: unique("req-"), reason: "Trop perçu", lines: [{ description: "Remboursement", amountCents: 10000 }] } }));
		expect(note).to.include({ totalCents: 12000, refundDueCents: 12000, voidsInvoice: false });
		expect(await invoiceOf(school.admin, "2038-07")).to.include({ status: "paid", amountPaidCents: inv.totalCents, amountCreditedCents: 12000, amountDueCents: 0 });
		expect((await http("POST", `/api/billing/invoices/${inv.id}/void`, { token: root.token, body: { requestId: unique("req-"), reason: "Non" } })).status).to.equal(409);
	});

	it("keeps each final document exactly as it was issued: the PDF downloaded later is the one mailed", async () => {
		setClock("2038-09-01T09:00:00Z");
		const school = await schoolOnPlan(root, "essential");
		const email = `${unique("pdf")}@school.test`;
		await saveAccount(school.admin, { legalName: "Lycée Archive", billingEmail: email });
		setClock("2038-10-01T03:00:00+02:00");
		await runFor("2038-09", school.school.id);
		const inv = await invoiceOf(school.admin, "2038-09");
		const mail = await eventually(async () => (await mailsTo(email, "billing-invoice-created"))[0], "the invoice mail");
		// The school renames itself and the invoice is paid: the document does not move.
		await saveAccount(school.admin, { legalName: "Lycée Renommé", billingEmail: email });
		await ok(http("POST", `/api/billing/invoices/${inv.id}/mark-paid`, { token: root.token, body: { reference: unique("VIR-") } }));
		const { baseUrl } = await bootPlatform();
		const pdf = Buffer.from(await (await fetch(`${baseUrl}/api/billing/invoices/${inv.id}/pdf`, { headers: { authorization: `Bearer ${school.admin.token}` } })).arrayBuffer());
		expect(pdf.length).to.equal(mail.attachments[0].size);
		expect(pdfText(pdf)).to.contain("Lycée Archive").and.not.contain("Lycée Renommé");
		const after = await invoiceOf(school.admin, "2038-09");
		expect(after).to.include({ contentHash: inv.contentHash, status: "paid" });
		expect(after.buyer.name).to.equal("Lycée Archive");
	});

	it("gives the platform MRR, outstanding and overdue amounts and invoices per status", async () => {
		const overview = await ok(http("GET", "/api/billing/overview", { token: root.token }));
		expect(overview).to.include.keys(["mrrCents", "byLifecycle", "payingSchools", "outstanding", "overdue", "invoicesByStatus", "numbering"]);
		expect(overview.mrrCents).to.be.greaterThan(0);
		expect(overview.invoicesByStatus.void.count).to.be.at.least(1);
		expect(overview.invoicesByStatus.paid.count).to.be.at.least(2);
		// The clock is in October 2038: every pending invoice of this suite's earlier months is overdue.
		expect(overview.overdue.cents).to.be.at.most(overview.outstanding.cents);
		expect(overview.overdue.count).to.be.at.least(3);
		const year = overview.numbering.invoices.find((y: any) => y.year === 2038);
		expect(year).to.include({ missing: 0 });
		const notes = overview.numbering.creditNotes.find((y: any) => y.year === 2038);
		expect(notes).to.include({ missing: 0, issued: 3 });
		const may = await ok(http("GET", "/api/billing/overview?period=2038-05", { token: root.token }));
		expect(may.invoicesByStatus.void.count).to.be.at.least(1);
	});
});
