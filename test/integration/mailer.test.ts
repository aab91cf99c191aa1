import { expect } from "chai";
import { bootPlatform, http, systemMeta, unique } from "../support/platform.js";

describe("mailer", () => {
	const send = async (params: Record<string, unknown>) => {
		const { broker } = await bootPlatform();
		return broker.call("mailer.send", params, { meta: systemMeta() }) as Promise<{ id: string }>;
	};

	it("lists mail sent to an address at GET /api/dev/mails, newest first", async () => {
		const to = `${unique("mail")}@example.test`;
		const first = await send({ to, subject: "First", text: "one", tag: "invitation" });
		const second = await send({ to, subject: "Second", text: "two token=abc", html: "<b>two</b>", tag: "verify-email" });
		await send({ to: `${unique("other")}@example.test`, subject: "Elsewhere", text: "x" });

		const res = await http("GET", `/api/dev/mails?to=${encodeURIComponent(to)}`);
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
		expect(res.body).to.include({ total: 2, page: 1, totalPages: 1 });
		expect(res.body.rows.map((m: any) => m.id)).to.deep.equal([second.id, first.id]);
		expect(res.body.rows[0]).to.include({ to, subject: "Second", text: "two token=abc", tag: "verify-email" });
		expect(res.body.rows[0].sentAt).to.be.a("string");
	});

	it("filters by tag and pages", async () => {
		const to = `${unique("mail")}@example.test`;
		for (let i = 0; i < 3; i++) await send({ to, subject: `Reset ${i}`, text: "r", tag: "password-reset" });
		await send({ to, subject: "Invite", text: "i", tag: "invitation" });

		const res = await http("GET", `/api/dev/mails?to=${encodeURIComponent(to)}&tag=password-reset&page=2&pageSize=2`);
		expect(res.status).to.equal(200);
		expect(res.body).to.include({ total: 3, page: 2, pageSize: 2, totalPages: 2 });
		expect(res.body.rows.map((m: any) => m.subject)).to.deep.equal(["Reset 0"]);
	});

	it("answers 422 to a page size over 100", async () => {
		const res = await http("GET", "/api/dev/mails?pageSize=101");
		expect(res.status).to.equal(422);
		expect(res.body.error.type).to.equal("VALIDATION_ERROR");
	});

	it("refuses to send to something that is not an email address, and keeps nothing", async () => {
		const subject = unique("subject");
		const err: any = await send({ to: "nobody", subject, text: "x" }).catch(e => e);
		expect(err.name).to.equal("ValidationError");
		const res = await http("GET", "/api/dev/mails?to=nobody");
		expect(res.body.total).to.equal(0);
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
