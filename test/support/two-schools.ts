/**
 * A populated school for cross-tenant tests: an admin, a teacher, a student with an email and one
 * with a username only, a class with members, a pending invitation, unread notifications and audit
 * entries. Two of them with the same shape (and a username both share) make the tenancy tests;
 * `populateLearning` adds Block 2 data (paths, sessions, evaluations, chat, a live session).
 */
import { randomUUID } from "node:crypto";
import { expect } from "chai";
import mongoose from "mongoose";
import { publishDurable } from "../../services/shared/durable.js";
import { invite, login, PASSWORD, signupSchool, type Account, type SchoolFixture } from "./accounts.js";
import { openConversation } from "./chat.js";
import { validatedItem } from "./learning-content.js";
import { createPath, ITEM_BODIES, RIGHT, type ItemName } from "./learning-sessions.js";
import { setPlan } from "./live.js";
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

/** The items of `populateLearning`: two questions and a flashcard. */
const LEARNING_ITEMS = ["capital", "sea", "rome"] as const satisfies readonly ItemName[];
type LearningItem = (typeof LEARNING_ITEMS)[number];

export interface SchoolLearning {
	items: Record<LearningItem, string>;
	/** Active, owned by the teacher, assigned to the student directly and to the class (student and pupil). */
	pathId: string;
	pathName: string;
	revisionStepId: string;
	evaluationStepId: string;
	/** A draft path of the teacher (activation would succeed). */
	draftPathId: string;
	/** The student's active revision session: one item answered, `pendingItemId` still to answer. */
	revisionSessionId: string;
	pendingItemId: string;
	/** The student's submitted first attempt and running second attempt of the evaluation step. */
	submittedAttemptId: string;
	attemptId: string;
	/** Teacher ↔ student: two messages of the teacher, the first reported by the student. */
	conversationId: string;
	messageIds: string[];
	messageTexts: string[];
	reportReason: string;
	/** Open, on the revision step, for the class; only when asked for (the school moves to a plan with live sessions). */
	liveSession?: { id: string; code: string };
}

/** Seconds an unattended live room waits for its teacher before ending: longer than any suite using these fixtures. */
const LIVE_ROOM_PATIENCE_SECONDS = "900";

/**
 * A school's learning and chat data, all made through HTTP by its teacher and its (email) student: items,
 * an active path with a revision and an evaluation step (two attempts allowed), a draft path, a revision
 * session with one answer, an evaluation attempt submitted and another running, a conversation with
 * messages and a report, and, with `live`, an open live session (the school is moved to the essential plan).
 */
