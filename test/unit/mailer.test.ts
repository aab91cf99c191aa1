import { expect } from "chai";
import { Errors, ServiceBroker } from "moleculer";
import { overrideSettings, settings, type Settings } from "../../config/env.js";
import MailerService from "../../services/communication/mailer.service.js";
import { Outbox, type OutboxMail } from "../../services/communication/outbox.js";

const mail = (n: number, extra: Partial<OutboxMail> = {}): OutboxMail => ({
	id: `m${n}`,
	to: `user${n % 2}@example.test`,
	subject: `Subject ${n}`,
	text: `Body ${n}`,
	tag: n % 3 === 0 ? "invitation" : "verify-email",
	sentAt: new Date(1_700_000_000_000 + n * 1000).toISOString(),
	...extra,
});

describe("Outbox", () => {
	it("lists newest first with the page envelope", () => {
		const outbox = new Outbox();
		for (let i = 1; i <= 5; i++) outbox.add(mail(i));
		const page = outbox.list({ pageSize: 2 });
		expect(page.rows.map(r => r.id)).to.deep.equal(["m5", "m4"]);
		expect(page).to.include({ total: 5, page: 1, pageSize: 2, totalPages: 3 });
		expect(outbox.list({ page: 3, pageSize: 2 }).rows.map(r => r.id)).to.deep.equal(["m1"]);
	});

	it("filters by recipient (ignoring case) and by tag", () => {
		const outbox = new Outbox();
		for (let i = 1; i <= 6; i++) outbox.add(mail(i));
		expect(outbox.list({ to: "USER1@example.test" }).rows.map(r => r.id)).to.deep.equal(["m5", "m3", "m1"]);
		expect(outbox.list({ to: "user1@example.test", tag: "invitation" }).rows.map(r => r.id)).to.deep.equal(["m3"]);
		expect(outbox.list({ to: "user1@example" }).total).to.equal(0);
	});

	it("keeps only the newest mail beyond its capacity", () => {
		const outbox = new Outbox(3);
		for (let i = 1; i <= 7; i++) outbox.add(mail(i));
		expect(outbox.size).to.equal(3);
		expect(outbox.list().rows.map(r => r.id)).to.deep.equal(["m7", "m6", "m5"]);
	});

	it("does not expose the html part in listings", () => {
		const outbox = new Outbox();
		outbox.add(mail(1, { html: "<p>hi</p>" }));
		expect(outbox.list().rows[0]).to.not.have.property("html");
	});

	it("refuses a capacity that is not a positive integer", () => {
		expect(() => new Outbox(0)).to.throw(RangeError);
	});
});

describe("mailer service", () => {
	let saved: Settings;
	const brokers: ServiceBroker[] = [];

	before(() => {
		saved = settings();
	});
	afterEach(async () => {
		overrideSettings({ smtpUrl: saved.smtpUrl, nodeEnv: saved.nodeEnv, devMailOutbox: saved.devMailOutbox });
		await Promise.all(brokers.splice(0).map(b => b.stop()));
	});

	async function startMailer(patch: Partial<Settings>): Promise<ServiceBroker> {
		overrideSettings(patch);
		const broker = new ServiceBroker({ logger: false, validator: true });
		broker.createService(MailerService);
		brokers.push(broker);
		await broker.start();
		return broker;
	}

	it("keeps a copy of sent mail in the outbox when DEV_MAIL_OUTBOX is on", async () => {
		const broker = await startMailer({ smtpUrl: undefined, nodeEnv: "test", devMailOutbox: true });
		const sent: any = await broker.call("mailer.send", { to: "a@example.test", subject: "Hi", text: "token=abc", tag: "invitation" });
		expect(sent.id).to.be.a("string");
		const page: any = await broker.call("mailer.outbox", { to: "a@example.test" });
		expect(page.total).to.equal(1);
		expect(page.rows[0]).to.include({ id: sent.id, to: "a@example.test", subject: "Hi", text: "token=abc", tag: "invitation" });
		expect(Date.parse(page.rows[0].sentAt)).to.be.closeTo(Date.now(), 5000);
	});

	it("rejects a recipient that is not an email address", async () => {
		const broker = await startMailer({ smtpUrl: undefined, nodeEnv: "test", devMailOutbox: true });
		const err = await broker.call("mailer.send", { to: "not-an-email", subject: "Hi", text: "x" }).catch(e => e);
		expect(err).to.be.instanceOf(Errors.ValidationError);
		expect(((await broker.call("mailer.outbox", {})) as any).total).to.equal(0);
	});

	for (const [label, patch] of [
		["DEV_MAIL_OUTBOX is off (the default), even without SMTP", { smtpUrl: undefined, nodeEnv: "development", devMailOutbox: false }],
		["in production, whatever the setting says", { smtpUrl: undefined, nodeEnv: "production", devMailOutbox: true }],
	] as const) {
		it(`has no outbox when ${label}`, async () => {
			const broker = await startMailer(patch);
			const err: any = await broker.call("mailer.outbox", {}).catch(e => e);
			expect(err).to.include({ code: 404, type: "ROUTE_NOT_FOUND" });
		});
	}
});
