/**
 * `bad input`: wrong types, missing fields, Mongo operators, prototype keys, huge values, invalid ids,
 * arrays for objects, numbers as strings and forged identities. Every answer must be a 4xx with the
 * standard error body `{"error": {"type", "message"}}` (no 5xx, no stack trace), and the whole database
 * must be exactly as before each group.
 *
 * The per-route cases are generated from the routes the services declare: each field of a valid body
 * in turn gets a value of the wrong type, each required field in turn is left out, each path id is
 * replaced by a malformed and an unknown one. The 422 must name the altered field and nothing else,
 * which also proves the rest of the body was valid.
 */
import { expect } from "chai";
import { SignJWT } from "jose";
import { invite, PASSWORD, signupSchool, type Account, type SchoolFixture } from "../support/accounts.js";
import { describeChanges, diff, settledSnapshot, type Change, type Snapshot } from "../support/db-snapshot.js";
import { bootPlatform, http, unique, type HttpResult } from "../support/platform.js";
import { routeClaims } from "../support/route-claims.js";
import { clientParams, declaredRoutes, fillPath, isOptionalRule, liveRouteKeys, sameRoutes, type Route } from "../support/routes.js";
import { RIGHT } from "../support/learning-sessions.js";
import { clearAddressThrottle, createStaff, evaluationAnswers, populateLearning, populateSchool, rightAnswer, type PopulatedSchool, type SchoolLearning } from "../support/two-schools.js";

interface World {
	a: PopulatedSchool;
	/** School A's paths, sessions, attempts and conversation (populateLearning). */
	la: SchoolLearning;
	b: SchoolFixture;
	root: Account;
	support: Account;
}

type Caller = "school_admin" | "teacher" | "student" | "platform_admin" | "support" | "anonymous";

interface Probe {
	name: string;
	method: string;
	path: string;
	caller?: Caller;
	token?: string;
	body?: unknown;
	/** Sent as is (JSON.stringify would drop `__proto__`, and cannot send malformed JSON). */
	raw?: string;
	headers?: Record<string, string>;
	/** Acceptable statuses (all 4xx). */
	statuses: number[];
	/** For a 422 VALIDATION_ERROR: the only fields it may name (prefixes). */
	fields?: string[];
	type?: string;
	/** Extra check of the answer. */
	verify?: (res: HttpResult) => string | undefined;
}

/**
 * Changes a refused request may legitimately cause. None so far: failed logins are audited, but every
 * login probed here is refused before its password is checked; login-throttle counters live in Redis,
 * leases are deleted once their request ends, mail stays in memory.
 */
const EXCLUDED: { reason: string; allow: (c: Change) => boolean }[] = [];

/** A valid request of each route that changes something: path values and body. The probes alter one thing at a time. */
interface WriteBase {
	caller?: Caller;
	path?: (w: World) => Record<string, string>;
	body?: (w: World) => Record<string, unknown>;
	/** Why there is no missing-field case (no required field, no path id). */
	noRequiredField?: string;
	/** Why there is no wrong-type case (no parameter at all). */
	noParams?: string;
}

const TOKEN = "A".repeat(43);
/** Ids of school A's learning documents, made in `before` (WRITES are built synchronously from them). */
const learningIds = { aItem: "" };
const NEW_PASSWORD = "another long password 42";
const aClass = (w: World) => ({ id: w.a.classId });
const aStudent = (w: World) => ({ id: w.a.members.student.id });
const aPath = (w: World) => ({ id: w.la.pathId });
const aChat = (w: World) => ({ id: w.la.conversationId });
const newPath = (w: World) => ({
	name: unique("Path "),
	objectives: ["know the capitals"],
	subject: "Geography",
	studentIds: [w.a.members.student.id],
	classIds: [w.a.classId],
	steps: [{ title: "Capitals", itemIds: [w.la.items.capital, w.la.items.sea], completion: { type: "all_reviewed" } }],
	activate: true,
	settings: { practiceAllowed: true },
});

