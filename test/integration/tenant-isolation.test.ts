/**
 * `tenant isolation`: two schools with the same roles. For every REST route (the table below must name
 * each route the gateway serves), every member of school A (admin, teacher, student, username
 * student) and a support agent try to read, list, filter, modify and delete school B's resources, with
 * bodies that pass validation, so that only the tenancy check can stop them. Each answer must be
 * 403/404 (or, for lists and the caller's own resources, carry none of B's ids, emails, names or
 * codes), and B's documents, read straight from the database, must be exactly as they were.
 */
import { expect } from "chai";
import { PLANS } from "../../config/plans.js";
import { latestMail, login, tokenFrom, type Account } from "../support/accounts.js";
import { openConversation } from "../support/chat.js";
import { describeChanges, diff, schoolFilter, settledSnapshot, type Change, type Snapshot } from "../support/db-snapshot.js";
import { bootPlatform, http, settings, unique, type HttpResult } from "../support/platform.js";
import { routeClaims } from "../support/route-claims.js";
import { declaredRoutes, liveRouteKeys, sameRoutes, type Route } from "../support/routes.js";
import { withSettings } from "../support/settings-override.js";
import {
	clearAddressThrottle,
	createStaff,
	evaluationAnswers,
	learningNeedles,
	MEMBER_LABELS,
	populateLearning,
	populateSchool,
	rightAnswer,
	type MemberLabel,
	type PopulatedSchool,
	type SchoolLearning,
} from "../support/two-schools.js";

type Attacker = MemberLabel | "support";
type Me = Account & { label: Attacker };

interface World {
	a: PopulatedSchool;
	b: PopulatedSchool;
	support: Account;
	/** The username both schools' username students have: a username is only unique inside a school. */
	sharedUsername: string;
	seatLimits: { a: number; b: number };
	/** Block 2 data of each school (populateLearning); both have an open live session. */
	la: SchoolLearning;
	lb: SchoolLearning;
	/** A conversation of each attacker in school A (support's is with A's student). */
	aChats: Record<Attacker, string>;
}

/**
 * - denied: B's resource is in the path: 403 or 404.
 * - refused: the body names B's resources (members, classes, logins): 403, 404 or 422.
 * - list: 200 for roles the matrix allows (403 otherwise), none of B's data in it.
 * - own: acts on the caller's own resources with B's ids slipped in: the answer concerns the caller's
 *   school (`verify`) or is one of `statuses`; 403 for roles the matrix does not allow.
 */
interface Attack {
	expect: "denied" | "refused" | "list" | "own";
	path: (w: World, me: Me) => string;
	body?: (w: World, me: Me) => unknown;
	verify?: (res: HttpResult, w: World, me: Me) => string | undefined;
	statuses?: number[];
}

interface RouteCase {
	attacks?: Attack[];
	/** Who attacks (default: A's four members and a support agent). */
	attackers?: Attacker[];
	/** Why the route needs no attack matrix; `check` then holds its cross-tenant check. */
	irrelevant?: string;
	check?: (w: World) => Promise<void>;
	/** Changes of B's documents this route may legitimately cause, and why. */
	mayChangeB?: { reason: string; allow: (change: Change) => boolean };
	/** Runs with generous login-throttle limits: its attacks are failed password checks by design. */
	failsPasswords?: boolean;
}

const A_MEMBERS: Attacker[] = ["school_admin", "teacher", "student", "pupil"];
const EVERYONE: Attacker[] = [...A_MEMBERS, "support"];
const STAFF_ROUTE = "platform staff route: support reads tenants here by design (out of scope); school members must be refused";

const qs = (params: Record<string, string | number | boolean>) => `?${new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]))}`;
const B = (w: World) => w.b;
const bMember = (w: World, label: MemberLabel) => w.b.members[label];
const sameSchool = (field: string) => (res: HttpResult, w: World) =>
	res.body?.[field] === w.a.id ? undefined : `${field} is ${JSON.stringify(res.body?.[field])}, not school A`;

/** A path body that passes validation, with B's ids (or a forged school) in `extra`. */
const newPath = (extra: Record<string, unknown>) => ({ name: unique("A path "), subject: "Geography", ...extra });
const liveOf = (l: SchoolLearning) => {
	if (!l.liveSession) throw new Error("the school has no live session");
	return l.liveSession;
};

/** Both creation routes of a path (POST /learning-paths and its alias /create) take the same attacks. */
function pathCreation(url: string): RouteCase {
	return {
		attacks: [
			{ expect: "refused", path: () => url, body: w => newPath({ classIds: [B(w).classId] }) },
			{ expect: "refused", path: () => url, body: w => newPath({ studentIds: [bMember(w, "student").id, bMember(w, "pupil").id] }) },
			{ expect: "refused", path: () => url, body: w => newPath({ steps: [{ title: "Stolen", itemIds: [w.lb.items.capital] }], activate: false }) },
			{
				expect: "own",
				path: () => url,
				body: w => newPath({ schoolId: B(w).id, ownerId: bMember(w, "teacher").id, studentIds: [w.a.members.student.id] }),
				verify: (res, w) =>
					JSON.stringify(res.body?.students?.map((s: { id: string }) => s.id)) === JSON.stringify([w.a.members.student.id]) ? undefined : `created ${JSON.stringify(res.body)}`,
			},
		],
	};
}

