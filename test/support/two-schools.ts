/**
 * A populated school for cross-tenant tests: an admin, a teacher, a student with an email and one
 * with a username only, a class with members, a pending invitation, unread notifications and audit
 * entries. Two of them with the same shape (and a username both share) make the tenancy tests.
 */
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import mongoose from "mongoose";
import { publishDurable } from "../../services/shared/durable.js";
import { invite, login, PASSWORD, signupSchool, type Account, type SchoolFixture } from "./accounts.js";
import { bootPlatform, http, systemMeta, unique } from "./platform.js";

export type MemberLabel = "school_admin" | "teacher" | "student" | "pupil";
export const MEMBER_LABELS: readonly MemberLabel[] = ["school_admin", "teacher", "student", "pupil"];

export interface PopulatedSchool {
	id: string;
	code: string;
	name: string;
	password: string;
	members: Record<MemberLabel, Account & { firstName: string; lastName: string }>;
	classId: string;
	className: string;
	invitationId: string;
	invitationEmail: string;
	/** The unread notification each member got. */
	notificationIds: Record<MemberLabel, string>;
	subscriptionId: string;
	auditIds: string[];
}

function accountFrom(body: any, password: string): Account {
	const u = body.user;
	return { id: u.id, email: u.email ?? undefined, username: u.username ?? undefined, password, roles: u.roles, schoolId: u.schoolId ?? null, token: body.accessToken, refreshToken: body.refreshToken };
}

async function ok(res: Promise<{ status: number; body: any }>, status = 200): Promise<any> {
	const r = await res;
	expect(r.status, JSON.stringify(r.body)).to.equal(status);
	return r.body;
}

/** A username student created with a chosen username. */
async function usernameStudent(by: Account, schoolCode: string, username: string): Promise<Account> {
	await ok(http("POST", "/api/users/students", { token: by.token, body: { username, password: PASSWORD, firstName: "Pupil", lastName: "Young" } }), 201);
	return accountFrom(await login({ schoolCode, username, password: PASSWORD }), PASSWORD);
}

/** Gives the member distinctive names (so a leak of them can be spotted) and, if asked, another password. */
async function personalise(member: Account, prefix: string, password: string) {
	const names = { firstName: unique(`${prefix}First`), lastName: unique(`${prefix}Last`) };
	await ok(http("PATCH", "/api/me", { token: member.token, body: names }));
	if (password === member.password) return { ...member, ...names };
	const session = await ok(http("POST", "/api/auth/password", { token: member.token, body: { currentPassword: member.password, newPassword: password } }));
	return { ...accountFrom(session, password), ...names };
}

async function waitForNotification(member: Account, type: string): Promise<string> {
	const deadline = Date.now() + 5000;
	for (;;) {
		const page = await ok(http("GET", "/api/notifications?pageSize=100", { token: member.token }));
		const found = page.rows.find((n: any) => n.type === type);
		if (found) return found.id;
		if (Date.now() > deadline) throw new Error(`no notification ${type} for ${member.id}`);
		await new Promise(r => setTimeout(r, 25));
	}
}

export async function populateSchool(opts: { prefix: string; pupilUsername: string; password?: string }): Promise<PopulatedSchool> {
	const { broker } = await bootPlatform();
	const password = opts.password ?? PASSWORD;
	const fx: SchoolFixture = await signupSchool({ name: unique(`${opts.prefix} School `) });
	const [teacher, student, pupil] = await Promise.all([
		invite(fx.admin, "teacher"),
		invite(fx.admin, "student"),
		usernameStudent(fx.admin, fx.school.code, opts.pupilUsername),
	]);
	const raw = { school_admin: fx.admin, teacher, student, pupil };
	const members = Object.fromEntries(
		await Promise.all(MEMBER_LABELS.map(async label => [label, await personalise(raw[label], opts.prefix, password)])),
	) as PopulatedSchool["members"];

	const className = unique(`${opts.prefix}Class`);
	const cls = await ok(
		http("POST", "/api/classes", {
			token: members.school_admin.token,
			body: { name: className, year: "2025", teacherIds: [teacher.id], studentIds: [student.id, pupil.id] },
		}),
		201,
	);
	const invitationEmail = `${unique(`${opts.prefix.toLowerCase()}invitee`)}@school.test`;
	const invitation = await ok(
		http("POST", "/api/invitations", { token: members.school_admin.token, body: { email: invitationEmail, role: "student", classIds: [cls.id] } }),
		201,
	);

	const type = unique("tenant.isolation.");
	const userIds = MEMBER_LABELS.map(label => members[label].id);
	await publishDurable(broker, "notifications.requested", { id: randomUUID(), schoolId: fx.school.id, userIds, type, title: unique(`${opts.prefix}Note`) });
	const notificationIds = Object.fromEntries(
		await Promise.all(MEMBER_LABELS.map(async label => [label, await waitForNotification(members[label], type)])),
	) as Record<MemberLabel, string>;

	const db = mongoose.connection.db!;
	const sub = await db.collection("subscriptions").findOne({ schoolId: new mongoose.Types.ObjectId(fx.school.id) });
	const audit = await db.collection("auditentries").find({ schoolId: new mongoose.Types.ObjectId(fx.school.id) }).toArray();
	expect(sub, "subscription document").to.not.equal(null);
	expect(audit.length, "audit entries of the school").to.be.greaterThan(0);

	return {
		id: fx.school.id,
		code: fx.school.code,
		name: fx.school.name,
		password,
		members,
		classId: cls.id,
		className,
		invitationId: invitation.id,
		invitationEmail,
		notificationIds,
		subscriptionId: String(sub!._id),
		auditIds: audit.map(a => String(a._id)),
	};
}

/** A support agent: platform staff, made by the create-admin command like the first platform admin. */
export async function createStaff(role: "platform_admin" | "support"): Promise<Account> {
	const { broker } = await bootPlatform();
	const email = `${unique(role)}@platform.test`;
	await broker.call("users.createPlatformAdmin", { email, password: PASSWORD, firstName: "Staff", lastName: role, role }, { meta: systemMeta() });
	return accountFrom(await login({ email, password: PASSWORD }), PASSWORD);
}

/** Forgets the failed-login count of the test client's address, which every test file shares. */
export async function clearAddressThrottle(): Promise<void> {
	const { broker } = await bootPlatform();
	for (const ip of ["127.0.0.1", "::1"]) await (broker.getLocalService("auth") as any).throttle.clearAddress(ip);
}
