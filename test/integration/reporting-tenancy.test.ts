/**
 * `reporting tenancy`: every reporting route, attacked by the members of another school with this school's ids
 * (403/404, and nothing of this school in any answer), by members of this school beyond their rights (a
 * student reading another student, a teacher a class or a student they do not teach), and probed with bad
 * input (malformed and unknown ids, impossible periods, unknown tables and formats: 4xx with a stable error
 * type). The school's documents, read straight from the database, are exactly as they were. Public
 * statistics name no school, no person, and no group under ten students.
 */
import { expect } from "chai";
import { routeClaims } from "../support/route-claims.js";
import { createPlatformAdmin, invite, type Account } from "../support/accounts.js";
import { describeChanges, diff, schoolFilter, settledSnapshot } from "../support/db-snapshot.js";
import { bootPlatform, http } from "../support/platform.js";
import { declaredRoutes, fillPath, liveRouteKeys } from "../support/routes.js";
import { dashboard, eventually, feedSettled, reportingSchool, revise, type ReportingSchool } from "../support/reporting.js";
import { suite, tenancy, badInput } from "../support/route-claims/reporting.js";

const UNKNOWN = "65a000000000000000000001";

describe("reporting tenancy", function () {
	this.timeout(180_000);
	let a: ReportingSchool;
	let b: ReportingSchool;
	let colleague: Account;
	let root: Account;

	before(async () => {
		await bootPlatform();
		[a, b] = await Promise.all([reportingSchool(), reportingSchool()]);
		colleague = await invite(a.admin, "teacher");
		root = await createPlatformAdmin();
		await revise(a, a.students[2], ["capital", "sea"]);
		await revise(b, b.students[2], ["capital"]);
		await eventually(() => dashboard(`/api/reporting/classes/${a.classId}`, a.teacher), d => d.summary.reviews === 5);
		await feedSettled();
	});

	it("claims every reporting route, and only served ones", async () => {
		expect(suite).to.equal("reporting tenancy");
		const served = (await liveRouteKeys()).filter(k => k.startsWith("GET /api/reporting"));
		expect([...tenancy].sort()).to.deep.equal(served.sort());
		expect([...badInput].sort()).to.deep.equal(served.sort());
		const claims = await routeClaims();
		for (const key of served) expect(claims.tenancy.get(key), key).to.match(/reporting\.ts/);
	});

	it("another school's members get 403 or 404 on this school's students and classes, and see none of its data anywhere", async () => {
		const routes = (await declaredRoutes()).filter(r => r.key.startsWith("GET /api/reporting"));
		const memberIds = [a.admin.id, a.teacher.id, colleague.id, ...a.students.map(s => s.id)];
		const before = await settledSnapshot(schoolFilter(a.school.id, memberIds));
		const needles = [a.school.id, a.classId, a.pathId, ...a.students.map(s => s.id), a.teacher.id, a.school.name];
		const problems: string[] = [];
		const leaks = (label: string, body: unknown) => {
			const text = typeof body === "string" ? body : JSON.stringify(body);
			for (const n of needles) if (text.includes(n)) problems.push(`${label} leaks ${n}`);
		};
		const attackers: [string, Account][] = [["admin", b.admin], ["teacher", b.teacher], ["student", b.students[2]]];
		for (const route of routes) {
			const path = fillPath(route.path, { id: route.path.includes("/students/") ? a.students[2].id : a.classId });
			const query = route.key.endsWith("/csv") ? `?table=${csvTable(route.path)}` : "";
			for (const [who, account] of attackers) {
				const res = await http("GET", path + query, { token: account.token });
				// An error may name the id the caller sent; anything else of A is a leak.
				const sent = needles.filter(n => path.includes(n));
				if (res.status >= 400) for (const n of sent) needles.splice(needles.indexOf(n), 1);
				const aboutA = route.pathParams.length > 0;
				if (aboutA && ![403, 404].includes(res.status)) problems.push(`${who} ${route.key}: ${res.status}`);
				if (!aboutA && ![200, 403].includes(res.status)) problems.push(`${who} ${route.key}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
				if (res.status >= 400 && !res.body?.error?.type) problems.push(`${who} ${route.key}: no error type`);
				leaks(`${who} ${route.key}`, res.body);
				needles.push(...sent.filter(n => !needles.includes(n)));
			}
		}
		// B's own dashboards and exports are B's: a school admin of B sees B's figures, nothing of A.
		const own = await dashboard("/api/reporting/school", b.admin);
		expect(own.summary.reviews).to.equal(5);
		leaks("B's school dashboard", own);
		for (const table of ["active-users", "engagement-classes", "engagement-teachers", "completion", "invoices"]) leaks(`B's ${table} CSV`, (await http("GET", `/api/reporting/school/csv?table=${table}`, { token: b.admin.token })).body);
		const bClass = await dashboard(`/api/reporting/classes/${b.classId}`, b.teacher);
		leaks("B's class", bClass);
		expect(problems).to.deep.equal([]);
		const after = await settledSnapshot(schoolFilter(a.school.id, memberIds));
		expect(describeChanges(diff(before, after))).to.deep.equal([]);
	});

	it("inside the school: a student sees only themself, a teacher only the classes and students they teach", async () => {
		const [s0, , s2] = a.students;
		await dashboard(`/api/reporting/students/${s2.id}`, s2);
		expect((await http("GET", `/api/reporting/students/${s2.id}`, { token: s0.token })).status).to.equal(403);
		expect((await http("GET", `/api/reporting/students/${s2.id}/charts/reviews`, { token: s0.token })).status).to.equal(403);
		expect((await http("GET", `/api/reporting/students/${s2.id}/csv?table=paths`, { token: s0.token })).status).to.equal(403);
		expect((await http("GET", `/api/reporting/classes/${a.classId}`, { token: s2.token })).status).to.equal(403);
		expect((await http("GET", "/api/reporting/school", { token: a.teacher.token })).status).to.equal(403);
		expect((await http("GET", "/api/reporting/platform", { token: a.admin.token })).status).to.equal(403);
		expect((await http("GET", "/api/reporting/platform", {})).status).to.equal(401);
		expect((await http("GET", "/api/reporting/status", { token: a.admin.token })).status).to.equal(403);
		// The class's teacher sees its student; a colleague who does not teach the class sees neither.
		await dashboard(`/api/reporting/students/${s2.id}`, a.teacher);
		for (const path of [`/api/reporting/students/${s2.id}`, `/api/reporting/classes/${a.classId}`, `/api/reporting/classes/${a.classId}/heatmap`, `/api/reporting/classes/${a.classId}/pdf`, `/api/reporting/classes/${a.classId}/charts/heatmap`]) {
			const res = await http("GET", path, { token: colleague.token });
			expect(res.status, path).to.equal(403);
			expect(res.body.error.type).to.match(/^FORBIDDEN/);
		}
		// The school admin sees every student and class; the platform admin the platform view.
		await dashboard(`/api/reporting/students/${s0.id}`, a.admin);
		await dashboard(`/api/reporting/classes/${a.classId}`, a.admin);
		await dashboard("/api/reporting/platform", root);
		await dashboard("/api/reporting/status", root);
	});

	it("public statistics need no login, name no school or person, and hide every group under ten students", async () => {
		const res = await http("GET", "/api/reporting/public");
		expect(res.status).to.equal(200);
		expect(res.headers.get("cache-control")).to.match(/public, max-age=\d+/);
		const text = JSON.stringify(res.body);
		for (const n of [a.school.id, b.school.id, a.school.name, ...a.students.map(s => s.id), a.classId]) expect(text).not.to.contain(n);
		expect(res.body.minGroup).to.be.at.least(10);
		// This test platform's weeks hold a handful of students: every week and subject is below ten, so left out.
		for (const row of [...res.body.weeks, ...res.body.subjects]) expect(row.activeStudents ?? row.students).to.be.at.least(10);
		expect(res.body.suppressed.weeks + res.body.weeks.length).to.be.greaterThan(0);
		expect(res.body.period.timeZone).to.match(/local days/);
		const csv = await http("GET", "/api/reporting/public/csv?table=weeks");
		expect(csv.status).to.equal(200);
		for (const n of [a.school.id, b.school.id]) expect(String(csv.body)).not.to.contain(n);
	});

	it("bad input on every reporting route: a 4xx with a stable error type, nothing stored", async () => {
		const memberIds = [a.admin.id, a.teacher.id, ...a.students.map(s => s.id)];
		const before = await settledSnapshot(schoolFilter(a.school.id, memberIds));
		const routes = (await declaredRoutes()).filter(r => r.key.startsWith("GET /api/reporting"));
		const callerOf = (principals: string[]) =>
			principals.includes("anonymous") ? null : principals.includes("school_admin") ? a.admin : principals.includes("platform_admin") ? root : a.teacher;
		const problems: string[] = [];
		const expectRefused = async (label: string, path: string, token: string | undefined, statuses: number[], type?: RegExp) => {
			const res = await http("GET", path, token ? { token } : {});
			if (!statuses.includes(res.status)) problems.push(`${label}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
			else if (!res.body?.error?.type || (type && !type.test(res.body.error.type))) problems.push(`${label}: error body ${JSON.stringify(res.body).slice(0, 200)}`);
		};
		for (const route of routes) {
			const caller = callerOf(route.principals);
			const token = caller?.token;
			const ids = { id: route.path.includes("/students/") ? a.students[2].id : a.classId };
			const base = fillPath(route.path, ids);
			const table = route.key.endsWith("/csv") ? `table=${csvTable(route.path)}&` : "";
			for (const p of route.pathParams) {
				await expectRefused(`${route.key} malformed ${p}`, fillPath(route.path, { ...ids, [p]: "not-an-id" }) + (table ? `?${table}` : ""), token, [404, 422]);
				await expectRefused(`${route.key} unknown ${p}`, fillPath(route.path, { ...ids, [p]: UNKNOWN }) + (table ? `?${table}` : ""), token, [404], /NOT_FOUND/);
				await expectRefused(`${route.key} operator ${p}`, fillPath(route.path, { ...ids, [p]: '{"$ne":null}' }), token, [400, 404, 422]);
			}
			const params = Object.keys(route.params);
			if (params.includes("from")) {
				await expectRefused(`${route.key} from not a date`, `${base}?${table}from=yesterday`, token, [422], /VALIDATION/);
				await expectRefused(`${route.key} impossible date`, `${base}?${table}from=2026-02-30`, token, [422], /VALIDATION/);
				await expectRefused(`${route.key} from after to`, `${base}?${table}from=2026-03-10&to=2026-03-01`, token, [422], /VALIDATION/);
				await expectRefused(`${route.key} period too long`, `${base}?${table}from=2024-01-01&to=2026-01-01`, token, [422], /VALIDATION/);
				await expectRefused(`${route.key} operator in a date`, `${base}?${table}from[$gt]=`, token, [400, 422]);
			}
			if (params.includes("format")) await expectRefused(`${route.key} format`, `${base}?${table}format=gif`, token, [422], /VALIDATION/);
			if (params.includes("table")) {
				await expectRefused(`${route.key} unknown table`, `${base}?table=passwords`, token, [422], /VALIDATION/);
				const main = await http("GET", base, token ? { token } : {});
				if (main.status !== 200 || !/^text\/csv/.test(main.headers.get("content-type") ?? "")) problems.push(`${route.key} without a table: ${main.status}`);
			}
			if (params.includes("months")) {
				await expectRefused(`${route.key} months 0`, `${base}?${table}months=0`, token, [422], /VALIDATION/);
				await expectRefused(`${route.key} months text`, `${base}?${table}months=many`, token, [422], /VALIDATION/);
			}
			if (params.includes("pathId")) await expectRefused(`${route.key} pathId`, `${base}?${table}pathId=not-an-id`, token, [422], /VALIDATION/);
		}
		// A path of another school, or none, for the heatmap: not found.
		await expectRefused("heatmap of another school's path", `/api/reporting/classes/${a.classId}/heatmap?pathId=${b.pathId}`, a.teacher.token, [404], /NOT_FOUND/);
		expect(problems).to.deep.equal([]);
		const after = await settledSnapshot(schoolFilter(a.school.id, memberIds));
		expect(describeChanges(diff(before, after))).to.deep.equal([]);
	});
});

/** A table every CSV route of that dashboard has. */
function csvTable(path: string): string {
	if (path.includes("/students/")) return "paths";
	if (path.includes("/classes/")) return "completion";
	if (path.includes("/school")) return "completion";
	if (path.includes("/platform")) return "mrr";
	return "weeks";
}


