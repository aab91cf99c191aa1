import { expect } from "chai";
import { OneTimeToken } from "../../models/one-time-token.model.js";
import { LoginThrottle } from "../../services/users/login-throttle.js";
import { openRateLimits } from "../../services/users/rate-limits.js";
import { hashToken } from "../../services/users/opaque-token.js";
import { createUsernameStudent, latestMail, login, mailsTo, PASSWORD, signupSchool, tokenFrom, type SchoolFixture } from "../support/accounts.js";
import { bootPlatform, http, settings, unique } from "../support/platform.js";
import { withSettings } from "../support/settings-override.js";

async function noMail(to: string, tag: string): Promise<void> {
	expect(await mailsTo(to, tag)).to.have.length(0);
}

async function signupUnverified(): Promise<{ email: string; body: any }> {
	const email = `${unique("admin")}@school.test`;
	const res = await http("POST", "/api/schools/signup", {
		body: { school: { name: unique("School "), timezone: "Europe/Paris" }, admin: { email, password: PASSWORD, firstName: "Ada", lastName: "Admin" } },
	});
	expect(res.status, JSON.stringify(res.body)).to.equal(201);
	return { email, body: res.body };
}

async function auditActions(token: string, action: string): Promise<any[]> {
	const res = await http("GET", `/api/audit?action=${encodeURIComponent(action)}&pageSize=100`, { token });
	expect(res.status, JSON.stringify(res.body)).to.equal(200);
	return res.body.rows;
}

async function clearAddressThrottle(): Promise<void> {
	const { broker } = await bootPlatform();
	for (const ip of ["127.0.0.1", "::1"]) await (broker.getLocalService("auth") as any).throttle.clearAddress(ip);
}