export async function populateLearning(school: PopulatedSchool, opts: { prefix: string; live?: boolean }): Promise<SchoolLearning> {
	const { teacher, student } = school.members;
	const created = await Promise.all(LEARNING_ITEMS.map(name => validatedItem(teacher, { ...ITEM_BODIES[name] })));
	const items = Object.fromEntries(LEARNING_ITEMS.map((name, i) => [name, created[i].id as string])) as Record<LearningItem, string>;
	const pathName = unique(`${opts.prefix}Path `);
	const [path, draft] = await Promise.all([
		createPath(teacher, {
			name: pathName,
			studentIds: [student.id],
			classIds: [school.classId],
			activate: true,
			settings: { practiceAllowed: true },
			steps: [
				{ title: "Revise", itemIds: [items.capital, items.rome] },
				{ title: "Test", kind: "evaluation", itemIds: [items.capital, items.sea], evaluation: { timeLimitSeconds: 900, maxAttempts: 2, passScore: 0.5 } },
			],
		}),
		createPath(teacher, { name: unique(`${opts.prefix}Draft `), studentIds: [student.id], steps: [{ title: "Later", itemIds: [items.rome] }] }),
	]);
	const [revisionStepId, evaluationStepId] = path.path.steps.map((s: { id: string }) => s.id);
	const as = (account: Account, method: string, url: string, body?: unknown, status = 200) =>
		ok(http(method, url, { token: account.token, ...(body === undefined ? {} : { body }) }), status);

	const session = await as(student, "POST", "/api/revision-sessions", { pathId: path.id, stepId: revisionStepId }, 201);
	const first: string = session.item.id;
	await as(student, "POST", `/api/revision-sessions/${session.id}/answers`, { clientId: unique("c"), itemId: first, answer: rightAnswer(items, first), responseTimeMs: 4000 });

	const evaluation = { pathId: path.id, stepId: evaluationStepId };
	const submitted = await as(student, "POST", "/api/evaluations", evaluation, 201);
	await as(student, "POST", `/api/evaluations/${submitted.id}/submit`, { answers: evaluationAnswers(items) });
	const running = await as(student, "POST", "/api/evaluations", evaluation, 201);

	const conversation = await openConversation(teacher, student);
	const messageTexts = [unique(`${opts.prefix} says `), unique(`${opts.prefix} adds `)];
	const messageIds: string[] = [];
	for (const text of messageTexts) {
		const sent = await as(teacher, "POST", `/api/conversations/${conversation.id}/messages`, { clientId: unique("m"), text }, 201);
		messageIds.push(sent.message.id);
	}
	const reportReason = unique(`${opts.prefix} reason `);
	await as(student, "POST", `/api/messages/${messageIds[0]}/report`, { reason: reportReason });

	let liveSession: SchoolLearning["liveSession"];
	if (opts.live) {
		await setPlan(school.id, "essential");
		// The room ends itself when its teacher stays away (a change of the session mid-suite): not before the suites end.
		const patience = process.env.LIVE_TEACHER_GRACE_SECONDS;
		process.env.LIVE_TEACHER_GRACE_SECONDS = LIVE_ROOM_PATIENCE_SECONDS;
		try {
			const live = await as(teacher, "POST", "/api/live-sessions", { classId: school.classId, pathId: path.id, stepId: revisionStepId }, 201);
			liveSession = { id: live.id, code: live.joinCode };
		} finally {
			if (patience === undefined) delete process.env.LIVE_TEACHER_GRACE_SECONDS;
			else process.env.LIVE_TEACHER_GRACE_SECONDS = patience;
		}
	}

	return {
		items,
		pathId: path.id,
		pathName,
		revisionStepId,
		evaluationStepId,
		draftPathId: draft.id,
		revisionSessionId: session.id,
		pendingItemId: [items.capital, items.rome].find(id => id !== first)!,
		submittedAttemptId: submitted.id,
		attemptId: running.id,
		conversationId: conversation.id,
		messageIds,
		messageTexts,
		reportReason,
		liveSession,
	};
}

/** Right answers to every question of `populateLearning`'s evaluation step. */
export function evaluationAnswers(items: SchoolLearning["items"]) {
	return [
		{ itemId: items.capital, answer: RIGHT.capital, responseTimeMs: 2000 },
		{ itemId: items.sea, answer: RIGHT.sea },
	];
}

/** A right answer to one of `populateLearning`'s items. */
export function rightAnswer(items: SchoolLearning["items"], itemId: string): unknown {
	const name = LEARNING_ITEMS.find(n => items[n] === itemId);
	if (!name) throw new Error(`not an item of populateLearning: ${itemId}`);
	return RIGHT[name];
}

/** What identifies a school's learning and chat data (not its join code: six characters turn up by chance). */
export function learningNeedles(l: SchoolLearning): string[] {
	return [
		...Object.values(l.items), l.pathId, l.pathName, l.revisionStepId, l.evaluationStepId, l.draftPathId, l.revisionSessionId,
		l.submittedAttemptId, l.attemptId, l.conversationId, ...l.messageIds, ...l.messageTexts, l.reportReason,
		...(l.liveSession ? [l.liveSession.id] : []),
	];
}
