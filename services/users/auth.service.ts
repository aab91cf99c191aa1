/**
 * Authentication: login (email, or school code + username), rotating refresh tokens, logout, email
 * verification, password reset and change. Access tokens are short JWTs (services/shared/tokens.ts);
 * refresh tokens are opaque, stored hashed, and rotate on every use. Logins are throttled before any
 * password is checked (login-throttle.ts); reset requests per address and per email (request-throttle.ts).
 *
 * Password-reset links: each stays valid until used or expired, so a second request does not kill the
 * link mailed a minute earlier; an account holds at most RESET_MAX_OUTSTANDING unused ones (a new one
 * beyond that retires the oldest), and using one retires all the others.
 */
import { randomUUID } from "node:crypto";
import { settings } from "../../config/env.js";
import { OneTimeToken, type OneTimePurpose } from "../../models/one-time-token.model.js";
import { RefreshToken } from "../../models/refresh-token.model.js";
import { recordAudit } from "../shared/audit-trail.js";
import { dbMixin } from "../shared/db.mixin.js";
import { ClientError, ERR, forbidden, gone, invalid, tooManyRequests, unauthorized } from "../shared/errors.js";
import { currentUser, type Ctx } from "../shared/identity.js";
import type { ServiceDef } from "../shared/service.js";
import { signAccessToken } from "../shared/tokens.js";
import { attemptKey } from "./account-keys.js";
import { configuredLoginLimits, LoginThrottle } from "./login-throttle.js";
import { openRateLimits, type RateLimits } from "./rate-limits.js";
import { takeMailRequest } from "./request-throttle.js";
import { expiresIn, hashToken, newOpaqueToken, TOKEN_RULE } from "./opaque-token.js";
import { PASSWORD_MAX_LENGTH, PASSWORD_RULE } from "./password.js";
import { ID } from "./rules.js";
import { normalizeSchoolCode } from "./school-code.js";
import { authPersonalData } from "./personal-data.js";

const VERIFY_EMAIL_TTL_MS = 48 * 3600 * 1000;
/** Not an id any account has: a login with an unknown school code still spends a password check. */
const NO_SCHOOL = "000000000000000000000000";
const LOGIN_PASSWORD = { type: "string", min: 1, max: PASSWORD_MAX_LENGTH } as const;

interface SessionUser {
	id: string;
	schoolId: string | null;
	roles: string[];
	email?: string | null;
	username?: string | null;
	firstName: string;
	lastName: string;
	status: string;
	emailVerified: boolean;
	/** The account's session version: the access token carries it (services/shared/live-identity.ts). */
	sv?: number;
}

interface LoginParams {
	email?: string;
	schoolCode?: string;
	username?: string;
	password: string;
}

const invalidLink = () => new ClientError("This link is not valid", 400, ERR.INVALID_TOKEN);
const invalidRefreshToken = () => unauthorized("Invalid refresh token", ERR.INVALID_TOKEN);