const WRITES: Record<string, WriteBase> = {
	"POST /api/auth/login": { caller: "anonymous", body: w => ({ email: w.a.members.teacher.email, password: PASSWORD }) },
	"POST /api/auth/logout": { body: () => ({ refreshToken: TOKEN, all: false }), noRequiredField: "every field is optional: an empty body logs nothing out" },
	"POST /api/auth/password": { caller: "teacher", body: () => ({ currentPassword: "not the current password", newPassword: NEW_PASSWORD }) },
	"POST /api/auth/password-reset/confirm": { caller: "anonymous", body: () => ({ token: TOKEN, password: NEW_PASSWORD }) },
	"POST /api/auth/password-reset/request": { caller: "anonymous", body: () => ({ email: `${unique("ghost")}@school.test` }) },
	"POST /api/auth/refresh": { caller: "anonymous", body: () => ({ refreshToken: TOKEN }) },
	"POST /api/auth/verify-email": { caller: "anonymous", body: () => ({ token: TOKEN }) },
	"POST /api/classes": {
		body: w => ({ name: unique("Class"), subject: "Maths", level: "5e", year: "2025", teacherIds: [w.a.members.teacher.id], studentIds: [w.a.members.student.id] }),
	},
	"PATCH /api/classes/{id}": { path: aClass, body: () => ({ name: unique("Renamed"), subject: "Physics", level: "4e", year: "2026" }) },
	"DELETE /api/classes/{id}": { path: aClass },
	"POST /api/classes/{id}/students": { path: aClass, body: w => ({ studentIds: [w.a.members.pupil.id] }) },
	"DELETE /api/classes/{id}/students/{studentId}": { path: w => ({ id: w.a.classId, studentId: w.a.members.student.id }) },
	"POST /api/classes/{id}/teachers": { path: aClass, body: w => ({ teacherIds: [w.a.members.teacher.id] }) },
	"DELETE /api/classes/{id}/teachers/{teacherId}": { path: w => ({ id: w.a.classId, teacherId: w.a.members.teacher.id }) },
	"POST /api/classes/import": { body: () => ({ csv: `name,year\n${unique("Imported")},2025\n`, mode: "all_or_nothing" }) },
	"POST /api/invitations": { body: w => ({ email: `${unique("inv")}@school.test`, role: "student", firstName: "In", lastName: "Vited", classIds: [w.a.classId] }) },
	"DELETE /api/invitations/{id}": { path: w => ({ id: w.a.invitationId }) },
	"POST /api/invitations/accept": { caller: "anonymous", body: () => ({ token: TOKEN, password: NEW_PASSWORD, firstName: "Ac", lastName: "Cepted" }) },
	"PATCH /api/me": { body: () => ({ firstName: "Renamed", lastName: "Admin", locale: "fr-FR" }), noRequiredField: "every field is optional: an empty patch changes nothing" },
	"POST /api/notifications/{id}/read": { path: w => ({ id: w.a.notificationIds.school_admin }) },
	"POST /api/notifications/read-all": {
		caller: "support",
		noParams: "takes no parameters (support has no notification, so a probe that went through would change nothing either)",
		noRequiredField: "takes no parameters",
	},
	"PATCH /api/school": { body: () => ({ name: unique("Renamed School "), timezone: "Europe/Paris", settings: { locale: "fr", weekStartsOn: 1 } }), noRequiredField: "every field is optional" },
	"POST /api/schools/{id}/reactivate": { path: w => ({ id: w.b.school.id }) },
	"PATCH /api/schools/{id}/subscription": { path: w => ({ id: w.b.school.id }), body: () => ({ plan: "essential", seatLimit: 100 }) },
	"POST /api/schools/{id}/suspend": { path: w => ({ id: w.b.school.id }), body: () => ({ reason: "unpaid" }) },
	"POST /api/schools/signup": {
		caller: "anonymous",
		body: () => ({
			school: { name: unique("School "), timezone: "Europe/Paris" },
			admin: { email: `${unique("admin")}@school.test`, password: NEW_PASSWORD, firstName: "Ad", lastName: "Min" },
		}),
	},
	"PATCH /api/users/{id}/roles": { path: aStudent, body: () => ({ roles: ["student", "teacher"] }) },
	"PATCH /api/users/{id}/student-profile": {
		path: aStudent,
		body: () => ({ levels: [{ subject: "Maths", level: "B1" }], preferences: { reminders: true }, accommodations: { largeText: true } }),
	},
	"POST /api/users/{id}/suspend": { path: aStudent },
	"POST /api/users/{id}/reactivate": { path: aStudent },
	"POST /api/users/students": { body: () => ({ username: unique("pupil"), password: NEW_PASSWORD, firstName: "Pu", lastName: "Pil" }) },
	"POST /api/users/students/import": { body: () => ({ csv: `username,firstName,lastName,password\n${unique("imp")},Im,Port,${NEW_PASSWORD}\n`, mode: "all_or_nothing" }) },
	// Block 2, content / scheduling: `learningIds` holds an item of school A (made in `before`)
	"POST /api/content-items": { body: () => ({ kind: "flashcard", title: unique("Card "), subject: "Geography", tags: ["t"], difficulty: 2, front: "f", back: "b" }) },
	"PATCH /api/content-items/{id}": { path: () => ({ id: learningIds.aItem }), body: () => ({ title: unique("Renamed "), front: "new front" }) },
	"DELETE /api/content-items/{id}": { path: () => ({ id: learningIds.aItem }) },
	"POST /api/content-items/{id}/status": { path: () => ({ id: learningIds.aItem }), body: () => ({ status: "validated" }) },
	"POST /api/content-items/import": {
		body: () => ({ format: "csv", text: `kind,title,front,back\nflashcard,${unique("Imp")},f,b\n`, mode: "all_or_nothing", subject: "Geography" }),
	},
	"PUT /api/scheduling-profiles/layers": {
		body: () => ({ kind: "subject", subject: "Geography", values: { desiredRetention: 0.85 }, studentBounds: { practiceAllowed: true } }),
	},
	"POST /api/scheduling-profiles/optimize": { body: w => ({ studentId: w.a.members.student.id, subject: "Geography" }) },
	// Block 2, paths, sessions, evaluations, live sessions and chat: `w.la` holds school A's (made in `before`)
	"POST /api/learning-paths": { caller: "teacher", body: newPath },
	"POST /api/learning-paths/create": { caller: "teacher", body: newPath },
	"PATCH /api/learning-paths/{id}": {
		path: aPath,
		body: () => ({ name: unique("Renamed path "), objectives: ["read maps"], subject: "Geography", settings: { practiceAllowed: false } }),
	},
	"PUT /api/learning-paths/{id}/steps": {
		path: aPath,
		body: w => ({
			steps: [
				{ id: w.la.revisionStepId, title: "Revise again", itemIds: [w.la.items.capital, w.la.items.rome], completion: { type: "mastery", threshold: 0.9 } },
				{ title: "New step", itemIds: [w.la.items.sea], prerequisites: [0], availableFrom: "2030-01-01T00:00:00.000Z" },
			],
		}),
	},
	"POST /api/learning-paths/{id}/steps/reorder": { path: aPath, body: w => ({ order: [w.la.evaluationStepId, w.la.revisionStepId] }) },
	"POST /api/learning-paths/{id}/students": { path: aPath, body: w => ({ studentIds: [w.a.members.pupil.id], classIds: [w.a.classId] }) },
	"DELETE /api/learning-paths/{id}/students/{studentId}": { path: w => ({ id: w.la.pathId, studentId: w.a.members.student.id }) },
	"POST /api/learning-paths/{id}/activate": { path: w => ({ id: w.la.draftPathId }) },
	"POST /api/learning-paths/{id}/archive": { path: aPath },
	"POST /api/revision-sessions": { body: w => ({ pathId: w.la.pathId, stepId: w.la.revisionStepId, mode: "practice" }) },
	"POST /api/revision-sessions/{id}/answers": {
		path: w => ({ id: w.la.revisionSessionId }),
		body: w => ({ clientId: unique("c"), itemId: w.la.pendingItemId, answer: rightAnswer(w.la.items, w.la.pendingItemId), responseTimeMs: 3000 }),
	},
	"POST /api/revision-sessions/{id}/end": { path: w => ({ id: w.la.revisionSessionId }) },
	"POST /api/evaluations": { body: w => ({ pathId: w.la.pathId, stepId: w.la.evaluationStepId }) },
	"POST /api/evaluations/{id}/submit": {
		path: w => ({ id: w.la.attemptId }),
		body: w => ({ answers: evaluationAnswers(w.la.items) }),
	},
	"POST /api/live-sessions": { body: w => ({ classId: w.a.classId, pathId: w.la.pathId, stepId: w.la.revisionStepId, questionCount: 1, timeLimitSeconds: 30 }) },
	"POST /api/live-sessions/join": { caller: "student", body: () => ({ code: "ABCD23" }) },
	"POST /api/conversations": { caller: "teacher", body: w => ({ userId: w.a.members.pupil.id }) },
	"POST /api/conversations/{id}/messages": { caller: "teacher", path: aChat, body: () => ({ clientId: unique("m"), text: "Hello again" }) },
	"POST /api/conversations/{id}/read": { caller: "student", path: aChat, body: w => ({ messageId: w.la.messageIds[1] }) },
	"POST /api/messages/{id}/report": { caller: "student", path: w => ({ id: w.la.messageIds[1] }), body: () => ({ reason: "rude" }) },
};

