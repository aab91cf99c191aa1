/**
 * `data rights tenancy and bad input` (issue 16): every data-rights route attacked by each role of
 * another school (and platform staff where they have no business), and fed bad input; nothing of school
 * B may change or leak. The routes are claimed in test/support/route-claims/ops.ts.
 */
import { expect } from "chai";
import { invite, PASSWORD, signupSchool, type Account } from "../support/accounts.js";
import { describeChanges, diff, schoolFilter, settledSnapshot, type Snapshot } from "../support/db-snapshot.js";
import { bootPlatform, http } from "../support/platform.js";
import { routeClaims } from "../support/route-claims.js";
import { liveRouteKeys } from "../support/routes.js";
import { createStaff } from "../support/two-schools.js";

type Who = "school_admin" | "teacher" | "student" | "platform_admin" | "support" | "anonymous";

describe("data rights tenancy and bad input", function () {
	this.timeout(120_000);
	let a: Record<Exclude<Who, "anonymous">, Account>;
	let b: { admin: Account; student: Account; teacher: Account; schoolId: string; code: string; erasureId: string };
	let bScope: (c: string) => Record<string, unknown>;
	let initial: Snapshot;
	let needles: string[];

	before(async () => {
		await bootPlatform();
		const [sa, sb] = await Promise.all([signupSchool(), signupSchool()]);
		const [teacher, student, bStudent, bTeacher, gone] = await Promise.all([invite(sa.admin, "teacher"), invite(sa.admin, "student"), invite(sb.admin, "student"), invite(sb.admin, "teacher"), invite(sb.admin, "student")]);
		a = { school_admin: sa.admin, teacher, student, platform_admin: await createStaff("platform_admin"), support: await createStaff("support") };
		// B has an erasure in its register (of one of its students) and a scheduled closure.
		const erasure = await http("POST", `/api/users/${gone.id}/erasure`, { token: sb.admin.token, body: { confirm: true } });
		expect(erasure.status, JSON.stringify(erasure.body)).to.equal(202);
		const closure = await http("POST", "/api/school/closure", { token: sb.admin.token, body: { schoolCode: sb.school.code } });
		expect(closure.status, JSON.stringify(closure.body)).to.equal(202);
		b = { admin: sb.admin, student: bStudent, teacher: bTeacher, schoolId: sb.school.id, code: sb.school.code, erasureId: erasure.body.id };
		needles = [bStudent.email!, bTeacher.email!, sb.admin.email!, b.erasureId, sb.school.code];
		// Let the erasure finish before the snapshot: its parts write as they confirm.
		const deadline = Date.now() + 20_000;
		while ((await http("GET", `/api/data-rights/erasures/${b.erasureId}`, { token: sb.admin.token })).body.status !== "completed" && Date.now() < deadline) await new Promise(r => setTimeout(r, 100));
		bScope = schoolFilter(b.schoolId, [sb.admin.id, bStudent.id, bTeacher.id, gone.id]);
		initial = await settledSnapshot(bScope);
	});

	afterEach(async () => {
		const now = await settledSnapshot(bScope);
		expect(describeChanges(diff(initial, now)), "school B's stored data changed").to.deep.equal([]);
	});

	const token = (who: Who) => (who === "anonymous" ? undefined : a[who].token);

	async function attack(method: string, path: string, expected: Partial<Record<Who, number[]>>, body?: unknown) {
		const problems: string[] = [];
		for (const [who, statuses] of Object.entries(expected) as [Who, number[]][]) {
			const { baseUrl } = await bootPlatform();
			const res = await fetch(baseUrl + path, {
				method,
				headers: { ...(token(who) ? { authorization: `Bearer ${token(who)}` } : {}), ...(body === undefined ? {} : { "content-type": "application/json" }) },
				body: body === undefined ? undefined : JSON.stringify(body),
			});
			const text = res.headers.get("content-type")?.startsWith("application/zip") ? "<zip of the caller's own data>" : await res.text();
			if (!statuses.includes(res.status)) problems.push(`${who} ${method} ${path} -> ${res.status} (expected ${statuses}): ${text.slice(0, 200)}`);
			const leaked = needles.filter(n => text.includes(n) && !path.includes(n));
			if (leaked.length) problems.push(`${who} ${method} ${path} leaks ${leaked.join(", ")}`);
		}
		expect(problems).to.deep.equal([]);
	}

	it("claims only routes the gateway serves, and every data-rights route", async () => {
		const live = await liveRouteKeys();
		const claims = await routeClaims();
		const ours = [...claims.tenancy.entries()].filter(([, owner]) => owner.startsWith("ops.ts")).map(([key]) => key);
		expect(ours.filter(k => !live.includes(k))).to.deep.equal([]);
		const dataRights = live.filter(k => /data-export|erasure|closure|data-rights/.test(k));
		expect(dataRights.filter(k => !claims.tenancy.has(k))).to.deep.equal([]);
	});

	it("GET /api/me/data-export exports the caller's own data only; staff have none here", async () => {
		await attack("GET", "/api/me/data-export", { school_admin: [200], teacher: [200], student: [200], platform_admin: [403], support: [403], anonymous: [401] });
	});

	it("GET /api/users/{id}/data-export: another school's student is not found", async () => {
		await attack("GET", `/api/users/${b.student.id}/data-export`, { school_admin: [404], teacher: [403], student: [403], platform_admin: [403], support: [403], anonymous: [401] });
	});

	it("POST /api/me/erasure needs the caller's own password; B's is refused", async () => {
		await attack("POST", "/api/me/erasure", { teacher: [403], student: [403], platform_admin: [403], anonymous: [401] }, { password: PASSWORD + "x" });
		await attack("POST", "/api/me/erasure", { teacher: [422] }, {});
		await attack("POST", "/api/me/erasure", { teacher: [422] }, { password: 12 });
	});

	it("POST /api/users/{id}/erasure: another school's member is not found, nothing is erased", async () => {
		for (const target of [b.student, b.teacher, b.admin]) {
			await attack("POST", `/api/users/${target.id}/erasure`, { school_admin: [404], teacher: [403], student: [403], platform_admin: [403], support: [403], anonymous: [401] }, { confirm: true });
		}
		await attack("POST", `/api/users/${b.student.id}/erasure`, { school_admin: [422] }, {});
		await attack("POST", `/api/users/${b.student.id}/erasure`, { school_admin: [422] }, { confirm: "yes" });
		await attack("POST", "/api/users/not-an-id/erasure", { school_admin: [422] }, { confirm: true });
		await attack("POST", `/api/users/${a.school_admin.id}/erasure`, { school_admin: [409] }, { confirm: true });
	});

	it("GET /api/data-rights/erasures(/{id}): the register of one school only", async () => {
		await attack("GET", "/api/data-rights/erasures", { school_admin: [200], teacher: [403], student: [403], platform_admin: [403], anonymous: [401] });
		await attack("GET", `/api/data-rights/erasures/${b.erasureId}`, { school_admin: [404], teacher: [403], student: [403], platform_admin: [403], anonymous: [401] });
		await attack("GET", "/api/data-rights/erasures/zzz", { school_admin: [422] });
		await attack("GET", "/api/data-rights/erasures?status=gone", { school_admin: [422] });
		const own = await http("GET", `/api/data-rights/erasures/${b.erasureId}`, { token: b.admin.token });
		expect(own.status).to.equal(200);
	});

	it("/api/school/closure acts on the caller's own school, whatever code or school is sent", async () => {
		await attack("GET", "/api/school/closure", { school_admin: [200], teacher: [403], student: [403], platform_admin: [403], anonymous: [401] });
		// B's code does not close A, nor B.
		await attack("POST", "/api/school/closure", { school_admin: [422], teacher: [403], student: [403], platform_admin: [403], anonymous: [401] }, { schoolCode: b.code });
		await attack("POST", "/api/school/closure", { school_admin: [422] }, {});
		await attack("POST", "/api/school/closure", { school_admin: [422] }, { schoolCode: "" });
		// A has no closure to cancel; B's stays scheduled.
		await attack("DELETE", "/api/school/closure", { school_admin: [404], teacher: [403], student: [403], platform_admin: [403], anonymous: [401] });
		expect((await http("GET", "/api/school/closure", { token: b.admin.token })).body.status).to.equal("scheduled");
	});

	it("POST /api/schools/{id}/closure is platform staff's; bad grace days and unknown schools are refused", async () => {
		await attack("POST", `/api/schools/${b.schoolId}/closure`, { school_admin: [403], teacher: [403], student: [403], support: [403], anonymous: [401] }, { graceDays: 0 });
		await attack("POST", `/api/schools/${b.schoolId}/closure`, { platform_admin: [422] }, { graceDays: -1 });
		await attack("POST", `/api/schools/${b.schoolId}/closure`, { platform_admin: [422] }, { graceDays: "soon" });
		await attack("POST", "/api/schools/0123456789abcdef01234567/closure", { platform_admin: [404] }, { graceDays: 3 });
		await attack("POST", "/api/schools/nope/closure", { platform_admin: [422] }, {});
	});
});
