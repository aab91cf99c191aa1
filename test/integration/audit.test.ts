import { expect } from "chai";
import { createPlatformAdmin, invite, signupSchool, type Account, type SchoolFixture } from "../support/accounts.js";
import { bootPlatform, http, systemMeta, unique } from "../support/platform.js";

const list = (by: Account, query = "") => http("GET", `/api/audit${query}`, { token: by.token });
const record = async (entry: Record<string, unknown>) => (await bootPlatform()).broker.call("audit.record", entry, { meta: systemMeta() }) as Promise<any>;

describe("audit", () => {
	let s: SchoolFixture;
	let other: SchoolFixture;
	let root: Account;
	let teacher: Account;

	before(async () => {
		[s, other, root] = await Promise.all([signupSchool(), signupSchool(), createPlatformAdmin()]);
		teacher = await invite(s.admin, "teacher");
	});

	it("records a fact with its actor, target and client address", async () => {
		const res = await http("POST", "/api/invitations", { token: s.admin.token, body: { email: `${unique("a")}@school.test`, role: "student" } });
		const rows = (await list(s.admin, "?action=invitations.created")).body.rows;
		const entry = rows.find((r: any) => r.targetId === res.body.id);
		expect(entry).to.include({ schoolId: s.school.id, actorId: s.admin.id, targetType: "invitation" });
		expect(entry.ip).to.be.a("string").and.not.equal("");
	});

	it("lists a school's entries newest first, filtered and paginated", async () => {
		for (const n of [1, 2, 3]) await record({ schoolId: s.school.id, actorId: teacher.id, action: "test.step", data: { n } });
		const page = await list(s.admin, "?action=test.step&pageSize=2");
		expect(page.status).to.equal(200);
		expect(page.body).to.include({ total: 3, page: 1, pageSize: 2, totalPages: 2 });
		expect(page.body.rows.map((r: any) => r.data.n)).to.deep.equal([3, 2]);
		const byActor = await list(s.admin, `?actorId=${teacher.id}`);
		expect(byActor.body.rows.length).to.be.at.least(3);
		for (const r of byActor.body.rows) expect(r.actorId).to.equal(teacher.id);
	});

	it("shows a school admin only their school's entries, whatever schoolId they pass", async () => {
		await record({ schoolId: other.school.id, actorId: other.admin.id, action: "test.other" });
		expect((await list(s.admin, "?action=test.other")).body.total).to.equal(0);
		expect((await list(s.admin, `?action=test.other&schoolId=${other.school.id}`)).body.total).to.equal(0);
		expect((await list(other.admin, "?action=test.other")).body.total).to.equal(1);
	});

	it("lets a platform admin read a school's entries, or the platform-level ones", async () => {
		const action = unique("test.platform.");
		await record({ schoolId: null, actorId: null, action });
		expect((await list(root, `?schoolId=${other.school.id}&action=test.other`)).body.total).to.equal(1);
		expect((await list(root, `?action=${action}`)).body.total).to.equal(1);
		expect((await list(root, `?schoolId=${s.school.id}&action=${action}`)).body.total).to.equal(0);
	});

	it("refuses teachers (403), anonymous callers (401) and bad filters (422)", async () => {
		expect((await list(teacher)).status).to.equal(403);
		expect((await http("GET", "/api/audit")).status).to.equal(401);
		expect((await list(s.admin, "?pageSize=1000")).status).to.equal(422);
		expect((await list(root, "?schoolId=nope")).status).to.equal(422);
	});

	it("stores oversized or operator-like data safely", async () => {
		const big = await record({ schoolId: s.school.id, actorId: "system", action: "test.big", data: { blob: "x".repeat(10_000) } });
		expect(big.data.truncated).to.equal(true);
		const odd = await record({ schoolId: s.school.id, actorId: "system", action: "test.odd", data: { $set: { "a.b": 1 } } });
		expect(odd.data).to.deep.equal({ _set: { a_b: 1 } });
	});

	it("refuses audit.record to users", async () => {
		const { broker } = await bootPlatform();
		let err: any;
		try {
			// The permission guard may throw before a promise exists.
			await broker.call("audit.record", { schoolId: s.school.id, actorId: s.admin.id, action: "forged" }, { meta: { user: { id: s.admin.id, schoolId: s.school.id, roles: ["school_admin"] } } });
		} catch (e) {
			err = e;
		}
		expect(err?.code).to.equal(403);
		expect((await list(s.admin, "?action=forged")).body.total).to.equal(0);
	});
});