/** Path values for the routes that only read: an id of the caller's school. */
const READ_PATHS: Record<string, (w: World) => Record<string, string>> = {
	"GET /api/classes/{id}": aClass,
	"GET /api/users/{id}": aStudent,
	"GET /api/schools/{id}": w => ({ id: w.b.school.id }),
};

const WRITE_METHODS = ["POST", "PATCH", "PUT", "DELETE"];
const ROUTES = await declaredRoutes();
const WRITE_ROUTES = ROUTES.filter(r => WRITE_METHODS.includes(r.method));
const READ_ROUTES = ROUTES.filter(r => !WRITE_METHODS.includes(r.method));

function ruleType(rule: unknown): string {
	if (typeof rule === "string") return rule.split("|")[0];
	if (Array.isArray(rule)) return "multi";
	return String((rule as { type?: string })?.type ?? "any");
}

/** A value that no rule of this type accepts, even with `convert`. */
function wrongValue(rule: unknown): unknown {
	switch (ruleType(rule)) {
		case "number":
			return "not-a-number";
		case "boolean":
			return "not-a-boolean";
		case "array":
			return { not: "an array" };
		case "object":
			return "not-an-object";
		default:
			return 12345;
	}
}

/** Who calls a route: a role the permission matrix allows, school roles first. */
function callerFor(route: Route, preferred?: Caller): Caller {
	if (preferred) return preferred;
	for (const role of ["school_admin", "teacher", "student", "platform_admin", "support"] as const) {
		if (route.principals.includes(role)) return role;
	}
	return "anonymous";
}

function tokenOf(w: World, caller: Caller): string | undefined {
	switch (caller) {
		case "anonymous":
			return undefined;
		case "platform_admin":
			return w.root.token;
		case "support":
			return w.support.token;
		default:
			return w.a.members[caller].token;
	}
}

