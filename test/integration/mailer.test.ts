import { expect } from "chai";
import { mailsTo, waitForMails } from "../support/mailpit.js";
import { bootPlatform, http, systemMeta, unique } from "../support/platform.js";

describe("mail delivery", () => {
	describe("the mailer over SMTP (Mailpit)", () => {
		const send = async (params: Record<string, unknown>) => {
			const { broker } = await bootPlatform();
			return broker.call("mailer.send", params, { meta: systemMeta() }) as Promise<{ id: string }>;
		};

		it("delivers text, HTML, tag and id headers to the SMTP server", async () => {
			const to = `${unique("mail")}@example.test`;
			const sent = await send({ to, subject: "Bonjour é", text: "two token=abc", html: "<b>two</b>", tag: "verify-email" });
			const [mail] = await waitForMails(to, 1);
			expect(mail).to.include({ subject: "Bonjour é", tag: "verify-email" });
			expect(mail.text.trim()).to.equal("two token=abc");
			expect(mail.html).to.include("<b>two</b>");
			expect(mail.headers["X-Mail-Id"]).to.deep.equal([sent.id]);
			expect(mail.listUnsubscribe).to.equal(undefined);
		});

		it("adds one-click unsubscribe headers (RFC 8058) when given a link", async () => {
			const to = `${unique("mail")}@example.test`;
			await send({ to, subject: "Digest", text: "x", unsubscribeUrl: "http://localhost:8080/api/mail/unsubscribe?token=abc" });
			const [mail] = await waitForMails(to, 1);
			expect(mail.listUnsubscribe).to.equal("http://localhost:8080/api/mail/unsubscribe?token=abc");
			expect(mail.headers["List-Unsubscribe-Post"]).to.deep.equal(["List-Unsubscribe=One-Click"]);
		});

		it("refuses to send to something that is not an email address, and sends nothing", async () => {
			const err: any = await send({ to: "nobody", subject: unique("subject"), text: "x" }).catch(e => e);
			expect(err.name).to.equal("ValidationError");
			expect(await mailsTo("nobody")).to.have.length(0);
		});

		it("cannot be asked to send mail over HTTP", async () => {
			const res = await http("POST", "/api/dev/mails", { body: { to: "a@example.test", subject: "s", text: "t" } });
			expect(res.status).to.equal(404);
		});

		it("is internal: a call with neither a service nor the system behind it is refused", async () => {
			const { broker } = await bootPlatform();
			const err: any = await (async () => broker.call("mailer.send", { to: "a@example.test", subject: "s", text: "t" }, { meta: {} }))().catch(e => e);
			expect(err.code).to.equal(401);
		});
	});
});