const CASES: Record<string, RouteCase> = {
	"GET /api/audit": {
		attacks: [
			{ expect: "list", path: w => `/api/audit${qs({ actorId: bMember(w, "school_admin").id, pageSize: 100 })}` },
			{ expect: "list", path: w => `/api/audit${qs({ schoolId: B(w).id, pageSize: 100 })}` },
			{ expect: "list", path: w => `/api/audit${qs({ action: "invitations.created", actorId: bMember(w, "school_admin").id })}` },
		],
	},
	"POST /api/auth/login": {
		irrelevant: "anonymous: the identity comes from the credentials, never from a token or a school id",
		failsPasswords: true,
		async check(w) {
			const aCode = { schoolCode: w.a.code, username: w.sharedUsername };
			// B's credentials with A's school code: the username exists in both schools, B's password must not open A's account.
			const crossed = await http("POST", "/api/auth/login", { body: { ...aCode, password: w.b.password } });
			expect(crossed.status, JSON.stringify(crossed.body)).to.equal(401);
			expect(crossed.body.error.type).to.equal("INVALID_CREDENTIALS");
			// A's credentials with B's code fail the same way.
			const reverse = await http("POST", "/api/auth/login", { body: { schoolCode: w.b.code, username: w.sharedUsername, password: w.a.password } });
			expect(reverse.status, JSON.stringify(reverse.body)).to.equal(401);
			// A genuine login naming B's school in the body still opens A's account only.
			const own = await http("POST", "/api/auth/login", { body: { ...aCode, password: w.a.password, schoolId: w.b.id } });
			expect(own.status, JSON.stringify(own.body)).to.equal(200);
			expect(own.body.user).to.include({ id: w.a.members.pupil.id, schoolId: w.a.id });
		},
		mayChangeB: {
			reason: "a failed login against B's school code is recorded in B's audit log (anonymous, action auth.login.failed)",
			allow: c => c.collection === "auditentries" && c.kind === "added" && c.after?.action === "auth.login.failed" && c.after?.actorId === null,
		},
	},
	// Before logout, whose attacks end the callers' sessions.
	"POST /api/auth/refresh": {
		irrelevant: "anonymous: the refresh token is the credential",
		async check(w) {
			const res = await http("POST", "/api/auth/refresh", { body: { refreshToken: w.a.members.pupil.refreshToken, schoolId: w.b.id, userId: bMember(w, "pupil").id } });
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body.user).to.include({ id: w.a.members.pupil.id, schoolId: w.a.id });
			w.a.members.pupil.refreshToken = res.body.refreshToken;
		},
	},
	"POST /api/auth/logout": {
		irrelevant: "logs its caller out only; a logout ends every access token of the caller, so each attacker logs in again after each attempt",
		async check(w) {
			const attackers: [string, Account][] = [...A_MEMBERS.map(label => [label, w.a.members[label as MemberLabel]] as [string, Account]), ["support", w.support]];
			for (const [label, me] of attackers) {
				for (const body of [{ refreshToken: bMember(w, "school_admin").refreshToken }, { all: true, userId: bMember(w, "teacher").id, schoolId: B(w).id }]) {
					const res = await http("POST", "/api/auth/logout", { token: me.token, body });
					// Logged out (whatever the body named): the attacker logs in again before anything else.
					const again = await login(me.username ? { schoolCode: w.a.code, username: me.username, password: me.password } : { email: me.email!, password: me.password });
					Object.assign(me, { token: again.accessToken, refreshToken: again.refreshToken });
					expect(res.status, `${label} ${JSON.stringify(body)}: ${JSON.stringify(res.body)}`).to.equal(200);
					expect(res.body).to.deep.equal({ ok: true });
				}
			}
			// B's members were logged out of nothing: their access tokens still work.
			for (const label of MEMBER_LABELS) expect((await http("GET", "/api/me", { token: bMember(w, label).token })).status, `B's ${label}`).to.equal(200);
		},
	},
	"POST /api/auth/password": {
		failsPasswords: true,
		attacks: [
			{
				expect: "own",
				path: () => "/api/auth/password",
				// B's password (different from A's) with B's user id: checked against the caller's own account only.
				body: w => ({ currentPassword: w.b.password, newPassword: "a brand new long password", userId: bMember(w, "teacher").id, schoolId: B(w).id }),
				statuses: [401],
				verify: () => "B's password changed an A password",
			},
		],
	},
	"POST /api/auth/password-reset/confirm": {
		irrelevant: "anonymous: the mailed token is the only credential",
		async check(w) {
			// A real (used) token of B, but of another purpose, is no reset token.
			const verifyToken = tokenFrom(await latestMail(bMember(w, "school_admin").email!, "verify-email"));
			const res = await http("POST", "/api/auth/password-reset/confirm", { body: { token: verifyToken, password: "a brand new long password" } });
			expect(res.status, JSON.stringify(res.body)).to.equal(400);
			expect(res.body.error.type).to.equal("INVALID_TOKEN");
		},
	},
	"POST /api/auth/password-reset/request": {
		irrelevant: "anonymous: anyone may ask for a reset of any email; the mail goes to the owner",
		async check(w) {
			const email = bMember(w, "school_admin").email!;
			const [known, ghost] = await Promise.all([
				http("POST", "/api/auth/password-reset/request", { token: w.a.members.school_admin.token, body: { email, schoolId: w.a.id } }),
				http("POST", "/api/auth/password-reset/request", { body: { email: `${unique("ghost")}@school.test` } }),
			]);
			expect([known.status, known.body]).to.deep.equal([ghost.status, ghost.body]);
			expect(known.status).to.equal(202);
			await latestMail(email, "password-reset");
		},
		mayChangeB: {
			reason: "the reset token is stored for B's admin (the owner of the email), as for any anonymous request",
			allow: c => c.collection === "onetimetokens" && c.kind === "added" && c.after?.purpose === "password-reset",
		},
	},
	"POST /api/auth/verify-email": {
		irrelevant: "anonymous: the mailed token is the only credential",
		async check(w) {
			const token = tokenFrom(await latestMail(bMember(w, "school_admin").email!, "verify-email"));
			const res = await http("POST", "/api/auth/verify-email", { token: w.a.members.school_admin.token, body: { token } });
			expect(res.status, JSON.stringify(res.body)).to.equal(410);
			expect(res.body.error.type).to.equal("TOKEN_USED");
		},
	},

	"POST /api/classes": {
		attacks: [
			{ expect: "refused", path: () => "/api/classes", body: w => ({ name: unique("AClass"), teacherIds: [bMember(w, "teacher").id] }) },
			{ expect: "refused", path: () => "/api/classes", body: w => ({ name: unique("AClass"), studentIds: [bMember(w, "student").id, bMember(w, "pupil").id] }) },
			{ expect: "own", path: () => "/api/classes", body: w => ({ name: unique("AClass"), schoolId: B(w).id }), verify: sameSchool("schoolId") },
		],
	},
	"GET /api/classes": {
		attacks: [
			{ expect: "list", path: w => `/api/classes${qs({ q: B(w).className })}` },
			{ expect: "list", path: w => `/api/classes${qs({ schoolId: B(w).id, pageSize: 100 })}` },
		],
	},
	"GET /api/classes/{id}": { attacks: [{ expect: "denied", path: w => `/api/classes/${B(w).classId}` }] },
	"PATCH /api/classes/{id}": { attacks: [{ expect: "denied", path: w => `/api/classes/${B(w).classId}`, body: () => ({ name: unique("Renamed"), subject: "Hacked" }) }] },
	"DELETE /api/classes/{id}": { attacks: [{ expect: "denied", path: w => `/api/classes/${B(w).classId}` }] },
	"POST /api/classes/{id}/students": {
		attacks: [
			{ expect: "denied", path: w => `/api/classes/${B(w).classId}/students`, body: w => ({ studentIds: [w.a.members.student.id] }) },
			{ expect: "refused", path: w => `/api/classes/${w.a.classId}/students`, body: w => ({ studentIds: [bMember(w, "student").id] }) },
		],
	},
	"DELETE /api/classes/{id}/students/{studentId}": {
		attacks: [
			{ expect: "denied", path: w => `/api/classes/${B(w).classId}/students/${bMember(w, "student").id}` },
			{ expect: "own", path: w => `/api/classes/${w.a.classId}/students/${bMember(w, "student").id}`, verify: sameSchool("schoolId") },
		],
	},
	"POST /api/classes/{id}/teachers": {
		attacks: [
			{ expect: "denied", path: w => `/api/classes/${B(w).classId}/teachers`, body: w => ({ teacherIds: [w.a.members.teacher.id] }) },
			{ expect: "refused", path: w => `/api/classes/${w.a.classId}/teachers`, body: w => ({ teacherIds: [bMember(w, "teacher").id] }) },
		],
	},
	"DELETE /api/classes/{id}/teachers/{teacherId}": {
		attacks: [
			{ expect: "denied", path: w => `/api/classes/${B(w).classId}/teachers/${bMember(w, "teacher").id}` },
			{ expect: "own", path: w => `/api/classes/${w.a.classId}/teachers/${bMember(w, "teacher").id}`, verify: sameSchool("schoolId") },
		],
	},
	"POST /api/classes/import": {
		attacks: [
			{
				expect: "refused",
				path: () => "/api/classes/import",
				body: w => ({
					csv: `name,year,teachers,students\n${unique("Imported")},2025,${bMember(w, "teacher").id},${bMember(w, "student").email}\n`,
					mode: "all_or_nothing",
					schoolId: B(w).id,
				}),
			},
		],
	},
	"GET /api/dev/mails": {
		irrelevant: "development outbox: platform admins only and only with DEV_MAIL_OUTBOX=on (never in production; test/integration/dev-mails.test.ts); it holds every school's mail",
		async check() {
			expect(settings().nodeEnv, "the outbox must only be reachable outside production").to.not.equal("production");
		},
	},

	"POST /api/invitations": {
		attacks: [
			{ expect: "refused", path: () => "/api/invitations", body: w => ({ email: `${unique("inv")}@school.test`, role: "student", classIds: [B(w).classId] }) },
			{
				expect: "own",
				path: () => "/api/invitations",
				body: w => ({ email: `${unique("inv")}@school.test`, role: "student", schoolId: B(w).id }),
				verify: sameSchool("schoolId"),
			},
			// Emails are unique on the whole platform (docs/ACTIONS.md): B's member cannot be invited, 409 EMAIL_TAKEN.
			{ expect: "own", path: () => "/api/invitations", body: w => ({ email: bMember(w, "teacher").email, role: "teacher" }), statuses: [409], verify: () => "B's member was invited into A" },
		],
	},
	"GET /api/invitations": {
		attacks: [
			{ expect: "list", path: () => `/api/invitations${qs({ status: "pending", pageSize: 100 })}` },
			{ expect: "list", path: w => `/api/invitations${qs({ schoolId: B(w).id })}` },
		],
	},
	"DELETE /api/invitations/{id}": { attacks: [{ expect: "denied", path: w => `/api/invitations/${B(w).invitationId}` }] },
	"POST /api/invitations/accept": {
		irrelevant: "anonymous: the mailed token is the only credential",
		async check(w) {
			const res = await http("POST", "/api/invitations/accept", {
				body: { token: "A".repeat(43), password: "a brand new long password", firstName: "X", lastName: "Y", schoolId: w.b.id, invitationId: w.b.invitationId },
			});
			expect(res.status, JSON.stringify(res.body)).to.equal(404);
		},
	},

	"GET /api/me": { attacks: [{ expect: "own", path: w => `/api/me${qs({ id: bMember(w, "school_admin").id, schoolId: B(w).id })}`, verify: isCaller }] },
	"PATCH /api/me": {
		attacks: [
			{ expect: "own", path: w => `/api/me${qs({ id: bMember(w, "teacher").id })}`, body: () => ({ firstName: "Mallory" }), verify: isCaller, statuses: [422] },
			{ expect: "own", path: () => "/api/me", body: w => ({ lastName: "Mallory", id: bMember(w, "teacher").id, schoolId: B(w).id }), verify: isCaller, statuses: [422] },
		],
	},

	"GET /api/notifications": {
		attacks: [
			{ expect: "list", path: w => `/api/notifications${qs({ userId: bMember(w, "school_admin").id, schoolId: B(w).id, pageSize: 100 })}` },
			{ expect: "list", path: () => `/api/notifications${qs({ unread: true, pageSize: 100 })}` },
		],
	},
	"POST /api/notifications/{id}/read": {
		attacks: MEMBER_LABELS.map(label => ({ expect: "denied" as const, path: (w: World) => `/api/notifications/${B(w).notificationIds[label]}/read` })),
	},
	// Before unread-count: afterwards A's members have nothing unread while B's still do, so a leak would show in the count.
	"POST /api/notifications/read-all": {
		attacks: [
			{
				expect: "own",
				path: () => "/api/notifications/read-all",
				body: w => ({ userId: bMember(w, "school_admin").id, schoolId: B(w).id }),
				verify: res => (typeof res.body?.updated === "number" ? undefined : "no count of updated notifications"),
			},
		],
	},
	"GET /api/notifications/unread-count": {
		attacks: [
			{
				expect: "own",
				path: w => `/api/notifications/unread-count${qs({ userId: bMember(w, "school_admin").id, schoolId: B(w).id })}`,
				verify: res => (res.body?.count === 0 ? undefined : `count ${res.body?.count}: A's notifications were all read, B's were not`),
			},
		],
	},

	"GET /api/plans": {
		irrelevant: "public plan catalogue, the same for every school",
		async check(w) {
			const plain = await http("GET", "/api/plans");
			const named = await http("GET", `/api/plans${qs({ schoolId: w.b.id })}`, { token: w.a.members.school_admin.token });
			expect(named.status).to.equal(200);
			expect(named.body).to.deep.equal(plain.body);
		},
	},

	"GET /api/school": { attacks: [{ expect: "own", path: w => `/api/school${qs({ id: B(w).id, schoolId: B(w).id })}`, verify: sameSchool("id") }] },
	"PATCH /api/school": {
		attacks: [
			{ expect: "own", path: () => "/api/school", body: w => ({ name: unique("A School "), id: B(w).id }), verify: sameSchool("id"), statuses: [422] },
			{ expect: "own", path: w => `/api/school${qs({ schoolId: B(w).id })}`, body: () => ({ settings: { weekStartsOn: 1 } }), verify: sameSchool("id"), statuses: [422] },
		],
	},
	"GET /api/schools": {
		attackers: A_MEMBERS,
		attacks: [{ expect: "list", path: w => `/api/schools${qs({ q: B(w).code })}` }],
	},
	"GET /api/schools/{id}": { attackers: A_MEMBERS, attacks: [{ expect: "denied", path: w => `/api/schools/${B(w).id}` }] },
	"POST /api/schools/{id}/reactivate": { attacks: [{ expect: "denied", path: w => `/api/schools/${B(w).id}/reactivate` }] },
	"PATCH /api/schools/{id}/subscription": {
		attacks: [{ expect: "denied", path: w => `/api/schools/${B(w).id}/subscription`, body: () => ({ plan: "campus", seatLimit: 5000 }) }],
	},
	"POST /api/schools/{id}/suspend": { attacks: [{ expect: "denied", path: w => `/api/schools/${B(w).id}/suspend`, body: () => ({ reason: "tenant isolation test" }) }] },
	"POST /api/schools/signup": {
		irrelevant: "anonymous: creates a new school, touches no existing one",
		async check(w) {
			const res = await http("POST", "/api/schools/signup", {
				token: w.a.members.school_admin.token,
				body: {
					school: { name: unique("Copycat "), timezone: "Europe/Paris", id: w.b.id, code: w.b.code },
					admin: { email: bMember(w, "school_admin").email, password: "a brand new long password", firstName: "M", lastName: "M" },
					schoolId: w.b.id,
				},
			});
			expect(res.status, JSON.stringify(res.body)).to.equal(409);
			expect(res.body.error.type).to.equal("EMAIL_TAKEN");
		},
	},

	"GET /api/subscription": {
		attacks: [
			{
				expect: "own",
				path: w => `/api/subscription${qs({ schoolId: B(w).id })}`,
				verify: (res, w) => (res.body?.seatLimit === w.seatLimits.a ? undefined : `seatLimit ${res.body?.seatLimit}, A's is ${w.seatLimits.a}`),
			},
		],
	},
	"GET /api/subscription/check": {
		attacks: [
			{
				expect: "own",
				// B has no free seat left, A has: an answer about B would refuse.
				path: w => `/api/subscription/check${qs({ schoolId: B(w).id, seats: 1 })}`,
				verify: res => (res.body?.allowed === true ? undefined : `answered ${JSON.stringify(res.body)}: B's subscription was checked`),
			},
		],
	},

	"GET /api/users": {
		attacks: [
			{ expect: "list", path: w => `/api/users${qs({ q: bMember(w, "school_admin").email! })}` },
			{ expect: "list", path: w => `/api/users${qs({ q: bMember(w, "teacher").lastName })}` },
			{ expect: "list", path: w => `/api/users${qs({ schoolId: B(w).id, pageSize: 100 })}` },
			{ expect: "list", path: w => `/api/users${qs({ role: "student", schoolId: B(w).id, pageSize: 100 })}` },
		],
	},
	"GET /api/users/{id}": {
		attacks: MEMBER_LABELS.map(label => ({ expect: "denied" as const, path: (w: World) => `/api/users/${bMember(w, label).id}` })),
	},
	"POST /api/users/{id}/reactivate": { attacks: [{ expect: "denied", path: w => `/api/users/${bMember(w, "student").id}/reactivate` }] },
	"PATCH /api/users/{id}/roles": {
		attacks: [{ expect: "denied", path: w => `/api/users/${bMember(w, "teacher").id}/roles`, body: () => ({ roles: ["school_admin"] }) }],
	},
	"PATCH /api/users/{id}/student-profile": {
		attacks: [
			{
				expect: "denied",
				path: w => `/api/users/${bMember(w, "student").id}/student-profile`,
				body: () => ({ preferences: { reminders: true }, accommodations: { largeText: true } }),
			},
		],
	},
	"POST /api/users/{id}/suspend": {
		attacks: (["student", "school_admin"] as const).map(label => ({ expect: "denied" as const, path: (w: World) => `/api/users/${bMember(w, label).id}/suspend` })),
	},
	"POST /api/users/students": {
		attacks: [
			{
				expect: "own",
				path: () => "/api/users/students",
				body: w => ({ username: unique("apupil"), password: "a brand new long password", firstName: "New", lastName: "Pupil", schoolId: B(w).id }),
				verify: sameSchool("schoolId"),
			},
		],
	},
	"POST /api/users/students/import": {
		attacks: [
			{
				expect: "refused",
				path: () => "/api/users/students/import",
				// B's teacher's email is taken on the whole platform: the line is refused, nothing is created.
				body: w => ({ csv: `username,firstName,lastName,password,email\n${unique("imp")},New,Pupil,a brand new long password,${bMember(w, "teacher").email}\n`, mode: "all_or_nothing" }),
			},
			{
				expect: "own",
				path: () => "/api/users/students/import",
				body: w => ({ csv: `username,firstName,lastName,password\n${unique("imp")},New,Pupil,a brand new long password\n`, mode: "all_or_nothing", schoolId: B(w).id }),
				verify: (res, w) => (res.body?.created?.length === 1 && res.body.created[0].schoolId === w.a.id ? undefined : `created ${JSON.stringify(res.body?.created)}`),
			},
		],
	},
	// Block 2, content / scheduling (B's items and layers: see seedLearningContent)
	"POST /api/content-items": {
		attacks: [
			{
				expect: "own",
				path: () => "/api/content-items",
				body: w => ({ kind: "flashcard", title: unique("A card"), subject: "Geography", front: "f", back: "b", schoolId: B(w).id, ownerId: bMember(w, "teacher").id }),
				verify: (res, w, me) => (res.body?.schoolId === w.a.id && res.body?.ownerId === me.id ? undefined : `created ${JSON.stringify(res.body)}`),
			},
		],
	},
	"GET /api/content-items": {
		attacks: [
			{ expect: "list", path: () => `/api/content-items${qs({ q: learning.bTitle, pageSize: 100 })}` },
			{ expect: "list", path: w => `/api/content-items${qs({ schoolId: B(w).id, ownerId: bMember(w, "teacher").id, status: "validated", pageSize: 100 })}` },
		],
	},
	"GET /api/content-items/{id}": { attacks: [{ expect: "denied", path: () => `/api/content-items/${learning.bValidated}` }] },
	"PATCH /api/content-items/{id}": { attacks: [{ expect: "denied", path: () => `/api/content-items/${learning.bValidated}`, body: () => ({ title: unique("Hacked") }) }] },
	"DELETE /api/content-items/{id}": { attacks: [{ expect: "denied", path: () => `/api/content-items/${learning.bDraft}` }] },
	"POST /api/content-items/{id}/status": {
		attacks: [
			{ expect: "denied", path: () => `/api/content-items/${learning.bValidated}/status`, body: () => ({ status: "archived" }) },
			{ expect: "denied", path: () => `/api/content-items/${learning.bDraft}/status`, body: () => ({ status: "validated" }) },
		],
	},
	"POST /api/content-items/import": {
		attacks: [
			{
				expect: "own",
				path: () => "/api/content-items/import",
				body: w => ({
					format: "json",
					mode: "all_or_nothing",
					text: JSON.stringify([{ kind: "flashcard", title: unique("A card"), subject: "Geography", front: "f", back: "b", schoolId: B(w).id, ownerId: bMember(w, "teacher").id }]),
				}),
				verify: res => (res.body?.created?.length === 1 && res.body.errors?.length === 0 ? undefined : `answered ${JSON.stringify(res.body)}`),
			},
		],
	},
	"GET /api/scheduling-profiles/layers": {
		attacks: [
			{ expect: "denied", path: w => `/api/scheduling-profiles/layers${qs({ kind: "teacher", teacherId: bMember(w, "teacher").id })}` },
			{ expect: "denied", path: w => `/api/scheduling-profiles/layers${qs({ kind: "student", studentId: bMember(w, "student").id })}` },
			{
				expect: "own",
				path: w => `/api/scheduling-profiles/layers${qs({ kind: "school", schoolId: B(w).id })}`,
				verify: res => (res.body?.values?.desiredRetention === learning.bRetention ? "answered B's school layer" : undefined),
			},
		],
	},
	"PUT /api/scheduling-profiles/layers": {
		attacks: [
			{ expect: "denied", path: () => "/api/scheduling-profiles/layers", body: w => ({ kind: "teacher", teacherId: bMember(w, "teacher").id, values: { desiredRetention: 0.75 } }) },
			{ expect: "denied", path: () => "/api/scheduling-profiles/layers", body: w => ({ kind: "student", studentId: bMember(w, "pupil").id, values: { desiredRetention: 0.75 } }) },
			{
				expect: "own",
				path: () => "/api/scheduling-profiles/layers",
				body: w => ({ kind: "school", values: { desiredRetention: 0.8 }, schoolId: B(w).id }),
				statuses: [403],
				verify: sameSchool("schoolId"),
			},
		],
	},
	"GET /api/scheduling-profiles/effective": {
		attacks: [{ expect: "denied", path: w => `/api/scheduling-profiles/effective${qs({ student: bMember(w, "student").id, subject: "Geography" })}` }],
	},
	"POST /api/scheduling-profiles/optimize": {
		attacks: [{ expect: "denied", path: () => "/api/scheduling-profiles/optimize", body: w => ({ studentId: bMember(w, "student").id, subject: "Geography" }) }],
	},

	// Block 2, paths (B's paths, sessions, attempts, conversation and live session: see populateLearning)
	"POST /api/learning-paths": pathCreation("/api/learning-paths"),
	"POST /api/learning-paths/create": pathCreation("/api/learning-paths/create"),
	"GET /api/learning-paths": {
		attacks: [
			{ expect: "list", path: w => `/api/learning-paths${qs({ schoolId: B(w).id, ownerId: bMember(w, "teacher").id, pageSize: 100 })}` },
			{ expect: "list", path: () => `/api/learning-paths${qs({ subject: "Geography", status: "active", pageSize: 100 })}` },
			{ expect: "list", path: () => `/api/learning-paths${qs({ status: "draft", pageSize: 100 })}` },
		],
	},
	"GET /api/learning-paths/{id}": {
		attacks: [
			{ expect: "denied", path: w => `/api/learning-paths/${w.lb.pathId}` },
			{ expect: "denied", path: w => `/api/learning-paths/${w.lb.draftPathId}` },
		],
	},
	"PATCH /api/learning-paths/{id}": {
		attacks: [
			{ expect: "denied", path: w => `/api/learning-paths/${w.lb.pathId}`, body: () => ({ name: unique("Hacked "), objectives: ["hacked"], settings: { practiceAllowed: false } }) },
		],
	},
	"PUT /api/learning-paths/{id}/steps": {
		attacks: [
			{ expect: "denied", path: w => `/api/learning-paths/${w.lb.pathId}/steps`, body: () => ({ steps: [{ title: "Hacked" }] }) },
			{ expect: "refused", path: w => `/api/learning-paths/${w.la.pathId}/steps`, body: w => ({ steps: [{ title: "Stolen", itemIds: [w.lb.items.capital] }] }) },
		],
	},
	"POST /api/learning-paths/{id}/steps/reorder": {
		attacks: [
			{ expect: "denied", path: w => `/api/learning-paths/${w.lb.pathId}/steps/reorder`, body: w => ({ order: [w.lb.evaluationStepId, w.lb.revisionStepId] }) },
			{ expect: "refused", path: w => `/api/learning-paths/${w.la.pathId}/steps/reorder`, body: w => ({ order: [w.lb.evaluationStepId, w.lb.revisionStepId] }) },
		],
	},
	"POST /api/learning-paths/{id}/students": {
		attacks: [
			{ expect: "denied", path: w => `/api/learning-paths/${w.lb.pathId}/students`, body: w => ({ studentIds: [w.a.members.student.id] }) },
			{ expect: "refused", path: w => `/api/learning-paths/${w.la.pathId}/students`, body: w => ({ studentIds: [bMember(w, "pupil").id] }) },
			{ expect: "refused", path: w => `/api/learning-paths/${w.la.pathId}/students`, body: w => ({ classIds: [B(w).classId] }) },
		],
	},
	"DELETE /api/learning-paths/{id}/students/{studentId}": {
		attacks: [
			{ expect: "denied", path: w => `/api/learning-paths/${w.lb.pathId}/students/${bMember(w, "student").id}` },
			{ expect: "refused", path: w => `/api/learning-paths/${w.la.pathId}/students/${bMember(w, "student").id}` },
		],
	},
	"POST /api/learning-paths/{id}/activate": {
		attacks: [
			{ expect: "denied", path: w => `/api/learning-paths/${w.lb.draftPathId}/activate` },
			{ expect: "denied", path: w => `/api/learning-paths/${w.lb.pathId}/activate` },
		],
	},
	"POST /api/learning-paths/{id}/archive": {
		attacks: [
			{ expect: "denied", path: w => `/api/learning-paths/${w.lb.pathId}/archive` },
			{ expect: "denied", path: w => `/api/learning-paths/${w.lb.draftPathId}/archive` },
		],
	},

	// progress
	"GET /api/learning-paths/{id}/progress": { attacks: [{ expect: "denied", path: w => `/api/learning-paths/${w.lb.pathId}/progress` }] },
	"GET /api/classes/{id}/progress": { attacks: [{ expect: "denied", path: w => `/api/classes/${B(w).classId}/progress` }] },
	"GET /api/progress/me": {
		attacks: [
			{
				expect: "own",
				path: w => `/api/progress/me${qs({ studentId: bMember(w, "student").id, schoolId: B(w).id, pathId: w.lb.pathId })}`,
				verify: (res, _w, me) => (res.body?.studentId === me.id ? undefined : `answered the progress of ${JSON.stringify(res.body?.studentId)}`),
			},
		],
	},

	// revision sessions
	"POST /api/revision-sessions": {
		attacks: [
			{ expect: "denied", path: () => "/api/revision-sessions", body: w => ({ pathId: w.lb.pathId, stepId: w.lb.revisionStepId }) },
			{ expect: "denied", path: () => "/api/revision-sessions", body: w => ({ pathId: w.lb.pathId, stepId: w.lb.revisionStepId, mode: "practice" }) },
			{ expect: "denied", path: () => "/api/revision-sessions", body: w => ({ pathId: w.la.pathId, stepId: w.lb.revisionStepId }) },
		],
	},
	"GET /api/revision-sessions": {
		attacks: [
			{ expect: "list", path: w => `/api/revision-sessions${qs({ pathId: w.lb.pathId, studentId: bMember(w, "student").id, pageSize: 100 })}` },
			{ expect: "list", path: w => `/api/revision-sessions${qs({ status: "active", schoolId: B(w).id, pageSize: 100 })}` },
		],
	},
	"GET /api/revision-sessions/{id}": { attacks: [{ expect: "denied", path: w => `/api/revision-sessions/${w.lb.revisionSessionId}` }] },
	"GET /api/revision-sessions/{id}/next": { attacks: [{ expect: "denied", path: w => `/api/revision-sessions/${w.lb.revisionSessionId}/next` }] },
	"POST /api/revision-sessions/{id}/answers": {
		attacks: [
			{
				expect: "denied",
				path: w => `/api/revision-sessions/${w.lb.revisionSessionId}/answers`,
				body: w => ({ clientId: unique("c"), itemId: w.lb.pendingItemId, answer: rightAnswer(w.lb.items, w.lb.pendingItemId), responseTimeMs: 3000 }),
			},
			// A's student's own session, answered with B's item: no review of another school's item.
			{
				expect: "refused",
				path: w => `/api/revision-sessions/${w.la.revisionSessionId}/answers`,
				body: w => ({ clientId: unique("c"), itemId: w.lb.pendingItemId, answer: rightAnswer(w.lb.items, w.lb.pendingItemId) }),
			},
		],
	},
	"POST /api/revision-sessions/{id}/end": { attacks: [{ expect: "denied", path: w => `/api/revision-sessions/${w.lb.revisionSessionId}/end` }] },

	// evaluations
	"POST /api/evaluations": {
		attacks: [
			{ expect: "denied", path: () => "/api/evaluations", body: w => ({ pathId: w.lb.pathId, stepId: w.lb.evaluationStepId }) },
			{ expect: "denied", path: () => "/api/evaluations", body: w => ({ pathId: w.la.pathId, stepId: w.lb.evaluationStepId }) },
		],
	},
	"POST /api/evaluations/{id}/submit": {
		attacks: [
			...(["attemptId", "submittedAttemptId"] as const).map(attempt => ({
				expect: "denied" as const,
				path: (w: World) => `/api/evaluations/${w.lb[attempt]}/submit`,
				body: (w: World) => ({ answers: evaluationAnswers(w.lb.items) }),
			})),
			// A's student's own running attempt, answered with B's questions.
			{ expect: "refused", path: w => `/api/evaluations/${w.la.attemptId}/submit`, body: w => ({ answers: evaluationAnswers(w.lb.items) }) },
		],
	},
	"GET /api/evaluations/{id}": {
		attacks: (["attemptId", "submittedAttemptId"] as const).map(attempt => ({ expect: "denied" as const, path: (w: World) => `/api/evaluations/${w.lb[attempt]}` })),
	},
	"GET /api/evaluations": {
		attacks: [
			{ expect: "list", path: w => `/api/evaluations${qs({ pathId: w.lb.pathId, stepId: w.lb.evaluationStepId, studentId: bMember(w, "student").id, pageSize: 100 })}` },
			{ expect: "list", path: w => `/api/evaluations${qs({ schoolId: B(w).id, pageSize: 100 })}` },
		],
	},

	// live sessions
	"POST /api/live-sessions": {
		attacks: [
			{ expect: "refused", path: () => "/api/live-sessions", body: w => ({ classId: B(w).classId, pathId: w.lb.pathId, stepId: w.lb.revisionStepId }) },
			{ expect: "refused", path: () => "/api/live-sessions", body: w => ({ classId: w.a.classId, pathId: w.lb.pathId, stepId: w.lb.revisionStepId }) },
			{ expect: "refused", path: () => "/api/live-sessions", body: w => ({ classId: B(w).classId, pathId: w.la.pathId, stepId: w.la.revisionStepId }) },
			{
				expect: "own",
				path: () => "/api/live-sessions",
				body: w => ({ classId: w.a.classId, pathId: w.la.pathId, stepId: w.la.revisionStepId, questionCount: 1, schoolId: B(w).id, teacherId: bMember(w, "teacher").id }),
				verify: (res, w, me) => (res.body?.schoolId === w.a.id && res.body?.teacherId === me.id ? undefined : `created ${JSON.stringify(res.body)}`),
			},
		],
	},
	"POST /api/live-sessions/join": { attacks: [{ expect: "denied", path: () => "/api/live-sessions/join", body: w => ({ code: liveOf(w.lb).code }) }] },
	"GET /api/live-sessions/{id}": { attacks: [{ expect: "denied", path: w => `/api/live-sessions/${liveOf(w.lb).id}` }] },

	// chat
	"POST /api/conversations": {
		// A support agent may open a support conversation with anyone, of any school, by design (docs/ACTIONS.md).
		attackers: A_MEMBERS,
		attacks: [
			...(["teacher", "student", "school_admin"] as const).map(label => ({ expect: "refused" as const, path: () => "/api/conversations", body: (w: World) => ({ userId: bMember(w, label).id }) })),
			{
				expect: "own",
				path: () => "/api/conversations",
				body: (w, me) => ({ userId: (me.label === "teacher" ? w.a.members.student : w.a.members.teacher).id, schoolId: B(w).id }),
				verify: sameSchool("schoolId"),
			},
		],
	},
	"GET /api/conversations": {
		attacks: [{ expect: "list", path: w => `/api/conversations${qs({ userId: bMember(w, "teacher").id, schoolId: B(w).id, pageSize: 100 })}` }],
	},
	"GET /api/conversations/{id}": { attacks: [{ expect: "denied", path: w => `/api/conversations/${w.lb.conversationId}` }] },
	"GET /api/conversations/{id}/messages": {
		attacks: [
			{ expect: "denied", path: w => `/api/conversations/${w.lb.conversationId}/messages${qs({ limit: 100 })}` },
			{
				expect: "own",
				// B's message as the cursor of the caller's own conversation: the page holds that conversation's messages only.
				path: (w, me) => `/api/conversations/${w.aChats[me.label]}/messages${qs({ before: w.lb.messageIds[1], limit: 100 })}`,
				verify: (res, w, me) =>
					Array.isArray(res.body?.rows) && res.body.rows.every((m: { conversationId: string }) => m.conversationId === w.aChats[me.label]) ? undefined : `answered ${JSON.stringify(res.body).slice(0, 300)}`,
			},
		],
	},
	"POST /api/conversations/{id}/messages": {
		attacks: [{ expect: "denied", path: w => `/api/conversations/${w.lb.conversationId}/messages`, body: () => ({ clientId: unique("m"), text: "Hello from another school" }) }],
	},
	"POST /api/conversations/{id}/read": {
		attacks: [
			{ expect: "denied", path: w => `/api/conversations/${w.lb.conversationId}/read`, body: w => ({ messageId: w.lb.messageIds[1] }) },
			{ expect: "refused", path: (w, me) => `/api/conversations/${w.aChats[me.label]}/read`, body: w => ({ messageId: w.lb.messageIds[1] }) },
		],
	},
	"POST /api/messages/{id}/report": {
		attacks: (["0", "1"] as const).map(i => ({
			expect: "denied" as const,
			path: (w: World) => `/api/messages/${w.lb.messageIds[Number(i)]}/report`,
			body: () => ({ reason: "reported from another school" }),
		})),
	},
	"GET /api/reports": { attacks: [{ expect: "list", path: w => `/api/reports${qs({ schoolId: B(w).id, pageSize: 100 })}` }] },
};

