/**
 * `http hygiene` (issue 9, §3), the development outbox: GET /api/dev/mails hands out every mailed token,
 * so it needs a platform admin AND DEV_MAIL_OUTBOX=on, is off by default and can never be on in production.
 */
import { expect } from "chai";
import { ConfigError, loadSettings } from "../../config/env.js";
import { createPlatformAdmin, invite, signupSchool, type Account } from "../support/accounts.js";
import { bootPlatform, http, settings, systemMeta, unique } from "../support/platform.js";
import { withSettings } from "../support/settings-override.js";

describe("http hygiene", () => {
	describe("GET /api/dev/mails (development outbox)", () => {
		let root: Account;
		let admin: Account;
		let teacher: Account;

		before(async () => {
			root = await createPlatformAdmin();
			const school = await signupSchool();
			admin = school.admin;
			teacher = await invite(admin, "teacher");
		});

		const send = async (to: string, text: string) => {
			const { broker } = await bootPlatform();
			await broker.call("mailer.send", { to, subject: "Reset", text, tag: "password-reset" }, { meta: systemMeta() });
		};

		it("is off by default and can never be switched on in production", () => {
			expect(loadSettings({}).devMailOutbox).to.equal(false);
			expect(loadSettings({ NODE_ENV: "development" }).devMailOutbox).to.equal(false);
			expect(loadSettings({ DEV_MAIL_OUTBOX: "on" }).devMailOutbox).to.equal(true);
			expect(() => loadSettings({ NODE_ENV: "production", JWT_SECRET: "x".repeat(32), DEV_MAIL_OUTBOX: "on" })).to.throw(ConfigError, "DEV_MAIL_OUTBOX");
			expect(settings().devMailOutbox, "the test platform runs with it off").to.equal(false);
		});

		it("answers 404 even to a platform admin while the setting is off, and keeps nothing", async () => {
			const to = `${unique("off")}@example.test`;
			await send(to, "token=secret-off");
			const res = await http("GET", `/api/dev/mails?to=${encodeURIComponent(to)}`, { token: root.token });
			expect(res.status).to.equal(404);
			expect(res.body.error.type).to.equal("ROUTE_NOT_FOUND");
			// Switching it on later shows nothing of what was sent while it was off.
			await withSettings({ devMailOutbox: true }, async () => {
				const later = await http("GET", `/api/dev/mails?to=${encodeURIComponent(to)}`, { token: root.token });
				expect(later.status).to.equal(200);
				expect(later.body.total).to.equal(0);
			});
		});

		it("with the setting on, refuses anonymous callers (401) and school members (403), even a school admin", async () => {
			await withSettings({ devMailOutbox: true }, async () => {
				const anonymous = await http("GET", "/api/dev/mails");
				expect(anonymous.status).to.equal(401);
				for (const member of [admin, teacher]) {
					const res = await http("GET", "/api/dev/mails", { token: member.token });
					expect(res.status, JSON.stringify(res.body)).to.equal(403);
					expect(res.body.error.type).to.equal("FORBIDDEN_ROLE");
					expect(JSON.stringify(res.body)).to.not.include("token=");
				}
			});
		});

		it("with the setting on, lists mail to a platform admin, newest first, filtered and paged", async () => {
			await withSettings({ devMailOutbox: true }, async () => {
				const to = `${unique("on")}@example.test`;
				await send(to, "first token=one");
				await send(to, "second token=two");
				const res = await http("GET", `/api/dev/mails?to=${encodeURIComponent(to)}&tag=password-reset&pageSize=1`, { token: root.token });
				expect(res.status, JSON.stringify(res.body)).to.equal(200);
				expect(res.body).to.include({ total: 2, page: 1, pageSize: 1, totalPages: 2 });
				expect(res.body.rows[0]).to.include({ to, text: "second token=two", tag: "password-reset" });
				const tooBig = await http("GET", "/api/dev/mails?pageSize=101", { token: root.token });
				expect(tooBig.status).to.equal(422);
			});
		});
	});
});
