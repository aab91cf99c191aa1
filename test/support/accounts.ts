/**
 * Account fixtures built the way a client builds them: through HTTP (signup, tokens mailed to Mailpit,
 * invitations, login). Only the first platform admin is made by a broker call, as the
 * `create-admin` command does, since no endpoint may create one.
 */
import { expect } from "chai";
import { latestMail, type Mail } from "./mailpit.js";
import { bootPlatform, http, systemMeta, unique } from "./platform.js";

export const PASSWORD = "correct horse battery staple";

export interface Account {
	id: string;
	email?: string;
	username?: string;
	password: string;
	roles: string[];
	schoolId: string | null;
	token: string;
	refreshToken: string;
}

export interface SchoolFixture {
	school: { id: string; code: string; name: string; timezone: string };
	admin: Account;
}

export { latestMail, mailsTo, type Mail } from "./mailpit.js";

export function tokenFrom(mail: Mail): string {
	const match = /token=([A-Za-z0-9_-]+)/.exec(mail.text);
	if (!match) throw new Error(`no token in mail "${mail.subject}"`);
	return match[1];
}

export async function login(credentials: { email?: string; schoolCode?: string; username?: string; password: string }): Promise<any> {
	const res = await http("POST", "/api/auth/login", { body: credentials });
	expect(res.status, JSON.stringify(res.body)).to.equal(200);
	return res.body;
}

function account(loginBody: any, password: string): Account {
	const u = loginBody.user;
	return {
		id: u.id,
		email: u.email ?? undefined,
		username: u.username ?? undefined,
		password,
		roles: u.roles,
		schoolId: u.schoolId ?? null,
		token: loginBody.accessToken,
		refreshToken: loginBody.refreshToken,
	};
}

export async function signupSchool(opts: { name?: string; timezone?: string } = {}): Promise<SchoolFixture> {
	const email = `${unique("admin")}@school.test`;
	const res = await http("POST", "/api/schools/signup", {
		body: {
			school: { name: opts.name ?? unique("School "), timezone: opts.timezone ?? "Europe/Paris" },
			admin: { email, password: PASSWORD, firstName: "Ada", lastName: "Admin" },
		},
	});
	expect(res.status, JSON.stringify(res.body)).to.equal(201);
	const verify = await http("POST", "/api/auth/verify-email", { body: { token: tokenFrom(await latestMail(email, "verify-email")) } });
	expect(verify.status, JSON.stringify(verify.body)).to.equal(200);
	return { school: res.body.school, admin: account(await login({ email, password: PASSWORD }), PASSWORD) };
}

/** Invites a teacher or student by email and accepts the invitation, as the invitee would. */
export async function invite(admin: Account, role: "teacher" | "student" | "school_admin", extra: Record<string, unknown> = {}): Promise<Account> {
	const email = `${unique(role)}@school.test`;
	const res = await http("POST", "/api/invitations", { token: admin.token, body: { email, role, ...extra } });
	expect(res.status, JSON.stringify(res.body)).to.equal(201);
	const accepted = await http("POST", "/api/invitations/accept", {
		body: { token: tokenFrom(await latestMail(email, "invitation")), password: PASSWORD, firstName: "Test", lastName: role },
	});
	expect(accepted.status, JSON.stringify(accepted.body)).to.equal(201);
	return account(await login({ email, password: PASSWORD }), PASSWORD);
}

/** A student without email, logging in with the school code and a username. */
export async function createUsernameStudent(by: Account, schoolCode: string): Promise<Account> {
	const username = unique("pupil");
	const res = await http("POST", "/api/users/students", {
		token: by.token,
		body: { username, password: PASSWORD, firstName: "Pupil", lastName: "Young" },
	});
	expect(res.status, JSON.stringify(res.body)).to.equal(201);
	return account(await login({ schoolCode, username, password: PASSWORD }), PASSWORD);
}

/** Platform staff are made by the create-admin command (a system call), never by an endpoint. */
let shared: { account: Account; at: number } | undefined;

/**
 * One platform admin for the whole mocha run, logged in again before its access token (15 minutes at most)
 * runs out: a full run lasts longer than that.
 */
export async function sharedPlatformAdmin(): Promise<Account> {
	if (!shared) shared = { account: await createPlatformAdmin(), at: Date.now() };
	else if (Date.now() - shared.at > 10 * 60_000) {
		shared = { account: account(await login({ email: shared.account.email!, password: PASSWORD }), PASSWORD), at: Date.now() };
	}
	return shared.account;
}

export async function createPlatformAdmin(): Promise<Account> {
	const { broker } = await bootPlatform();
	const email = `${unique("root")}@platform.test`;
	await broker.call("users.createPlatformAdmin", { email, password: PASSWORD, firstName: "Root", lastName: "Admin" }, { meta: systemMeta() });
	return account(await login({ email, password: PASSWORD }), PASSWORD);
}