/** B's learning content, made before the snapshot: a validated and a draft item of B's teacher, B's school and teacher layers. */
const learning = { bValidated: "", bDraft: "", bTitle: "", bRetention: 0.87 };
async function seedLearningContent(w: World): Promise<string[]> {
	const teacher = bMember(w, "teacher");
	learning.bTitle = unique("B card ");
	const card = (title: string) => ({ kind: "flashcard", title, subject: "Geography", front: "B's front", back: "B's back" });
	const created = async (title: string) => {
		const res = await http("POST", "/api/content-items", { token: teacher.token, body: card(title) });
		expect(res.status, JSON.stringify(res.body)).to.equal(201);
		return res.body.id as string;
	};
	[learning.bValidated, learning.bDraft] = await Promise.all([created(learning.bTitle), created(unique("B draft "))]);
	const validated = await http("POST", `/api/content-items/${learning.bValidated}/status`, { token: teacher.token, body: { status: "validated" } });
	expect(validated.status, JSON.stringify(validated.body)).to.equal(200);
	for (const [by, body] of [
		[w.b.members.school_admin, { kind: "school", values: { desiredRetention: learning.bRetention } }],
		[teacher, { kind: "teacher", values: { maximumIntervalDays: 90 }, studentBounds: { practiceAllowed: true } }],
	] as const) {
		const res = await http("PUT", "/api/scheduling-profiles/layers", { token: by.token, body });
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
	}
	return [learning.bValidated, learning.bDraft, learning.bTitle];
}

