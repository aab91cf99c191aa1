/**
 * The invoice mail through a real SMTP server (Mailpit): the PDF arrives as an attachment with its
 * name and type, byte for byte. (The suite's platform keeps mail in memory; this talks SMTP itself.)
 */
import { expect } from "chai";
import { createMailTransport } from "../../services/communication/mail-transport.js";
import { renderPdf } from "../../services/billing/invoice-pdf.js";
import { eventually, mailpitMailsTo } from "../support/billing.js";
import { unique } from "../support/platform.js";

describe("billing mail over SMTP", function () {
	this.timeout(30_000);

	it("delivers the invoice PDF as an attachment", async function () {
		const smtpUrl = process.env.MAILPIT_SMTP_URL;
		const api = process.env.MAILPIT_API_URL;
		if (!smtpUrl || !api) {
			console.log("      (skipped: MAILPIT_SMTP_URL / MAILPIT_API_URL are not set: run `bash .ci/services.sh start mailpit`)");
			this.skip();
		}
		const pdf = await renderPdf(
			{
				kind: "invoice", number: "FA-2026-000999", issueDate: new Date("2026-12-01T01:00:00Z"), dueDate: new Date("2026-12-31T01:00:00Z"), period: "2026-11",
				seller: { name: "Learning Platform SAS", address: ["Paris"], country: "FR" }, buyer: { name: "Lycée", address: [], country: "FR" },
				lines: [{ description: "Abonnement", quantity: 1, unitAmountCents: 29900, amountCents: 29900 }], subtotalCents: 29900,
				vat: { scheme: "domestic", rateBps: 2000, amountCents: 5980 }, totalCents: 35880,
			},
			"Europe/Paris",
		);
		const transport = createMailTransport({ smtpUrl, from: "Billing <billing@platform.test>", keepOutbox: false });
		const to = `${unique("invoice")}@school.test`;
		const subject = unique("Facture FA-2026-000999 ");
		try {
			await transport.send({ to, subject, text: "Votre facture est jointe.", tag: "billing-invoice-created", attachments: [{ filename: "facture-FA-2026-000999.pdf", contentType: "application/pdf", content: pdf.toString("base64"), encoding: "base64" }] });
		} finally {
			transport.close();
		}
		// Read back the way the billing suites read mail when the platform sends over SMTP.
		const mail = await eventually(async () => (await mailpitMailsTo(api!, to, "billing-invoice-created"))[0], "the mail in Mailpit");
		expect(mail.subject).to.equal(subject);
		expect(mail.attachments).to.have.length(1);
		const part: any = mail.attachments[0];
		expect(part).to.include({ filename: "facture-FA-2026-000999.pdf", contentType: "application/pdf" });
		const bytes = Buffer.from(await (await fetch(`${api}/api/v1/message/${part.messageId}/part/${part.partId}`)).arrayBuffer());
		expect(bytes.equals(pdf)).to.equal(true);
		expect(part.size).to.be.closeTo(pdf.length, 8);
	});
});