describe("auth", () => {
	let fx: SchoolFixture;

	before(async () => {
		fx = await signupSchool();
	});
	after(clearAddressThrottle);

	describe("login and email verification", () => {
		it("refuses a school admin whose email is not verified, then lets them in once verified", async () => {
			const { email } = await signupUnverified();
			const early = await http("POST", "/api/auth/login", { body: { email, password: PASSWORD } });
			expect(early.status).to.equal(403);
			expect(early.body.error.type).to.equal("EMAIL_NOT_VERIFIED");

			const mail = await latestMail(email, "verify-email");
			expect(mail.text).to.include(`${settings().publicUrl}/verify-email?token=`);
			const token = tokenFrom(mail);
			expect((await http("POST", "/api/auth/verify-email", { body: { token } })).status).to.equal(200);
			const again = await http("POST", "/api/auth/verify-email", { body: { token } });
			expect(again.status).to.equal(410);
			expect(again.body.error.type).to.equal("TOKEN_USED");

			const body = await login({ email: email.toUpperCase(), password: PASSWORD });
			expect(body).to.include.keys("accessToken", "refreshToken", "expiresIn");
			expect(body.tokenType).to.equal("Bearer");
			expect(body.expiresIn).to.be.at.most(900);
			expect(body.user).to.include({ email, firstName: "Ada", lastName: "Admin" });
			expect(body.user.roles).to.deep.equal(["school_admin"]);
			expect(body.user).to.not.have.any.keys("passwordHash", "loginKey", "usernameKey");
		});

		it("answers an unknown verification token with 400 INVALID_TOKEN and a malformed one with 422", async () => {
			const res = await http("POST", "/api/auth/verify-email", { body: { token: "A".repeat(43) } });
			expect(res.status).to.equal(400);
			expect(res.body.error.type).to.equal("INVALID_TOKEN");
			expect((await http("POST", "/api/auth/verify-email", { body: { token: "not a token!" } })).status).to.equal(422);
		});

		it("gives the same 401 for a wrong password and an unknown account", async () => {
			const wrong = await http("POST", "/api/auth/login", { body: { email: fx.admin.email, password: "wrong password 123" } });
			const unknown = await http("POST", "/api/auth/login", { body: { email: `${unique("nobody")}@x.test`, password: "wrong password 123" } });
			expect(wrong.status).to.equal(401);
			expect(unknown.status).to.equal(401);
			expect(wrong.body).to.deep.equal(unknown.body);
			expect(wrong.body.error.type).to.equal("INVALID_CREDENTIALS");
		});

		it("refuses a login with neither an email nor a school code and username", async () => {
			const res = await http("POST", "/api/auth/login", { body: { username: "someone", password: PASSWORD } });
			expect(res.status).to.equal(422);
		});

		it("logs a student in with the school code (any case) and a username", async () => {
			const student = await createUsernameStudent(fx.admin, fx.school.code);
			const body = await login({ schoolCode: fx.school.code.toLowerCase(), username: student.username!.toUpperCase(), password: PASSWORD });
			expect(body.user.id).to.equal(student.id);
			expect(body.user.schoolId).to.equal(fx.school.id);
			const wrongSchool = await http("POST", "/api/auth/login", { body: { schoolCode: "ZZZZZZ", username: student.username, password: PASSWORD } });
			expect(wrongSchool.status).to.equal(401);
			expect(wrongSchool.body.error.type).to.equal("INVALID_CREDENTIALS");
		});

		it("audits logins and failed logins without breaking them", async () => {
			await http("POST", "/api/auth/login", { body: { email: fx.admin.email, password: "wrong password 123" } });
			const body = await login({ email: fx.admin.email!, password: PASSWORD });
			const logins = await auditActions(body.accessToken, "auth.login");
			expect(logins.some(e => e.actorId === fx.admin.id)).to.equal(true);
		});
	});

	describe("refresh tokens", () => {
		it("rotates: the new token works, the old one is refused and its whole family revoked", async () => {
			const first = await login({ email: fx.admin.email!, password: PASSWORD });
			const rotated = await http("POST", "/api/auth/refresh", { body: { refreshToken: first.refreshToken } });
			expect(rotated.status, JSON.stringify(rotated.body)).to.equal(200);
			expect(rotated.body.refreshToken).to.not.equal(first.refreshToken);
			expect(rotated.body.user.id).to.equal(fx.admin.id);
			const me = await http("GET", "/api/me", { token: rotated.body.accessToken });
			expect(me.status).to.equal(200);

			const replay = await http("POST", "/api/auth/refresh", { body: { refreshToken: first.refreshToken } });
			expect(replay.status).to.equal(401);
			expect(replay.body.error.type).to.equal("INVALID_TOKEN");
			// The thief's replay also ends the legitimate holder's current token.
			const afterReplay = await http("POST", "/api/auth/refresh", { body: { refreshToken: rotated.body.refreshToken } });
			expect(afterReplay.status).to.equal(401);
		});

		it("refuses unknown and malformed refresh tokens", async () => {
			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: "B".repeat(43) } })).status).to.equal(401);
			expect((await http("POST", "/api/auth/refresh", { body: {} })).status).to.equal(422);
		});

		it("logout revokes the given token's family only; all:true revokes every session", async () => {
			const a = await login({ email: fx.admin.email!, password: PASSWORD });
			const b = await login({ email: fx.admin.email!, password: PASSWORD });
			const c = await login({ email: fx.admin.email!, password: PASSWORD });
			expect((await http("POST", "/api/auth/logout", { body: { refreshToken: a.refreshToken } })).status).to.equal(401);
			expect((await http("POST", "/api/auth/logout", { token: a.accessToken, body: { refreshToken: a.refreshToken } })).status).to.equal(200);
			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: a.refreshToken } })).status).to.equal(401);
			const bRotated = await http("POST", "/api/auth/refresh", { body: { refreshToken: b.refreshToken } });
			expect(bRotated.status).to.equal(200);
			// A logout ends every access token of the account at once (live identity): the other sessions
			// refresh theirs, and their refresh tokens still work.
			const cStale = await http("GET", "/api/me", { token: c.accessToken });
			expect(cStale.status).to.equal(401);
			expect(cStale.body.error.type).to.equal("SESSION_ENDED");
			const cRotated = await http("POST", "/api/auth/refresh", { body: { refreshToken: c.refreshToken } });
			expect(cRotated.status).to.equal(200);

			expect((await http("POST", "/api/auth/logout", { token: cRotated.body.accessToken, body: { all: true } })).status).to.equal(200);
			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: bRotated.body.refreshToken } })).status).to.equal(401);
			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: cRotated.body.refreshToken } })).status).to.equal(401);
			fx.admin.token = (await login({ email: fx.admin.email!, password: PASSWORD })).accessToken;
		});

		it("ignores another user's refresh token at logout", async () => {
			const other = await signupSchool();
			const mine = await login({ email: fx.admin.email!, password: PASSWORD });
			expect((await http("POST", "/api/auth/logout", { token: other.admin.token, body: { refreshToken: mine.refreshToken } })).status).to.equal(200);
			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: mine.refreshToken } })).status).to.equal(200);
			// Nor does it end the other user's access tokens: only the caller's own.
			expect((await http("GET", "/api/me", { token: mine.accessToken })).status).to.equal(200);
		});
	});

	describe("concurrent use of single-use tokens", () => {
		const PARALLEL = 6;
		const statuses = (results: { status: number }[]) => results.map(r => r.status).sort();

		it("rotates a refresh token once: the other requests count as reuse and end the family", async () => {
			const session = await login({ email: fx.admin.email!, password: PASSWORD });
			const results = await Promise.all(
				Array.from({ length: PARALLEL }, () => http("POST", "/api/auth/refresh", { body: { refreshToken: session.refreshToken } })),
			);
			expect(statuses(results)).to.deep.equal([200, ...Array(PARALLEL - 1).fill(401)]);
			for (const lost of results.filter(r => r.status === 401)) expect(lost.body.error.type).to.equal("INVALID_TOKEN");
			// The winner's successor belongs to the revoked family: both sides log in again.
			const winner = results.find(r => r.status === 200)!;
			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: winner.body.refreshToken } })).status).to.equal(401);
			expect((await auditActions(fx.admin.token, "auth.refresh.reused")).length).to.be.at.least(1);
		});

		it("verifies an email once when the link is opened several times at once", async () => {
			const { email } = await signupUnverified();
			const token = tokenFrom(await latestMail(email, "verify-email"));
			const results = await Promise.all(Array.from({ length: PARALLEL }, () => http("POST", "/api/auth/verify-email", { body: { token } })));
			expect(statuses(results)).to.deep.equal([200, ...Array(PARALLEL - 1).fill(410)]);
			for (const lost of results.filter(r => r.status === 410)) expect(lost.body.error.type).to.equal("TOKEN_USED");
			await login({ email, password: PASSWORD });
		});

		it("resets a password once when the reset link is used several times at once", async () => {
			const school = await signupSchool();
			const email = school.admin.email!;
			await http("POST", "/api/auth/password-reset/request", { body: { email } });
			const token = tokenFrom(await latestMail(email, "password-reset"));
			const passwords = Array.from({ length: PARALLEL }, (_, i) => `a brand new passphrase ${i}`);
			const results = await Promise.all(passwords.map(password => http("POST", "/api/auth/password-reset/confirm", { body: { token, password } })));
			expect(statuses(results)).to.deep.equal([200, ...Array(PARALLEL - 1).fill(410)]);
			const chosen = passwords[results.findIndex(r => r.status === 200)];
			const loser = passwords.find(p => p !== chosen);
			expect((await http("POST", "/api/auth/login", { body: { email, password: loser } })).status).to.equal(401);
			await login({ email, password: chosen });
		});
	});

	describe("throttling", () => {
		it("blocks an account after repeated failures, even with the right password, with Retry-After", async () => {
			const school = await signupSchool();
			const email = school.admin.email!;
			for (let i = 0; i < settings().loginMaxFailures; i++) {
				expect((await http("POST", "/api/auth/login", { body: { email, password: "wrong password 123" } })).status).to.equal(401);
			}
			const blocked = await http("POST", "/api/auth/login", { body: { email, password: PASSWORD } });
			expect(blocked.status).to.equal(429);
			expect(blocked.body.error.type).to.equal("TOO_MANY_REQUESTS");
			expect(blocked.body.error.data.retryAfter).to.be.within(1, settings().loginWindowSeconds);
			expect(Number(blocked.headers.get("retry-after"))).to.be.within(1, settings().loginWindowSeconds);
			// Other accounts from the same address are not blocked by one account's failures.
			expect((await http("POST", "/api/auth/login", { body: { email: fx.admin.email, password: PASSWORD } })).status).to.equal(200);
		});

		it("clears the account's count on a successful login", async () => {
			const school = await signupSchool();
			const email = school.admin.email!;
			for (let round = 0; round < 2; round++) {
				for (let i = 0; i < settings().loginMaxFailures - 1; i++) {
					await http("POST", "/api/auth/login", { body: { email, password: "wrong password 123" } });
				}
				expect((await http("POST", "/api/auth/login", { body: { email, password: PASSWORD } })).status).to.equal(200);
			}
		});

		it("blocks an address that fails on many accounts", async () => {
			await clearAddressThrottle();
			try {
				await withSettings({ ipMaxFailures: 3 }, async () => {
					for (let i = 0; i < 3; i++) {
						await http("POST", "/api/auth/login", { body: { email: `${unique("spray")}@x.test`, password: "wrong password 123" } });
					}
					const blocked = await http("POST", "/api/auth/login", { body: { email: fx.admin.email, password: PASSWORD } });
					expect(blocked.status).to.equal(429);
				});
			} finally {
				await clearAddressThrottle();
			}
			expect((await http("POST", "/api/auth/login", { body: { email: fx.admin.email, password: PASSWORD } })).status).to.equal(200);
		});
	});

	describe("throttling without Redis", () => {
		it("still answers logins (200 and 401, never 500) when the shared store is unreachable", async () => {
			const { broker } = await bootPlatform();
			const auth = broker.getLocalService("auth") as any;
			const original = auth.throttle;
			const warnings: string[] = [];
			const store = await openRateLimits((message: string) => warnings.push(message), { redisUrl: "redis://127.0.0.1:1", prefix: "lp:test:", waitMs: 100 });
			auth.throttle = new LoginThrottle(store, () => ({ maxFailures: 2, windowSeconds: 60, ipMaxFailures: 100, accountMaxFailures: 100, accountWindowSeconds: 60, maxBlockSeconds: 60 }));
			try {
				const school = await signupSchool();
				const email = school.admin.email!;
				expect((await http("POST", "/api/auth/login", { body: { email, password: PASSWORD } })).status).to.equal(200);
				for (let i = 0; i < 2; i++) expect((await http("POST", "/api/auth/login", { body: { email, password: "wrong password 123" } })).status).to.equal(401);
				// Counted in this process meanwhile: the account is still protected.
				expect((await http("POST", "/api/auth/login", { body: { email, password: PASSWORD } })).status).to.equal(429);
				expect(warnings.length).to.be.at.least(1);
			} finally {
				auth.throttle = original;
				await store.close();
			}
		});
	});

	describe("password reset", () => {
		it("answers 202 for an unknown email and sends nothing", async () => {
			const email = `${unique("ghost")}@x.test`;
			const res = await http("POST", "/api/auth/password-reset/request", { body: { email } });
			expect(res.status).to.equal(202);
			expect(res.body).to.deep.equal({ ok: true });
			await new Promise(r => setTimeout(r, 200));
			await noMail(email, "password-reset");
		});

		it("resets with the mailed single-use token and ends every session", async () => {
			const school = await signupSchool();
			const email = school.admin.email!;
			const res = await http("POST", "/api/auth/password-reset/request", { body: { email: email.toUpperCase() } });
			expect(res.status).to.equal(202);
			const mail = await latestMail(email, "password-reset");
			expect(mail.text).to.include(`${settings().publicUrl}/reset-password?token=`);
			const token = tokenFrom(mail);

			const tooShort = await http("POST", "/api/auth/password-reset/confirm", { body: { token, password: "short" } });
			expect(tooShort.status).to.equal(422);

			const newPassword = "a brand new passphrase";
			expect((await http("POST", "/api/auth/password-reset/confirm", { body: { token, password: newPassword } })).status).to.equal(200);
			const reused = await http("POST", "/api/auth/password-reset/confirm", { body: { token, password: "another new passphrase" } });
			expect(reused.status).to.equal(410);
			expect(reused.body.error.type).to.equal("TOKEN_USED");

			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: school.admin.refreshToken } })).status).to.equal(401);
			expect((await http("POST", "/api/auth/login", { body: { email, password: PASSWORD } })).status).to.equal(401);
			await login({ email, password: newPassword });
			const audit = await auditActions((await login({ email, password: newPassword })).accessToken, "auth.password.reset");
			expect(audit).to.have.length(1);
		});

		it("refuses an expired reset token with 410 TOKEN_EXPIRED and keeps the password", async () => {
			const school = await signupSchool();
			const email = school.admin.email!;
			await http("POST", "/api/auth/password-reset/request", { body: { email } });
			const token = tokenFrom(await latestMail(email, "password-reset"));
			await OneTimeToken.updateOne({ tokenHash: hashToken(token) }, { $set: { expiresAt: new Date(Date.now() - 1000) } });
			const res = await http("POST", "/api/auth/password-reset/confirm", { body: { token, password: "a brand new passphrase" } });
			expect(res.status).to.equal(410);
			expect(res.body.error.type).to.equal("TOKEN_EXPIRED");
			await login({ email, password: PASSWORD });
		});
	});

	describe("password change", () => {
		it("needs the current password, returns a fresh pair and ends the other sessions", async () => {
			const school = await signupSchool();
			const email = school.admin.email!;
			const other = await login({ email, password: PASSWORD });

			const wrong = await http("POST", "/api/auth/password", { token: school.admin.token, body: { currentPassword: "not my password", newPassword: "a brand new passphrase" } });
			expect(wrong.status).to.equal(401);
			expect(wrong.body.error.type).to.equal("INVALID_CREDENTIALS");
			await login({ email, password: PASSWORD });

			const weak = await http("POST", "/api/auth/password", { token: school.admin.token, body: { currentPassword: PASSWORD, newPassword: "short" } });
			expect(weak.status).to.equal(422);

			const res = await http("POST", "/api/auth/password", { token: school.admin.token, body: { currentPassword: PASSWORD, newPassword: "a brand new passphrase" } });
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body).to.include.keys("accessToken", "refreshToken");
			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: other.refreshToken } })).status).to.equal(401);
			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: res.body.refreshToken } })).status).to.equal(200);
			await login({ email, password: "a brand new passphrase" });
			expect(await auditActions(res.body.accessToken, "auth.password.changed")).to.have.length(1);
		});

		it("requires a logged-in user", async () => {
			expect((await http("POST", "/api/auth/password", { body: { currentPassword: PASSWORD, newPassword: "a brand new passphrase" } })).status).to.equal(401);
		});
	});
});