function okTrue(res: HttpResult): string | undefined {
	return res.body?.ok === true ? undefined : "answer is not {ok:true}";
}

function isCaller(res: HttpResult, _w: World, me: Me): string | undefined {
	return res.body?.id === me.id ? undefined : `answered user ${JSON.stringify(res.body?.id)}, not the caller`;
}

/** Everything that identifies B or its data: none may appear in an answer to A (unless the request itself carried it). */
function needlesOf(b: PopulatedSchool): string[] {
	const members = MEMBER_LABELS.map(label => b.members[label]);
	return [
		b.id, b.code, b.name, b.className, b.classId, b.invitationId, b.invitationEmail, b.subscriptionId,
		...b.auditIds,
		...Object.values(b.notificationIds),
		...members.flatMap(m => [m.id, m.firstName, m.lastName, m.token, m.refreshToken, ...(m.email ? [m.email] : [])]),
	];
}

function leaks(res: HttpResult, request: string, needles: string[]): string[] {
	const text = (typeof res.body === "string" ? res.body : JSON.stringify(res.body ?? "")).toLowerCase();
	const sent = request.toLowerCase();
	return needles.filter(n => text.includes(n.toLowerCase()) && !sent.includes(n.toLowerCase()));
}

function permitted(route: Route, attacker: Attacker): boolean {
	const role = attacker === "pupil" ? "student" : attacker;
	return route.principals.includes(role) || route.principals.includes("anonymous");
}