/** What is wrong with an answer to bad input, or undefined. */
function judge(probe: Probe, res: HttpResult): string | undefined {
	const text = typeof res.body === "string" ? res.body : JSON.stringify(res.body ?? null);
	if (/\n\s+at |\bat [\w.<>]+ \(|node_modules|\.ts:\d+|"stack"/.test(text)) return `stack trace in the body: ${text.slice(0, 300)}`;
	if (!probe.statuses.includes(res.status)) return `expected ${probe.statuses.join("/")}, got ${res.status}: ${text.slice(0, 300)}`;
	// A few probes expect the request to be served, with the forged part ignored.
	if (res.status < 400) return probe.verify?.(res);
	const error = (res.body as any)?.error;
	if (!error || typeof error.type !== "string" || typeof error.message !== "string") return `not the standard error body: ${text.slice(0, 300)}`;
	if (probe.type && error.type !== probe.type) return `error type ${error.type}, expected ${probe.type}`;
	if (probe.fields && res.status === 422 && error.type === "VALIDATION_ERROR") {
		const named: string[] = Array.isArray(error.data) ? error.data.map((p: any) => String(p.field)) : [];
		const others = named.filter(f => !probe.fields!.some(ok => f === ok || f.startsWith(`${ok}.`) || f.startsWith(`${ok}[`)));
		if (named.length === 0) return `422 names no field: ${text.slice(0, 300)}`;
		if (others.length > 0) return `422 names ${others.join(", ")} besides ${probe.fields.join(", ")}: is the base body valid? ${text.slice(0, 300)}`;
	}
	return probe.verify?.(res);
}

function servedRows(res: HttpResult): string | undefined {
	return Array.isArray((res.body as any)?.rows) ? undefined : `not a page: ${JSON.stringify(res.body).slice(0, 200)}`;
}

let world: World;
/** The database as the previous group left it (settled), so each group reads it only once more. */
let lastSnapshot: Snapshot | undefined;

/** Runs the probes and checks every answer, then that the database did not change. */
async function probeAll(probes: Probe[]): Promise<void> {
	expect(probes.length, "a group needs probes").to.be.greaterThan(0);
	const before = lastSnapshot ?? (await settledSnapshot());
	const problems: string[] = [];
	for (const probe of probes) {
		const token = probe.token ?? tokenOf(world, probe.caller ?? "school_admin");
		const res = await http(probe.method, probe.path, {
			token,
			headers: probe.headers,
			...(probe.raw !== undefined ? { raw: probe.raw } : probe.body !== undefined ? { body: probe.body } : {}),
		});
		const problem = judge(probe, res);
		if (problem) problems.push(`${probe.name} (${probe.method} ${probe.path.slice(0, 120)}): ${problem}`);
	}
	const after = await settledSnapshot();
	lastSnapshot = after;
	const changes = diff(before, after).filter(c => !EXCLUDED.some(e => e.allow(c)));
	const polluted = Object.keys(Object.prototype).map(k => `Object.prototype polluted: ${k}`);
	expect([...problems, ...describeChanges(changes).map(c => `stored: ${c}`), ...polluted]).to.deep.equal([]);
}

function writeProbes(route: Route, base: WriteBase): Probe[] {
	const caller = callerFor(route, base.caller);
	const pathValues = base.path?.(world) ?? {};
	const body = base.body?.(world) ?? {};
	const path = fillPath(route.path, pathValues);
	const common = { method: route.method, caller };
	const probes: Probe[] = [];
	for (const [name, rule] of clientParams(route)) {
		probes.push({ ...common, name: `wrong type: ${name}`, path, body: { ...body, [name]: wrongValue(rule) }, statuses: [422], fields: [name] });
		if (!isOptionalRule(rule)) {
			const { [name]: _left, ...rest } = body;
			probes.push({ ...common, name: `missing: ${name}`, path, body: rest, statuses: [422], fields: [name] });
		}
	}
	route.pathParams.forEach((param, i) => {
		const malformed = fillPath(route.path, { ...pathValues, [param]: "not-an-id" });
		probes.push({ ...common, name: `malformed id: ${param}`, path: malformed, body, statuses: [404, 422], fields: [param] });
		const missing = fillPath(route.path, { ...pathValues, [param]: "" });
		probes.push({ ...common, name: `missing id: ${param}`, path: missing, body, statuses: [404, 405, 422] });
		// An unknown id only for the resource itself: removing an unknown member from a class is a no-op, not bad input.
		if (i === 0) probes.push({ ...common, name: `unknown id: ${param}`, path: fillPath(route.path, { ...pathValues, [param]: "000000000000000000000000" }), body, statuses: [404] });
	});
	if (clientParams(route).length > 0) {
		probes.push({ ...common, name: "array instead of object", path, body: [body], statuses: [400, 422] });
		probes.push({ ...common, name: "string instead of object", path, raw: JSON.stringify("text"), statuses: [400, 422] });
	}
	return probes;
}

/** Query parameter types a string can fail (any string passes a string rule). */
const TYPED_QUERY = ["number", "boolean", "enum"];

function readProbes(route: Route): Probe[] {
	const caller = callerFor(route);
	// Routes without a known id get unknown ones: the probes alter one parameter at a time anyway.
	const pathValues = { ...Object.fromEntries(route.pathParams.map(p => [p, "65a000000000000000000001"])), ...READ_PATHS[route.key]?.(world) };
	const probes: Probe[] = [];
	const common = { method: route.method, caller };
	for (const [name, rule] of clientParams(route)) {
		const type = ruleType(rule);
		// A query string only carries strings: numbers, booleans and enums are what can be of the wrong kind.
		if (!TYPED_QUERY.includes(type)) continue;
		const wrong = type === "number" ? "not-a-number" : type === "boolean" ? "not-a-boolean" : "not-a-member";
		probes.push({ ...common, name: `wrong type: ${name}`, path: `${fillPath(route.path, pathValues)}?${new URLSearchParams({ [name]: wrong })}`, statuses: [422], fields: [name] });
	}
	for (const param of route.pathParams) {
		probes.push({ ...common, name: `malformed id: ${param}`, path: fillPath(route.path, { ...pathValues, [param]: "not-an-id" }), statuses: [404, 422], fields: [param] });
		probes.push({ ...common, name: `unknown id: ${param}`, path: fillPath(route.path, { ...pathValues, [param]: "000000000000000000000000" }), statuses: [404] });
		probes.push({ ...common, name: `operator as id: ${param}`, path: fillPath(route.path, { ...pathValues, [param]: '{"$ne":null}' }), statuses: [400, 404, 422] });
	}
	return probes;
}

describe("bad input", function () {
	this.timeout(60_000);

	before(async function () {
		await bootPlatform();
		const [a, b, root, support] = await Promise.all([
			populateSchool({ prefix: "Bad", pupilUsername: unique("pupil") }),
			signupSchool(),
			createStaff("platform_admin"),
			createStaff("support"),
		]);
		const la = await populateLearning(a, { prefix: "Bad" });
		world = { a, la, b, root, support };
		const item = await http("POST", "/api/content-items", {
			token: a.members.teacher.token,
			body: { kind: "flashcard", title: unique("Card "), subject: "Geography", front: "f", back: "b" },
		});
		expect(item.status, JSON.stringify(item.body)).to.equal(201);
		learningIds.aItem = item.body.id;
		await clearAddressThrottle();
	});

	after(clearAddressThrottle);

	it("has a valid base request for every route that changes something, and none for a route that is gone", async () => {
		const live = await liveRouteKeys();
		expect(sameRoutes(ROUTES, live)).to.deep.equal({ declaredNotServed: [], servedNotDeclared: [] });
		// Write routes a block's own suite probes (test/support/route-claims/) are not repeated here.
		const claimed = (await routeClaims()).badInput;
		expect([...claimed.keys()].filter(k => !live.includes(k)), "claimed routes that are not served").to.deep.equal([]);
		expect(Object.keys(WRITES).filter(k => claimed.has(k)), "routes both in WRITES and claimed by a block suite").to.deep.equal([]);
		expect(WRITE_ROUTES.filter(r => !(r.key in WRITES) && !claimed.has(r.key)).map(r => r.key), "write routes without a base request in WRITES or a block's claims").to.deep.equal([]);
		expect(Object.keys(WRITES).filter(k => !WRITE_ROUTES.some(r => r.key === k)), "WRITES entries for routes that no longer exist").to.deep.equal([]);
		for (const route of WRITE_ROUTES.filter(r => r.key in WRITES)) {
			const base = WRITES[route.key];
			const params = clientParams(route);
			const required = params.some(([, rule]) => !isOptionalRule(rule)) || route.pathParams.length > 0;
			if (!required) expect(base.noRequiredField, `${route.key} has no required field: say why in noRequiredField`).to.be.a("string");
			if (params.length === 0 && route.pathParams.length === 0) expect(base.noParams, `${route.key} takes no parameter: say why in noParams`).to.be.a("string");
		}
	});

	// A route without a base request fails the first test; it gets its cases once it has one.
	for (const route of WRITE_ROUTES.filter(r => r.key in WRITES)) {
		it(`${route.key}: wrong types, missing fields and bad ids are refused (4xx), nothing stored`, async function () {
			const base = WRITES[route.key];
			const probes = writeProbes(route, base);
			if (base.noParams) {
				// Nothing to get wrong but the shape of the body itself.
				probes.push({ method: route.method, caller: callerFor(route, base.caller), name: "array body", path: route.path, body: [{ all: true }], statuses: [400, 422] });
			}
			await probeAll(probes);
		});
	}

	for (const route of READ_ROUTES.filter(r => r.pathParams.length > 0 || clientParams(r).some(([, rule]) => TYPED_QUERY.includes(ruleType(rule))))) {
		it(`${route.key}: query values of the wrong kind and bad ids are refused (4xx), nothing stored`, async () => {
			await probeAll(readProbes(route));
		});
	}
	it("Mongo operators as credentials, emails, tokens and ids are refused, nothing stored", async () => {
		const w = world;
		const teacherEmail = w.a.members.teacher.email!;
		const op = (name: string, method: string, path: string, body: unknown, caller: Caller = "anonymous"): Probe => ({ name, method, path, body, caller, statuses: [400, 422] });
		await probeAll([
			op("login email $gt", "POST", "/api/auth/login", { email: { $gt: "" }, password: PASSWORD }),
			op("login password $gt", "POST", "/api/auth/login", { email: teacherEmail, password: { $gt: "" } }),
			op("login password $ne", "POST", "/api/auth/login", { email: teacherEmail, password: { $ne: null } }),
			op("login code and username operators", "POST", "/api/auth/login", { schoolCode: { $ne: null }, username: { $gt: "" }, password: { $ne: null } }),
			op("login email $regex", "POST", "/api/auth/login", { email: { $regex: ".*" }, password: PASSWORD }),
			op("signup admin email $gt", "POST", "/api/schools/signup", {
				school: { name: unique("School "), timezone: "Europe/Paris" },
				admin: { email: { $gt: "" }, password: NEW_PASSWORD, firstName: "A", lastName: "B" },
			}),
			op("invitation email $gt", "POST", "/api/invitations", { email: { $gt: "" }, role: "student" }, "school_admin"),
			op("invitation role $ne", "POST", "/api/invitations", { email: `${unique("inv")}@school.test`, role: { $ne: null } }, "school_admin"),
			op("invitation classIds [$ne]", "POST", "/api/invitations", { email: `${unique("inv")}@school.test`, role: "student", classIds: [{ $ne: null }] }, "school_admin"),
			op("accept token $ne", "POST", "/api/invitations/accept", { token: { $ne: null }, password: NEW_PASSWORD, firstName: "A", lastName: "B" }),
			op("reset token $gt", "POST", "/api/auth/password-reset/confirm", { token: { $gt: "" }, password: NEW_PASSWORD }),
			op("reset request email $ne", "POST", "/api/auth/password-reset/request", { email: { $ne: null } }),
			op("verify-email token $ne", "POST", "/api/auth/verify-email", { token: { $ne: null } }),
			op("refresh token $ne", "POST", "/api/auth/refresh", { refreshToken: { $ne: null } }),
			op("enroll studentIds $ne", "POST", `/api/classes/${w.a.classId}/students`, { studentIds: { $ne: null } }, "school_admin"),
			op("enroll studentIds [$ne]", "POST", `/api/classes/${w.a.classId}/students`, { studentIds: [{ $ne: null }] }, "school_admin"),
			op("roles $in", "PATCH", `/api/users/${w.a.members.student.id}/roles`, { roles: { $in: ["school_admin"] } }, "school_admin"),
			op("$where in a profile", "PATCH", "/api/me", { firstName: { $where: "sleep(100)" } }, "teacher"),
			op("audit actorId[$ne] in the query", "GET", "/api/audit?actorId[$ne]=x", undefined, "school_admin"),
			op("users q[$regex] in the query", "GET", "/api/users?q[$regex]=.*", undefined, "school_admin"),
			op("duplicate key smuggling an operator", "POST", "/api/auth/login", undefined),
		].map(p => (p.name === "duplicate key smuggling an operator" ? { ...p, raw: `{"email":"${teacherEmail}","password":"x","password":{"$gt":""}}` } : p)));
	});

	it("__proto__, constructor and prototype keys are refused and pollute nothing", async () => {
		const w = world;
		const raw = (name: string, method: string, path: string, text: string, caller: Caller = "school_admin"): Probe => ({ name, method, path, raw: text, caller, statuses: [400, 422] });
		await probeAll([
			raw("login __proto__", "POST", "/api/auth/login", `{"__proto__":{"roles":["platform_admin"]},"email":"${w.a.members.teacher.email}","password":"${PASSWORD}"}`, "anonymous"),
			raw(
				"signup nested __proto__",
				"POST",
				"/api/schools/signup",
				`{"school":{"name":"${unique("School ")}","timezone":"Europe/Paris","__proto__":{"polluted":true}},"admin":{"email":"${unique("a")}@school.test","password":"${NEW_PASSWORD}","firstName":"A","lastName":"B"}}`,
				"anonymous",
			),
			raw("profile constructor.prototype", "PATCH", "/api/me", `{"constructor":{"prototype":{"isAdmin":true}},"firstName":"Proto"}`),
			raw("class __proto__ with another school", "POST", "/api/classes", `{"name":"${unique("Proto")}","__proto__":{"schoolId":"${w.b.school.id}"}}`),
			raw("invitation prototype", "POST", "/api/invitations", `{"email":"${unique("p")}@school.test","role":"student","prototype":{"roles":["school_admin"]}}`),
			raw("school settings __proto__", "PATCH", "/api/school", `{"settings":{"__proto__":{"polluted":1}}}`),
			raw("student import __proto__", "POST", "/api/users/students/import", `{"csv":"username,firstName,lastName,password\\n${unique("p")},A,B,${NEW_PASSWORD}\\n","mode":"all_or_nothing","__proto__":{"mode":"valid_only"}}`),
			// The query parser drops `__proto__` itself (nothing reaches a service): refused or served without it.
			{ name: "query __proto__", method: "GET", path: "/api/users?__proto__=x&constructor=y", caller: "school_admin", statuses: [200, 400, 422], verify: servedRows },
			{ name: "query __proto__[polluted]", method: "GET", path: "/api/users?__proto__[polluted]=1", caller: "school_admin", statuses: [200, 400, 422], verify: servedRows },
		]);
		expect(({} as any).polluted, "Object.prototype.polluted").to.equal(undefined);
		expect(({} as any).isAdmin, "Object.prototype.isAdmin").to.equal(undefined);
	});

	it("learning and chat: operators, prototype keys, malformed answers and huge texts are refused, nothing stored", async () => {
		const { a, la } = world;
		const session = `/api/revision-sessions/${la.revisionSessionId}/answers`;
		const submit = `/api/evaluations/${la.attemptId}/submit`;
		const chat = `/api/conversations/${la.conversationId}`;
		const pending = la.pendingItemId;
		const refused = (name: string, method: string, path: string, body: unknown, caller: Caller, statuses = [400, 422]): Probe => ({ name, method, path, body, caller, statuses });
		const answer = (name: string, value: unknown) => refused(`revision answer ${name}`, "POST", session, { clientId: unique("c"), itemId: pending, answer: value }, "student", [422]);
		const graded = (name: string, answers: unknown[]) => refused(`evaluation ${name}`, "POST", submit, { answers }, "student", [422]);
		const big = "x".repeat(100 * 1024);
		await probeAll([
			// Operators: the gateway refuses `$` keys wherever they sit.
			refused("path studentIds [$ne]", "POST", "/api/learning-paths", { ...newPath(world), studentIds: [{ $ne: null }] }, "teacher"),
			refused("path step itemIds [$ne]", "POST", "/api/learning-paths", { ...newPath(world), steps: [{ title: "S", itemIds: [{ $ne: null }] }] }, "teacher"),
			refused("assign classIds $in", "POST", `/api/learning-paths/${la.pathId}/students`, { classIds: { $in: [a.classId] } }, "teacher"),
			refused("revision pathId $ne", "POST", "/api/revision-sessions", { pathId: { $ne: null }, stepId: la.revisionStepId }, "student"),
			refused("revision answer text $ne", "POST", session, { clientId: unique("c"), itemId: pending, answer: { text: { $ne: null }, rating: { $gt: 0 } } }, "student"),
			refused("evaluation itemId $ne", "POST", submit, { answers: [{ itemId: { $ne: null }, answer: RIGHT.capital }] }, "student"),
			refused("evaluation choiceId $in", "POST", submit, { answers: [{ itemId: la.items.sea, answer: { choiceId: { $in: ["baltic"] } } }] }, "student"),
			refused("conversation userId $ne", "POST", "/api/conversations", { userId: { $ne: null } }, "teacher"),
			refused("message text $gt", "POST", `${chat}/messages`, { clientId: unique("m"), text: { $gt: "" } }, "teacher"),
			refused("read messageId $ne", "POST", `${chat}/read`, { messageId: { $ne: null } }, "student"),
			refused("report reason $ne", "POST", `/api/messages/${la.messageIds[1]}/report`, { reason: { $ne: null } }, "student"),
			refused("live join code $regex", "POST", "/api/live-sessions/join", { code: { $regex: ".*" } }, "student"),
			refused("history before[$ne] in the query", "GET", `${chat}/messages?before[$ne]=x`, undefined, "teacher"),
			refused("revision list studentId[$ne] in the query", "GET", "/api/revision-sessions?studentId[$ne]=x", undefined, "school_admin"),
			refused("evaluation list studentId[$ne] in the query", "GET", "/api/evaluations?studentId[$ne]=x", undefined, "school_admin"),
			// Prototype keys inside answers and steps.
			{ name: "revision answer __proto__", method: "POST", path: session, caller: "student", statuses: [400, 422], raw: `{"clientId":"${unique("c")}","itemId":"${pending}","answer":{"__proto__":{"correct":true},"rating":3,"text":"Paris"}}` },
			{ name: "evaluation answer constructor", method: "POST", path: submit, caller: "student", statuses: [400, 422], raw: `{"answers":[{"itemId":"${la.items.sea}","answer":{"constructor":{"prototype":{"correct":true}},"choiceId":"baltic"}}]}` },
			{ name: "path step __proto__", method: "PUT", path: `/api/learning-paths/${la.pathId}/steps`, caller: "teacher", statuses: [400, 422], raw: `{"steps":[{"title":"S","__proto__":{"kind":"evaluation"}}]}` },
			// Answers of the wrong shape reach the graders: refused (422) with nothing stored, not graded as wrong.
			answer("null", null),
			answer("as a bare string", "Paris"),
			answer("as an array", [RIGHT.capital, RIGHT.rome]),
			answer(pending === la.items.capital ? "text as a number" : "rating 7", pending === la.items.capital ? { text: 42 } : { rating: 7 }),
			graded("text as a number", [{ itemId: la.items.capital, answer: { text: 42 } }]),
			graded("choiceId as an array", [{ itemId: la.items.sea, answer: { choiceId: ["baltic"] } }]),
			graded("answer null", [{ itemId: la.items.sea, answer: null }]),
			graded("a question of another evaluation", [{ itemId: la.items.rome, answer: RIGHT.rome }]),
			graded("a question twice", [{ itemId: la.items.sea, answer: RIGHT.sea }, { itemId: la.items.sea, answer: RIGHT.sea }]),
			// Huge texts.
			{ name: "100 kB message", method: "POST", path: `${chat}/messages`, caller: "teacher", body: { clientId: unique("m"), text: big }, statuses: [422], fields: ["text"] },
			{ name: "100 kB report reason", method: "POST", path: `/api/messages/${la.messageIds[1]}/report`, caller: "student", body: { reason: big }, statuses: [422], fields: ["reason"] },
			{ name: "100 kB path name", method: "POST", path: "/api/learning-paths", caller: "teacher", body: { ...newPath(world), name: big }, statuses: [422], fields: ["name"] },
			{ name: "100 kB step title", method: "PUT", path: `/api/learning-paths/${la.pathId}/steps`, caller: "teacher", body: { steps: [{ title: big }] }, statuses: [422], fields: ["steps"] },
			{ name: "100 kB revision answer", method: "POST", path: session, caller: "student", body: { clientId: unique("c"), itemId: pending, answer: { text: big, rating: 3 } }, statuses: [422] },
			{ name: "5000 answers", method: "POST", path: submit, caller: "student", body: { answers: Array.from({ length: 5000 }, () => ({ itemId: la.items.sea, answer: RIGHT.sea })) }, statuses: [422], fields: ["answers"] },
		]);
	});

	it("huge values are refused (422), huge bodies are 413 and deep nesting is 400, nothing stored", async () => {
		const w = world;
		const big = "x".repeat(100 * 1024);
		const twoMb = "y".repeat(2 * 1024 * 1024);
		let deep: Record<string, unknown> = { level: "B1" };
		for (let i = 0; i < 50; i++) deep = { nested: deep };
		await probeAll([
			{ name: "100 kB class name", method: "POST", path: "/api/classes", body: { name: big }, statuses: [422], fields: ["name"] },
			{ name: "100 kB first name", method: "PATCH", path: "/api/me", body: { firstName: big }, statuses: [422], fields: ["firstName"] },
			{
				name: "100 kB school name",
				method: "POST",
				path: "/api/schools/signup",
				caller: "anonymous",
				body: { school: { name: big, timezone: "Europe/Paris" }, admin: { email: `${unique("a")}@school.test`, password: NEW_PASSWORD, firstName: "A", lastName: "B" } },
				statuses: [422],
				fields: ["school.name"],
			},
			{ name: "100 kB email", method: "POST", path: "/api/invitations", body: { email: `${big}@school.test`, role: "student" }, statuses: [422], fields: ["email"] },
			{ name: "100 kB login email", method: "POST", path: "/api/auth/login", caller: "anonymous", body: { email: big, password: PASSWORD }, statuses: [422], fields: ["email"] },
			{ name: "100 kB password", method: "POST", path: "/api/users/students", body: { username: unique("p"), password: big, firstName: "A", lastName: "B" }, statuses: [422], fields: ["password"] },
			{ name: "5000 ids", method: "POST", path: `/api/classes/${w.a.classId}/students`, body: { studentIds: Array.from({ length: 5000 }, () => w.a.members.pupil.id) }, statuses: [422], fields: ["studentIds"] },
			{ name: "2 MB CSV", method: "POST", path: "/api/users/students/import", body: { csv: twoMb, mode: "valid_only" }, statuses: [413], type: "PAYLOAD_TOO_LARGE" },
			{ name: "2 MB login", method: "POST", path: "/api/auth/login", caller: "anonymous", body: { email: "a@b.cd", password: twoMb }, statuses: [413], type: "PAYLOAD_TOO_LARGE" },
			{ name: "nesting 50 deep", method: "PATCH", path: `/api/users/${w.a.members.student.id}/student-profile`, body: { preferences: deep }, statuses: [400, 422] },
		]);
	});

	it("malformed JSON and bodies that are not objects are refused (400/415/422), nothing stored", async () => {
		const raw = (name: string, text: string, statuses = [400, 422], headers?: Record<string, string>): Probe => ({
			name,
			method: "POST",
			path: "/api/classes",
			raw: text,
			headers,
			statuses,
		});
		await probeAll([
			{ ...raw("truncated JSON", `{"name":`), statuses: [400], type: "MALFORMED_JSON" },
			{ ...raw("single quotes", `{'name':'x'}`), statuses: [400], type: "MALFORMED_JSON" },
			raw("null", "null"),
			raw("number", "123"),
			raw("string", `"${unique("Class")}"`),
			raw("true", "true"),
			raw("empty array", "[]"),
			raw("array of the body", `[{"name":"${unique("Class")}"}]`),
			raw("text/plain", JSON.stringify({ name: unique("Class") }), [400, 415, 422], { "content-type": "text/plain" }),
			raw("form encoded", `name=${unique("Class")}`, [400, 415, 422], { "content-type": "application/x-www-form-urlencoded" }),
			raw("unsupported charset", JSON.stringify({ name: unique("Class") }), [415], { "content-type": "application/json; charset=iso-8859-1" }),
		]);
	});

	it("numbers as strings and out-of-range numbers are refused (422), nothing stored", async () => {
		const w = world;
		const get = (name: string, path: string, field: string, caller: Caller = "school_admin"): Probe => ({ name, method: "GET", path, caller, statuses: [422], fields: [field] });
		await probeAll([
			get("pageSize not a number", "/api/users?pageSize=abc", "pageSize"),
			get("pageSize over 100", "/api/users?pageSize=1000", "pageSize"),
			get("pageSize 1e9", "/api/classes?pageSize=1e9", "pageSize"),
			get("page 0", "/api/invitations?page=0", "page"),
			get("page -1", "/api/audit?page=-1", "page"),
			get("page 1.5", "/api/notifications?page=1.5", "page"),
			get("seats not a number", "/api/subscription/check?seats=abc", "seats"),
			get("seats negative", "/api/subscription/check?seats=-1", "seats"),
			{ name: "weekStartsOn as a string", method: "PATCH", path: "/api/school", body: { settings: { weekStartsOn: "3" } }, statuses: [422], fields: ["settings.weekStartsOn"] },
			{ name: "weekStartsOn 9", method: "PATCH", path: "/api/school", body: { settings: { weekStartsOn: 9 } }, statuses: [422], fields: ["settings.weekStartsOn"] },
			{ name: "seatLimit as a string", method: "PATCH", path: `/api/schools/${w.b.school.id}/subscription`, caller: "platform_admin", body: { plan: "essential", seatLimit: "100" }, statuses: [422], fields: ["seatLimit"] },
			{ name: "seatLimit negative", method: "PATCH", path: `/api/schools/${w.b.school.id}/subscription`, caller: "platform_admin", body: { plan: "essential", seatLimit: -5 }, statuses: [422], fields: ["seatLimit"] },
			{
				name: "dailyGoalMinutes as a string",
				method: "PATCH",
				path: `/api/users/${w.a.members.student.id}/student-profile`,
				body: { preferences: { dailyGoalMinutes: "30" } },
				statuses: [422],
				fields: ["preferences.dailyGoalMinutes"],
			},
			{ name: "year as a number", method: "PATCH", path: `/api/classes/${w.a.classId}`, body: { year: 2026 }, statuses: [422], fields: ["year"] },
		]);
	});

	it("forged identities are refused (401/403) or ignored: meta, headers, foreign JWTs, another school's id", async () => {
		const w = world;
		const forgedUser = { id: w.root.id, schoolId: w.b.school.id, roles: ["platform_admin"] };
		const claims = { sch: w.b.school.id, roles: ["platform_admin", "school_admin"] };
		const foreign = await new SignJWT(claims)
			.setProtectedHeader({ alg: "HS256", typ: "JWT" })
			.setSubject(w.b.admin.id)
			.setIssuer("learning-platform")
			.setAudience("learning-platform-api")
			.setIssuedAt()
			.setExpirationTime("5m")
			.sign(new TextEncoder().encode("another secret that is long enough for HS256 signing"));
		const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
		const unsigned = `${b64({ alg: "none", typ: "JWT" })}.${b64({ ...claims, sub: w.b.admin.id, iss: "learning-platform", aud: "learning-platform-api", exp: Math.floor(Date.now() / 1000) + 300 })}.`;
		const [h, , sig] = w.a.members.teacher.token.split(".");
		const tampered = `${h}.${b64({ ...claims, sub: w.a.members.teacher.id, iss: "learning-platform", aud: "learning-platform-api", exp: Math.floor(Date.now() / 1000) + 300 })}.${sig}`;
		const identityHeaders = { "x-user": JSON.stringify(forgedUser), "x-school-id": w.b.school.id, "x-roles": "platform_admin", "x-user-id": w.root.id };
		const onlyA = (res: HttpResult) => {
			const rows: any[] = (res.body as any)?.rows ?? [];
			const foreignRows = rows.filter(r => r.schoolId !== w.a.id);
			return rows.length > 0 && foreignRows.length === 0 ? undefined : `rows of other schools: ${JSON.stringify(foreignRows).slice(0, 200)}`;
		};
		const isTeacher = (res: HttpResult) => ((res.body as any)?.id === w.a.members.teacher.id ? undefined : `answered ${JSON.stringify(res.body).slice(0, 200)}`);
		const invalidToken = { statuses: [401], type: "INVALID_TOKEN" };
		await probeAll([
			{ name: "meta in the query", method: "GET", path: "/api/schools?meta[user][roles]=platform_admin&user=root", caller: "teacher", statuses: [403] },
			{ name: "identity headers, staff route", method: "GET", path: "/api/schools", caller: "teacher", headers: identityHeaders, statuses: [403] },
			{ name: "identity headers, anonymous", method: "GET", path: "/api/me", caller: "anonymous", headers: identityHeaders, statuses: [401] },
			{ name: "identity headers are ignored", method: "GET", path: "/api/me", caller: "teacher", headers: identityHeaders, statuses: [200], verify: isTeacher },
			{ name: "meta, user and ctx in a body", method: "POST", path: "/api/classes", caller: "student", body: { name: unique("Forged"), meta: { user: forgedUser }, user: forgedUser, ctx: { meta: { user: forgedUser } } }, statuses: [403] },
			{ name: "$meta in a body", method: "POST", path: "/api/classes", body: { name: unique("Forged"), $meta: { user: forgedUser } }, statuses: [400] },
			{ name: "JWT signed with another secret", method: "GET", path: "/api/schools", token: foreign, ...invalidToken },
			{ name: "JWT with alg none", method: "GET", path: "/api/users", token: unsigned, ...invalidToken },
			{ name: "JWT with a rewritten payload", method: "GET", path: "/api/users", token: tampered, ...invalidToken },
			{ name: "not a JWT", method: "GET", path: "/api/me", token: "not-a-jwt", ...invalidToken },
			{ name: "not a Bearer header", method: "GET", path: "/api/me", caller: "anonymous", headers: { authorization: `Basic ${Buffer.from("a:b").toString("base64")}` }, statuses: [401] },
			{ name: "A's token, B's schoolId in a strict body", method: "PATCH", path: "/api/school", body: { name: unique("Renamed "), schoolId: w.b.school.id }, statuses: [422] },
			{ name: "A's token, B's schoolId in an enrolment", method: "POST", path: `/api/classes/${w.a.classId}/students`, body: { studentIds: [w.b.admin.id], schoolId: w.b.school.id }, statuses: [422], fields: ["studentIds"] },
			{ name: "A's token, B's schoolId, B's user", method: "POST", path: `/api/users/${w.b.admin.id}/suspend`, body: { schoolId: w.b.school.id }, statuses: [404] },
			{ name: "A's token, B's schoolId in a list query", method: "GET", path: `/api/users?schoolId=${w.b.school.id}`, headers: { "x-school-id": w.b.school.id }, statuses: [200], verify: onlyA },
		]);
	});
});
