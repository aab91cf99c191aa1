/**
 * `mail links`: the links in signup, invitation and password-reset mails open a page of the platform
 * (they answered 404 before), whose script is served beside it, with no token leaking through Referer.
 */
import { expect } from "chai";
import { latestMail, signupSchool, PASSWORD } from "../support/accounts.js";
import { bootPlatform, http, settings, unique } from "../support/platform.js";

async function open(link: string) {
	const { baseUrl } = await bootPlatform();
	const url = new URL(link);
	const res = await fetch(`${baseUrl}${url.pathname}${url.search}`);
	return { res, html: await res.text() };
}

describe("mail links", function () {
	before(bootPlatform);

	it("a verification, an invitation and a reset link each open a page that knows what to do with the token", async () => {
		const school = await signupSchool();
		const email = `${unique("pages")}@school.test`;
		expect((await http("POST", "/api/invitations", { token: school.admin.token, body: { email, role: "teacher" } })).status).to.equal(201);
		expect((await http("POST", "/api/auth/password-reset/request", { body: { email: school.admin.email } })).status).to.be.within(200, 204);
		const links = [
			[(await latestMail(school.admin.email!, "verify-email")).text, "verify-email"],
			[(await latestMail(email, "invitation")).text, "accept-invitation"],
			[(await latestMail(school.admin.email!, "password-reset")).text, "reset-password"],
		] as const;
		for (const [text, page] of links) {
			const link = new RegExp(`${settings().publicUrl}/${page}\\?token=[A-Za-z0-9_-]+`).exec(text)?.[0];
			expect(link, `a ${page} link in: ${text}`).to.be.a("string");
			const { res, html } = await open(link!);
			expect(res.status, page).to.equal(200);
			expect(res.headers.get("content-type")).to.match(/^text\/html/);
			expect(res.headers.get("referrer-policy")).to.equal("no-referrer");
			expect(res.headers.get("cache-control")).to.equal("no-store");
			expect(html).to.include(`data-page="${page}"`).and.include(`src="/account/pages.js"`);
			expect(html, "no inline script").to.not.match(/<script>(?!<\/script>)/);
			// The page's own script and style load under its policy; nothing else does.
			const csp = res.headers.get("content-security-policy") ?? "";
			expect(csp).to.include("script-src 'self'").and.include("default-src 'self'").and.not.include("unsafe-eval");
		}
	});

	it("serves the pages' script and style, and still answers 404 for unknown root paths", async () => {
		const { baseUrl } = await bootPlatform();
		const js = await fetch(`${baseUrl}/account/pages.js`);
		expect(js.status).to.equal(200);
		expect(js.headers.get("content-type")).to.match(/javascript/);
		const source = await js.text();
		for (const route of ["/auth/verify-email", "/invitations/accept", "/auth/password-reset/confirm"]) expect(source).to.include(route);
		expect((await fetch(`${baseUrl}/account/pages.css`)).status).to.equal(200);
		const unknown = await fetch(`${baseUrl}/no-such-page`);
		expect(unknown.status).to.equal(404);
	});

	it("the reset page's request does what the form sends: a new password works", async () => {
		const school = await signupSchool();
		expect((await http("POST", "/api/auth/password-reset/request", { body: { email: school.admin.email } })).status).to.be.within(200, 204);
		const token = /reset-password\?token=([A-Za-z0-9_-]+)/.exec((await latestMail(school.admin.email!, "password-reset")).text)![1];
		// The body pages.js posts for this page: { token, password }.
		const done = await http("POST", "/api/auth/password-reset/confirm", { body: { token, password: `${PASSWORD} renewed` } });
		expect(done.status, JSON.stringify(done.body)).to.be.within(200, 204);
		expect((await http("POST", "/api/auth/login", { body: { email: school.admin.email, password: `${PASSWORD} renewed` } })).status).to.equal(200);
	});
});