/** What is wrong with one answer, or undefined. */
function judge(attack: Attack, route: Route, attacker: Me, res: HttpResult, w: World): string | undefined {
	const allowed = permitted(route, attacker.label);
	const s = res.status;
	if (s >= 500) return `${s} server error`;
	switch (attack.expect) {
		case "denied":
			return [403, 404].includes(s) ? undefined : `expected 403/404, got ${s}`;
		case "refused":
			return [403, 404, 422].includes(s) ? undefined : `expected 403/404/422, got ${s}`;
		case "list":
			if (!allowed) return s === 403 ? undefined : `expected 403 (role not allowed), got ${s}`;
			return s === 200 ? undefined : `expected 200, got ${s}`;
		case "own":
			if (!allowed) return s === 403 ? undefined : `expected 403 (role not allowed), got ${s}`;
			if (s >= 200 && s < 300) return attack.verify?.(res, w, attacker);
			return attack.statuses?.includes(s) ? undefined : `expected 2xx${attack.statuses ? ` or ${attack.statuses.join("/")}` : ""}, got ${s}`;
	}
}

const ROUTES = await declaredRoutes();

describe("tenant isolation", function () {
	this.timeout(60_000);
	let w: World;
	let needles: string[];
	let bScope: ReturnType<typeof schoolFilter>;
	let initial: Snapshot;
	let baseline: Snapshot;
	/** B's teacher's unread notifications when the snapshot was taken. */
	let bTeacherUnread: number;
	const allowances: NonNullable<RouteCase["mayChangeB"]>[] = [];

	before(async function () {
		await bootPlatform();
		const sharedUsername = unique("twin");
		const [a, b, support, root] = await Promise.all([
			populateSchool({ prefix: "A", pupilUsername: sharedUsername }),
			populateSchool({ prefix: "B", pupilUsername: sharedUsername, password: "the other school's long password" }),
			createStaff("support"),
			createStaff("platform_admin"),
		]);
		// Block 2 data, B's before its plan is cut down (live sessions move both schools to the essential plan).
		const [la, lb] = await Promise.all([populateLearning(a, { prefix: "A", live: true }), populateLearning(b, { prefix: "B", live: true })]);
		const aChats: Record<Attacker, string> = {
			school_admin: (await openConversation(a.members.school_admin, a.members.teacher)).id,
			teacher: la.conversationId,
			student: la.conversationId,
			pupil: (await openConversation(a.members.pupil, a.members.teacher)).id,
			support: (await openConversation(support, a.members.student)).id,
		};
		// B has no free seat left, A has plenty: an answer about the wrong school shows in subscription checks.
		const bSub = await http("GET", "/api/subscription", { token: b.members.school_admin.token });
		const resized = await http("PATCH", `/api/schools/${b.id}/subscription`, { token: root.token, body: { plan: "trial", seatLimit: bSub.body.seatsUsed } });
		expect(resized.status, JSON.stringify(resized.body)).to.equal(200);
		w = { a, b, support, sharedUsername, seatLimits: { a: PLANS.essential.seats, b: bSub.body.seatsUsed }, la, lb, aChats };
		const aSub = await http("GET", "/api/subscription", { token: a.members.school_admin.token });
		expect(aSub.body.seatLimit, "A's seat limit").to.equal(w.seatLimits.a);
		const contentNeedles = await seedLearningContent(w);
		needles = [...needlesOf(b), ...contentNeedles, ...learningNeedles(lb)];
		bScope = schoolFilter(b.id, MEMBER_LABELS.map(l => b.members[l].id));
		initial = await settledSnapshot(bScope);
		baseline = initial;
		bTeacherUnread = (await http("GET", "/api/notifications/unread-count", { token: b.members.teacher.token })).body.count;
		expect(bTeacherUnread, "B's teacher's unread notifications").to.be.greaterThan(0);
		expect(Object.values(initial).flatMap(Object.keys).length, "B's documents").to.be.greaterThan(10);
	});

	after(clearAddressThrottle);

	it("has a case for every route the gateway serves, and none for a route that is gone", async () => {
		const live = await liveRouteKeys();
		expect(live.length).to.be.greaterThan(40);
		// Routes a block's own suite attacks (test/support/route-claims/) are not repeated here.
		const claimed = (await routeClaims()).tenancy;
		expect([...claimed.keys()].filter(k => !live.includes(k)), "claimed routes that are not served").to.deep.equal([]);
		expect(Object.keys(CASES).filter(k => claimed.has(k)), "routes both in CASES and claimed by a block suite").to.deep.equal([]);
		expect(live.filter(k => !(k in CASES) && !claimed.has(k)), "routes without a tenant isolation case: add them to CASES or to a block's claims").to.deep.equal([]);
		expect(Object.keys(CASES).filter(k => !live.includes(k)), "cases for routes that no longer exist").to.deep.equal([]);
		expect(sameRoutes(ROUTES, live)).to.deep.equal({ declaredNotServed: [], servedNotDeclared: [] });
	});

	for (const [key, spec] of Object.entries(CASES)) {
		const label = spec.irrelevant ? `${key}: ${spec.irrelevant}` : `${key}: every member of A and support are refused B's data`;
		it(label, async function () {
			const route = ROUTES.find(r => r.key === key);
			if (!route) throw new Error(`${key} is not a declared route`);
			expect(spec.attacks?.length || spec.check, `${key} needs attacks or a check`).to.be.ok;
			const problems: string[] = [];
			const run = async () => {
				if (spec.check) await spec.check(w).catch((err: Error) => problems.push(`check: ${err.message}`));
				for (const attacker of spec.attackers ?? EVERYONE) {
					const account = attacker === "support" ? w.support : w.a.members[attacker];
					const me: Me = { ...account, label: attacker };
					for (const attack of spec.attacks ?? []) {
						const path = attack.path(w, me);
						const body = attack.body?.(w, me);
						const res = await http(route.method, path, { token: me.token, ...(body === undefined ? {} : { body }) });
						const request = `${path} ${JSON.stringify(body ?? "")}`;
						const verdict = judge(attack, route, me, res, w);
						const leaked = leaks(res, request, needles);
						if (verdict) problems.push(`${attacker} ${route.method} ${request} -> ${res.status}: ${verdict} ${JSON.stringify(res.body).slice(0, 300)}`);
						if (leaked.length) problems.push(`${attacker} ${route.method} ${request} -> ${res.status} leaks B's ${leaked.join(", ")}`);
					}
				}
			};
			if (spec.failsPasswords) {
				await clearAddressThrottle();
				await withSettings({ loginMaxFailures: 1000, ipMaxFailures: 10_000 }, run);
				await clearAddressThrottle();
			} else {
				await run();
			}

			const after = await settledSnapshot(bScope);
			const changes = diff(baseline, after).filter(c => !spec.mayChangeB?.allow(c));
			baseline = after;
			if (spec.mayChangeB) allowances.push(spec.mayChangeB);
			expect(problems, `${key}: answers`).to.deep.equal([]);
			expect(describeChanges(changes), `${key}: B's stored data changed`).to.deep.equal([]);
		});
	}

	it("leaves every document of school B exactly as it was (apart from the changes listed as legitimate)", async () => {
		const final = await settledSnapshot(bScope);
		const changes = diff(initial, final).filter(c => !allowances.some(a => a.allow(c)));
		expect(describeChanges(changes)).to.deep.equal([]);
		// The allowances stay narrow: B still has its class, invitation, members and unread notifications.
		const { lb } = w;
		const bLearning = [lb.pathId, lb.draftPathId, lb.revisionSessionId, lb.attemptId, lb.submittedAttemptId, lb.conversationId, ...lb.messageIds, liveOf(lb).id];
		for (const id of [w.b.classId, w.b.invitationId, ...MEMBER_LABELS.map(l => w.b.members[l].id), ...bLearning]) {
			expect(JSON.stringify(final), `B's document ${id}`).to.contain(id);
		}
		const unread = await http("GET", "/api/notifications/unread-count", { token: w.b.members.teacher.token });
		expect(unread.body.count).to.equal(bTeacherUnread);
		const relogin = await login({ schoolCode: w.b.code, username: w.sharedUsername, password: w.b.password });
		expect(relogin.user.schoolId).to.equal(w.b.id);
	});
});
