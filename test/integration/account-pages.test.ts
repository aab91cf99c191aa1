/**
 * `mail links`: the links in signup, invitation and password-reset mails open the web client (web/, served by
 * the gateway at the root), whose pages send the token to the API; no token leaks through Referer, nothing
 * inline runs (a strict CSP), and paths that are neither a client route nor a file still answer 404. The
 * pages themselves are driven in Chromium by the `browser e2e` group.
 */
import { readdir, readFile } from "node:fs/promises";
import { expect } from "chai";
import { ensureWebClient } from "../../scripts/web-client.js";
import { WEB_DIST } from "../../services/gateway/web-client.js";
import { latestMail, signupSchool, PASSWORD } from "../support/accounts.js";
import { bootPlatform, http, settings, unique } from "../support/platform.js";

async function open(link: string) {
	const { baseUrl } = await bootPlatform();
	const url = new URL(link);
	const res = await fetch(`${baseUrl}${url.pathname}${url.search}`);
	return { res, html: await res.text() };
}

describe("mail links", function () {
	this.timeout(120_000);
	before(async () => {
		expect(await ensureWebClient({ log: () => undefined }), "the web client must be built (npm ci builds it)").to.not.equal("unbuildable");
		await bootPlatform();
	});

	it("a verification, an invitation and a reset link each open the client, with no inline script and no Referer", async () => {
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
			expect(res.headers.get("content-security-policy")).to.include("script-src 'self'").and.not.include("unsafe-inline");
			expect(html).to.match(/<script type="module" crossorigin src="\/assets\/index-[\w-]+\.js"><\/script>/);
			expect(html, "no inline script").to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/);
			expect(html, "no inline style").to.not.match(/<style|style="/);
		}
	});

	it("serves the client's bundle, which knows what each page sends; unknown files and API paths stay 404", async () => {
		const { baseUrl } = await bootPlatform();
		const bundle = (await readdir(`${WEB_DIST}assets`)).find(f => /^index-.*\.js$/.test(f))!;
		const js = await fetch(`${baseUrl}/assets/${bundle}`);
		expect(js.status).to.equal(200);
		expect(js.headers.get("content-type")).to.match(/javascript/);
		expect(js.headers.get("cache-control")).to.include("immutable");
		const source = await js.text();
		expect(source).to.equal(await readFile(`${WEB_DIST}assets/${bundle}`, "utf8"));
		for (const route of ["/api/auth/verify-email", "/api/invitations/accept", "/api/auth/password-reset/confirm"]) expect(source).to.include(route);
		for (const path of ["/no-such-file.js", "/assets/missing.js", "/api/no-such-route", "/health/nope"]) {
			const res = await fetch(`${baseUrl}${path}`);
			expect(res.status, path).to.equal(404);
			expect((await res.json()).error.type, path).to.be.a("string");
		}
		// A client route the client does not know is its own "page not found", not the server's.
		const unknownPage = await fetch(`${baseUrl}/no-such-page`);
		expect(unknownPage.status).to.equal(200);
		expect(await unknownPage.text()).to.include('<div id="app">');
		// Only GET and HEAD reach the client: a POST to a page is not one.
		expect((await fetch(`${baseUrl}/login`, { method: "POST" })).status).to.equal(404);
	});

	it("the reset page's request does what the form sends: a new password works", async () => {
		const school = await signupSchool();
		expect((await http("POST", "/api/auth/password-reset/request", { body: { email: school.admin.email } })).status).to.be.within(200, 204);
		const token = /reset-password\?token=([A-Za-z0-9_-]+)/.exec((await latestMail(school.admin.email!, "password-reset")).text)![1];
		// The body the reset page posts (web/src/views/auth.tsx): { token, password }.
		const done = await http("POST", "/api/auth/password-reset/confirm", { body: { token, password: `${PASSWORD} renewed` } });
		expect(done.status, JSON.stringify(done.body)).to.be.within(200, 204);
		expect((await http("POST", "/api/auth/login", { body: { email: school.admin.email, password: `${PASSWORD} renewed` } })).status).to.equal(200);
	});
});