const AuthService: ServiceDef = {
	name: "auth",
	settings: { rest: "/" },
	// Data rights (issue 16): export and erasure of what this service holds about a person.
	mixins: [authPersonalData, dbMixin(RefreshToken, { fields: ["id", "userId", "schoolId", "familyId", "expiresAt", "revokedAt", "createdAt"], tenant: false })],

	actions: {
		login: {
			rest: "POST /auth/login",
			params: {
				$$strict: "remove",
				email: { type: "string", trim: true, min: 3, max: 254, optional: true },
				schoolCode: { type: "string", trim: true, min: 1, max: 20, optional: true },
				username: { type: "string", trim: true, min: 1, max: 100, optional: true },
				password: LOGIN_PASSWORD,
			},
			async handler(this: any, ctx: Ctx<LoginParams>) {
				const { email, username, password } = ctx.params;
				const schoolCode = ctx.params.schoolCode ? normalizeSchoolCode(ctx.params.schoolCode) : undefined;
				if (!email && !(schoolCode && username)) throw invalid("email", "give an email, or a school code and a username");
				const key = attemptKey(email ? { email } : { schoolCode, username });
				const ip = ctx.meta.clientIp;

				// Refused before any password is checked, so a blocked guesser learns nothing and costs little;
				// the attempt is counted in the same atomic step, so parallel guesses cannot all slip through.
				const verdict = await this.throttle.attempt(key, ip);
				if (!verdict.allowed) throw tooManyRequests(verdict.retryAfter);

				let schoolId: string | null = null;
				let user: SessionUser;
				try {
					if (email) {
						user = await ctx.call("users.verifyCredentials", { email, password });
					} else {
						schoolId = await this.schoolIdForCode(ctx, schoolCode!);
						user = await ctx.call("users.verifyCredentials", { schoolId: schoolId ?? NO_SCHOOL, username, password });
					}
				} catch (err) {
					if ((err as ClientError).type === ERR.INVALID_CREDENTIALS) {
						await recordAudit(ctx, { schoolId, actorId: null, action: "auth.login.failed", data: { account: key } });
					}
					throw err;
				}

				if (email && !user.emailVerified) throw forbidden("Confirm your email address first", ERR.EMAIL_NOT_VERIFIED);
				await this.assertMayHaveSession(ctx, user);
				await this.throttle.succeeded(key, ip);
				const session = await this.issueSession(user);
				this.noteLogin(ctx, user);
				await recordAudit(ctx, { schoolId: user.schoolId, actorId: user.id, action: "auth.login", targetType: "user", targetId: user.id });
				return session;
			},
		},

		refresh: {
			rest: "POST /auth/refresh",
			params: { $$strict: "remove", refreshToken: TOKEN_RULE },
			async handler(this: any, ctx: Ctx<{ refreshToken: string }>) {
				return this.rotate(ctx, hashToken(ctx.params.refreshToken));
			},
		},

		logout: {
			rest: "POST /auth/logout",
			params: { $$strict: "remove", refreshToken: { ...TOKEN_RULE, optional: true }, all: { type: "boolean", optional: true, convert: true } },
			async handler(this: any, ctx: Ctx<{ refreshToken?: string; all?: boolean }>) {
				const me = currentUser(ctx);
				const now = new Date();
				// Every access token of the account stops working at once, on every node; other devices refresh.
				await ctx.call("users.endSessions", { userId: me.id, reason: "logout" });
				if (ctx.params.all) {
					await this.model.updateMany({ userId: me.id, revokedAt: null }, { $set: { revokedAt: now } });
				} else if (ctx.params.refreshToken) {
					// Only the caller's own token counts: someone else's is ignored, not revoked.
					const token = await this.model.findOne({ tokenHash: hashToken(ctx.params.refreshToken), userId: me.id });
					if (token) await this.model.updateMany({ familyId: token.familyId, revokedAt: null }, { $set: { revokedAt: now } });
				}
				return { ok: true };
			},
		},

		requestPasswordReset: {
			rest: "POST /auth/password-reset/request",
			params: { $$strict: "remove", email: { type: "string", trim: true, min: 3, max: 254 } },
			async handler(this: any, ctx: Ctx<{ email: string }>) {
				await takeMailRequest(this.limits, "reset", ctx.meta.clientIp, ctx.params.email);
				// The work happens after the answer, so neither the answer nor its timing says whether the account exists.
				this.sendPasswordReset(ctx, ctx.params.email).catch((err: unknown) => this.logger.error("Password reset mail failed", err));
				ctx.meta.$statusCode = 202;
				return { ok: true };
			},
		},

		resetPassword: {
			rest: "POST /auth/password-reset/confirm",
			params: { $$strict: "remove", token: TOKEN_RULE, password: PASSWORD_RULE },
			async handler(this: any, ctx: Ctx<{ token: string; password: string }>) {
				const token = await this.consumeOneTime("password-reset", ctx.params.token);
				const userId = String(token.userId);
				try {
					await ctx.call("users.setPassword", { userId, password: ctx.params.password });
				} catch (err) {
					await OneTimeToken.updateOne({ _id: token._id }, { $set: { usedAt: null } });
					throw err;
				}
				// The password is chosen: the account's other reset links lying in the mailbox are spent too.
				await OneTimeToken.updateMany({ userId: token.userId, purpose: "password-reset", usedAt: null }, { $set: { usedAt: new Date() } });
				await this.revokeUser(userId);
				await recordAudit(ctx, { schoolId: token.schoolId ? String(token.schoolId) : null, actorId: userId, action: "auth.password.reset", targetType: "user", targetId: userId });
				return { ok: true };
			},
		},

		changePassword: {
			rest: "POST /auth/password",
			params: { $$strict: "remove", currentPassword: LOGIN_PASSWORD, newPassword: PASSWORD_RULE },
			async handler(this: any, ctx: Ctx<{ currentPassword: string; newPassword: string }>) {
				const me = currentUser(ctx);
				// A stolen access token must not become a way to guess the password it lacks.
				const key = `id:${me.id}`;
				const verdict = await this.throttle.attempt(key, ctx.meta.clientIp);
				if (!verdict.allowed) throw tooManyRequests(verdict.retryAfter);
				await ctx.call("users.verifyCredentials", { userId: me.id, password: ctx.params.currentPassword });
				await this.throttle.succeeded(key, ctx.meta.clientIp);
				await ctx.call("users.setPassword", { userId: me.id, password: ctx.params.newPassword });
				await this.revokeUser(me.id);
				const user: SessionUser = await ctx.call("users.sessionUser", { userId: me.id });
				await recordAudit(ctx, { action: "auth.password.changed", targetType: "user", targetId: me.id });
				return this.issueSession(user);
			},
		},

		verifyEmail: {
			rest: "POST /auth/verify-email",
			params: { $$strict: "remove", token: TOKEN_RULE },
			async handler(this: any, ctx: Ctx<{ token: string }>) {
				const token = await this.consumeOneTime("verify-email", ctx.params.token);
				try {
					await ctx.call("users.markEmailVerified", { userId: String(token.userId) });
				} catch (err) {
					// The account was rolled back after the mail left (a failed signup): the link leads nowhere.
					if ((err as ClientError).code === 404) throw invalidLink();
					throw err;
				}
				return { ok: true };
			},
		},

		issueEmailVerification: {
			params: { $$strict: "remove", userId: ID, schoolId: { ...ID, optional: true, nullable: true }, email: { type: "email", max: 254 } },
			async handler(this: any, ctx: Ctx<{ userId: string; schoolId?: string | null; email: string }>) {
				const { userId, schoolId, email } = ctx.params;
				const { token, doc } = await this.createOneTime(userId, schoolId ?? null, "verify-email", VERIFY_EMAIL_TTL_MS);
				try {
					await ctx.call("mailer.send", {
						to: email,
						subject: "Confirm your email address",
						text: `Welcome! Confirm your email address to finish setting up your account:\n\n${settings().publicUrl}/verify-email?token=${token}\n\nThis link works once, within 48 hours.`,
						tag: "verify-email",
					});
				} catch (err) {
					await OneTimeToken.deleteOne({ _id: doc._id });
					throw err;
				}
				return { ok: true };
			},
		},

		revokeSessions: {
			params: { $$strict: "remove", userId: ID },
			async handler(this: any, ctx: Ctx<{ userId: string }>) {
				return { revoked: await this.revokeUser(ctx.params.userId) };
			},
		},

		revokeSchoolSessions: {
			params: { $$strict: "remove", schoolId: ID },
			async handler(this: any, ctx: Ctx<{ schoolId: string }>) {
				const result = await this.model.updateMany({ schoolId: ctx.params.schoolId, revokedAt: null }, { $set: { revokedAt: new Date() } });
				return { revoked: result.modifiedCount ?? 0 };
			},
		},
	},

	methods: {
		/**
		 * Spends a refresh token and issues its successor. A token already rotated is reuse: the client or a
		 * thief holds a copy, so the whole family ends (the successor included), and both sides must log in again.
		 *
		 * The successor is stored BEFORE the token is spent (one conditional update, so of concurrent requests
		 * with one token exactly one spends it): a request that finds the token spent then revokes the family,
		 * and the winner's successor is already in it. Stored after, it could land once the family was revoked
		 * and survive. A loser's own successor, whose secret never left, is deleted.
		 */
		async rotate(this: any, ctx: Ctx, tokenHash: string) {
			const now = new Date();
			let known = await this.model.findOne({ tokenHash });
			if (!known) throw invalidRefreshToken();
			if (!known.revokedAt && known.expiresAt > now) {
				const next = newOpaqueToken();
				const successor = await this.storeRefreshToken({ id: String(known.userId), schoolId: known.schoolId ? String(known.schoolId) : null }, known.familyId, next, now);
				const used = await this.model.findOneAndUpdate(
					{ _id: known._id, revokedAt: null, expiresAt: { $gt: now } },
					{ $set: { revokedAt: now, replacedByHash: successor.tokenHash } },
				);
				if (used) return this.sessionAfterRotation(ctx, used, next, now);
				await this.model.deleteOne({ _id: successor._id });
				known = await this.model.findOne({ tokenHash });
			}
			if (known?.replacedByHash) {
				await this.model.updateMany({ familyId: known.familyId, revokedAt: null }, { $set: { revokedAt: now } });
				await recordAudit(ctx, {
					schoolId: known.schoolId ? String(known.schoolId) : null,
					actorId: null,
					action: "auth.refresh.reused",
					targetType: "user",
					targetId: String(known.userId),
				});
			}
			throw invalidRefreshToken();
		},

		/** The session a rotation gives, if the account may still have one (otherwise the family ends). */
		async sessionAfterRotation(this: any, ctx: Ctx, used: any, next: string, now: Date) {
			let user: SessionUser;
			try {
				user = await ctx.call("users.sessionUser", { userId: String(used.userId) });
				await this.assertMayHaveSession(ctx, user);
			} catch (err) {
				await this.model.updateMany({ familyId: used.familyId, revokedAt: null }, { $set: { revokedAt: now } });
				if ((err as ClientError).code === 404) throw invalidRefreshToken();
				throw err;
			}
			return this.sessionOf(user, next);
		},

		/** The school a login code names, or null (the login then fails like a wrong password). */
		async schoolIdForCode(this: any, ctx: Ctx, code: string): Promise<string | null> {
			try {
				const school = await ctx.call<{ id: string }, { code: string }>("schools.resolve", { code });
				return school.id;
			} catch (err) {
				if ((err as ClientError).code === 404 || (err as ClientError).type === ERR.VALIDATION) return null;
				throw err;
			}
		},

		/** Suspended accounts and accounts of suspended schools get no session. */
		async assertMayHaveSession(this: any, ctx: Ctx, user: SessionUser): Promise<void> {
			if (user.status !== "active") throw forbidden("This account is suspended", ERR.ACCOUNT_SUSPENDED);
			if (!user.schoolId) return;
			const school = await ctx.call<{ status: string }, { id: string }>("schools.resolve", { id: user.schoolId });
			if (school.status !== "active") throw forbidden("This school's space is suspended", ERR.SCHOOL_SUSPENDED);
		},

		/** A new session: a refresh token of a new family, and an access token. */
		async issueSession(this: any, user: SessionUser) {
			const refreshToken = newOpaqueToken();
			await this.storeRefreshToken(user, randomUUID(), refreshToken, new Date());
			return this.sessionOf(user, refreshToken);
		},

		/** Stores a refresh token (its hash). Dead tokens go by the TTL index on `expiresAt` (models/refresh-token.model.ts). */
		storeRefreshToken(this: any, user: { id: string; schoolId?: string | null }, familyId: string, refreshToken: string, now: Date) {
			return this.model.create({
				userId: user.id,
				schoolId: user.schoolId ?? null,
				familyId,
				tokenHash: hashToken(refreshToken),
				expiresAt: expiresIn(settings().refreshTokenTtlDays * 86400_000, now),
			});
		},

		async sessionOf(this: any, user: SessionUser, refreshToken: string) {
			const access = await signAccessToken({ id: user.id, schoolId: user.schoolId ?? null, roles: user.roles as any, sv: user.sv ?? 0 });
			return {
				accessToken: access.token,
				refreshToken,
				expiresIn: access.expiresIn,
				tokenType: "Bearer",
				user: {
					id: user.id,
					schoolId: user.schoolId ?? null,
					roles: user.roles,
					email: user.email ?? null,
					username: user.username ?? null,
					firstName: user.firstName,
					lastName: user.lastName,
				},
			};
		},

		noteLogin(this: any, ctx: Ctx, user: SessionUser): void {
			ctx.call("users.recordLogin", { userId: user.id }).catch((err: unknown) => this.logger.warn("lastLoginAt not recorded", err));
		},

		async revokeUser(this: any, userId: string): Promise<number> {
			const result = await this.model.updateMany({ userId, revokedAt: null }, { $set: { revokedAt: new Date() } });
			return result.modifiedCount ?? 0;
		},

		async createOneTime(this: any, userId: string, schoolId: string | null, purpose: OneTimePurpose, ttlMs: number) {
			const now = new Date();
			// Earlier links stay valid (a second request must not kill the mail of a minute ago), up to a cap:
			// beyond it the oldest unused ones are retired.
			const keep = settings().resetMaxOutstanding - 1;
			const live = await OneTimeToken.find({ userId, purpose, usedAt: null, expiresAt: { $gt: now } }, { _id: 1 }).sort({ _id: -1 });
			const retire = live.slice(keep).map(d => d._id);
			if (retire.length > 0) await OneTimeToken.updateMany({ _id: { $in: retire }, usedAt: null }, { $set: { usedAt: now } });
			const token = newOpaqueToken();
			const doc = await OneTimeToken.create({ userId, schoolId, purpose, tokenHash: hashToken(token), expiresAt: expiresIn(ttlMs, now) });
			return { token, doc };
		},

		/** Marks a mailed token used, once: 400 unknown, 410 TOKEN_USED or TOKEN_EXPIRED. */
		async consumeOneTime(this: any, purpose: OneTimePurpose, token: string) {
			const tokenHash = hashToken(token);
			const now = new Date();
			// One conditional update: of concurrent requests with one link, exactly one consumes it.
			const doc = await OneTimeToken.findOneAndUpdate({ tokenHash, purpose, usedAt: null, expiresAt: { $gt: now } }, { $set: { usedAt: now } }, { new: true });
			if (doc) return doc;
			const known = await OneTimeToken.findOne({ tokenHash, purpose });
			if (!known) throw invalidLink();
			if (known.usedAt) throw gone("This link was already used", ERR.TOKEN_USED);
			throw gone("This link has expired", ERR.TOKEN_EXPIRED);
		},

		async sendPasswordReset(this: any, ctx: Ctx, email: string): Promise<void> {
			const user = await ctx.call<{ id: string; schoolId: string | null; email: string } | null, { email: string }>("users.findForReset", { email });
			if (!user) return;
			const minutes = settings().resetTokenTtlMinutes;
			const { token, doc } = await this.createOneTime(user.id, user.schoolId, "password-reset", minutes * 60_000);
			try {
				await ctx.call("mailer.send", {
					to: user.email,
					subject: "Reset your password",
					text: `Someone asked to reset the password of this account. If it was you, choose a new password here:\n\n${settings().publicUrl}/reset-password?token=${token}\n\nThis link works once, within ${minutes} minutes. If it was not you, ignore this mail.`,
					tag: "password-reset",
				});
			} catch (err) {
				await OneTimeToken.deleteOne({ _id: doc._id });
				throw err;
			}
		},
	},

	created(this: any) {
		this.limits = undefined as RateLimits | undefined;
		this.throttle = undefined as LoginThrottle | undefined;
	},

	async started(this: any) {
		// Single use rests on the tokens' unique hash: wait for its index.
		await OneTimeToken.init();
		this.limits = await openRateLimits((message, detail) => this.logger.warn(message, detail));
		this.throttle = new LoginThrottle(this.limits, () => configuredLoginLimits(settings()));
	},

	async stopped(this: any) {
		await this.limits?.close();
	},
};

export default AuthService;
