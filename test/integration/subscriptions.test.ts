import { expect } from "chai";
import { createPlatformAdmin, signupSchool, type Account, type SchoolFixture } from "../support/accounts.js";
import { bootPlatform, http, systemMeta, unique } from "../support/platform.js";

const mine = async (admin: Account) => {
	const res = await http("GET", "/api/subscription", { token: admin.token });
	expect(res.status, JSON.stringify(res.body)).to.equal(200);
	return res.body;
};
const inviteEmail = (admin: Account, role = "student") =>
	http("POST", "/api/invitations", { token: admin.token, body: { email: `${unique(role)}@school.test`, role } });
const system = async (action: string, params: Record<string, unknown>) => (await bootPlatform()).broker.call(action, params, { meta: systemMeta() }) as Promise<any>;

describe("subscriptions", () => {
	let a: SchoolFixture;
	let b: SchoolFixture;
	let root: Account;

	before(async () => {
		[a, b, root] = await Promise.all([signupSchool(), signupSchool(), createPlatformAdmin()]);
	});

	it("shows the plan catalogue to anyone", async () => {
		const res = await http("GET", "/api/plans");
		expect(res.status).to.equal(200);
		expect(res.body.map((p: any) => p.id)).to.include.members(["trial", "essential", "campus"]);
		expect(res.body.find((p: any) => p.id === "trial").seats).to.equal(30);
	});

	it("gives a new school the default plan, its admin taking no seat", async () => {
		const sub = await mine(a.admin);
		expect(sub).to.deep.include({ plan: "trial", status: "active", lifecycle: "trialing", seatLimit: 30, seatsUsed: 0, modules: ["import"], pastDueAt: null, suspendedAt: null });
		// The trial's end is shown (30 days); the free plan does not stop by itself.
		expect(new Date(sub.trialEndsAt).getTime() - Date.now()).to.be.within(29 * 86_400_000, 30 * 86_400_000 + 60_000);
	});

	it("refuses the subscription to anonymous callers (401) and other roles (403)", async () => {
		expect((await http("GET", "/api/subscription")).status).to.equal(401);
		expect((await http("GET", "/api/subscription", { token: root.token })).status).to.equal(403);
	});

	it("answers what a school may do", async () => {
		const check = async (query: string) => (await http("GET", `/api/subscription/check?${query}`, { token: a.admin.token })).body;
		expect(await check("feature=import")).to.deep.equal({ allowed: true });
		expect(await check("feature=ai")).to.deep.equal({ allowed: false, reason: "PLAN_FORBIDS" });
		expect(await check("seats=30")).to.deep.equal({ allowed: true });
		expect(await check("seats=31")).to.deep.equal({ allowed: false, reason: "SEAT_LIMIT_REACHED" });
		expect((await http("GET", "/api/subscription/check?seats=0", { token: a.admin.token })).status).to.equal(422);
	});

	it("lets a client ask only about its own school, services about any", async () => {
		await http("PATCH", `/api/schools/${b.school.id}/subscription`, { token: root.token, body: { plan: "campus" } });
		const own = await http("GET", `/api/subscription/check?feature=ai&schoolId=${b.school.id}`, { token: a.admin.token });
		expect(own.body).to.deep.equal({ allowed: false, reason: "PLAN_FORBIDS" });
		expect(await system("subscriptions.check", { feature: "ai", schoolId: b.school.id })).to.deep.equal({ allowed: true });
	});

	it("lets only a platform admin change the plan, and refuses bad plans and schools", async () => {
		const path = `/api/schools/${a.school.id}/subscription`;
		expect((await http("PATCH", path, { token: a.admin.token, body: { plan: "campus" } })).status).to.equal(403);
		expect((await http("PATCH", path, { body: { plan: "campus" } })).status).to.equal(401);
		const unknownPlan = await http("PATCH", path, { token: root.token, body: { plan: "platinum" } });
		expect(unknownPlan.status).to.equal(422);
		const badId = await http("PATCH", "/api/schools/nope/subscription", { token: root.token, body: { plan: "campus" } });
		expect(badId.status).to.equal(422);
		const noSchool = await http("PATCH", "/api/schools/65a000000000000000000009/subscription", { token: root.token, body: { plan: "campus" } });
		expect(noSchool.status).to.equal(404);
		expect((await mine(a.admin)).plan).to.equal("trial");
	});

	it("changes the plan and its modules, and records who did", async () => {
		const school = await signupSchool();
		const res = await http("PATCH", `/api/schools/${school.school.id}/subscription`, { token: root.token, body: { plan: "campus" } });
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
		expect(res.body).to.include({ plan: "campus", seatLimit: 3000, seatsUsed: 0, seatsFree: 3000 });
		expect((await mine(school.admin)).modules).to.include("ai");
		const audit = await http("GET", "/api/audit?action=subscriptions.planChanged", { token: school.admin.token });
		expect(audit.body.rows).to.have.length(1);
		expect(audit.body.rows[0]).to.include({ actorId: root.id });
		expect(audit.body.rows[0].data).to.deep.include({ from: "trial", to: "campus" });
	});

	it("refuses a limit below the seats taken, leaving the subscription as it was (409)", async () => {
		const school = await signupSchool();
		expect((await inviteEmail(school.admin)).status).to.equal(201);
		expect((await inviteEmail(school.admin)).status).to.equal(201);
		const path = `/api/schools/${school.school.id}/subscription`;
		const refused = await http("PATCH", path, { token: root.token, body: { plan: "trial", seatLimit: 1 } });
		expect(refused.status).to.equal(409);
		expect(refused.body.error.type).to.equal("SEAT_LIMIT_REACHED");
		expect(await mine(school.admin)).to.include({ seatLimit: 30, seatsUsed: 2 });
		const fits = await http("PATCH", path, { token: root.token, body: { plan: "trial", seatLimit: 2 } });
		expect(fits.body).to.include({ seatLimit: 2, seatsUsed: 2, seatsFree: 0, seatLimitOverride: 2 });
		const full = await inviteEmail(school.admin);
		expect(full.status).to.equal(409);
		expect(full.body.error.type).to.equal("SEAT_LIMIT_REACHED");
		// Back to the plan's own seats.
		const reset = await http("PATCH", path, { token: root.token, body: { plan: "trial", seatLimit: null } });
		expect(reset.body).to.include({ seatLimit: 30, seatsFree: 28, seatLimitOverride: null });
	});

	it("never lets concurrent invitations go past the seat limit", async function () {
		this.timeout(60_000);
		const school = await signupSchool();
		const results = await Promise.all(Array.from({ length: 40 }, () => inviteEmail(school.admin)));
		const statuses = results.map(r => r.status);
		expect(statuses.filter(s => s === 201)).to.have.length(30);
		expect(statuses.filter(s => s === 409)).to.have.length(10);
		for (const r of results.filter(r => r.status === 409)) expect(r.body.error.type).to.equal("SEAT_LIMIT_REACHED");
		expect(await mine(school.admin)).to.include({ seatLimit: 30, seatsUsed: 30 });
		const pending = await http("GET", "/api/invitations?status=pending", { token: school.admin.token });
		expect(pending.body.total).to.equal(30);
		expect((await http("GET", "/api/subscription/check?seats=1", { token: school.admin.token })).body.reason).to.equal("SEAT_LIMIT_REACHED");
	});

	it("reserves and releases seats conditionally, never below zero", async () => {
		const school = await signupSchool();
		const schoolId = school.school.id;
		const taken = await system("subscriptions.reserveSeats", { schoolId, count: 3 });
		expect(taken).to.include({ seatsUsed: 3, seatsFree: 27 });
		let err: any;
		await system("subscriptions.reserveSeats", { schoolId, count: 28 }).catch(e => (err = e));
		expect(err?.type).to.equal("SEAT_LIMIT_REACHED");
		expect(await system("subscriptions.releaseSeats", { schoolId, count: 10 })).to.include({ seatsUsed: 0, seatsFree: 30 });
		expect(await system("subscriptions.releaseSeats", { schoolId, count: 1 })).to.include({ seatsUsed: 0, seatsFree: 30 });
	});

	it("takes exactly the free seats when 40 reservations race for 30, and gives them all back when 40 releases race", async () => {
		const schoolId = (await signupSchool()).school.id;
		const taken = await Promise.allSettled(Array.from({ length: 40 }, () => system("subscriptions.reserveSeats", { schoolId, count: 1 })));
		expect(taken.filter(r => r.status === "fulfilled")).to.have.length(30);
		for (const r of taken.filter(r => r.status === "rejected")) expect((r as PromiseRejectedResult).reason.type).to.equal("SEAT_LIMIT_REACHED");
		expect(await system("subscriptions.limits", { schoolId })).to.include({ seatLimit: 30 });
		const freed = await Promise.all(Array.from({ length: 40 }, () => system("subscriptions.releaseSeats", { schoolId, count: 1 })));
		expect(freed).to.have.length(40);
		const after = await system("subscriptions.reserveSeats", { schoolId, count: 30 });
		expect(after).to.include({ seatsUsed: 30, seatsFree: 0 });
	});

	it("keeps seatsFree = seatLimit - seatsUsed when plan changes race reservations and releases", async () => {
		const schoolId = (await signupSchool()).school.id;
		const plans = ["essential", "campus", "trial", "essential"];
		const changes = plans.map(plan => http("PATCH", `/api/schools/${schoolId}/subscription`, { token: root.token, body: { plan } }));
		await Promise.all([
			...Array.from({ length: 20 }, () => system("subscriptions.reserveSeats", { schoolId, count: 1 })),
			...changes,
			...Array.from({ length: 5 }, () => system("subscriptions.releaseSeats", { schoolId, count: 1 })),
		]);
		// Every plan change went through (retried when the counter moved under it), none answered 409.
		for (const change of await Promise.all(changes)) expect(change.status, JSON.stringify(change.body)).to.equal(200);
		const sub = await system("subscriptions.reserveSeats", { schoolId, count: 1 }).catch(async () => system("subscriptions.releaseSeats", { schoolId, count: 1 }));
		expect(sub.seatsFree).to.equal(sub.seatLimit - sub.seatsUsed);
		// 20 taken, up to 5 given back (a release that came first found nothing to give back), 1 more taken or given back.
		expect(sub.seatsUsed).to.be.within(14, 21);
	});

	it("refuses seats and modules while the subscription is not active", async () => {
		const school = await signupSchool();
		const schoolId = school.school.id;
		await system("subscriptions.setStatus", { schoolId, status: "suspended" });
		const refused = await inviteEmail(school.admin);
		expect(refused.status).to.equal(403);
		expect(refused.body.error.type).to.equal("SUBSCRIPTION_INACTIVE");
		expect((await http("GET", "/api/subscription/check?feature=import", { token: school.admin.token })).body.reason).to.equal("SUBSCRIPTION_INACTIVE");
		expect((await mine(school.admin)).seatsUsed).to.equal(0);
		expect((await http("GET", "/api/invitations", { token: school.admin.token })).body.total).to.equal(0);
		await system("subscriptions.setStatus", { schoolId, status: "active" });
		expect((await inviteEmail(school.admin)).status).to.equal(201);
	});

	it("creates a school's subscription once, whatever the retries", async () => {
		const first = await system("subscriptions.createForSchool", { schoolId: a.school.id });
		const again = await system("subscriptions.createForSchool", { schoolId: a.school.id, plan: "campus" });
		expect(again.id).to.equal(first.id);
		expect(again.plan).to.equal("trial");
		let err: any;
		await system("subscriptions.createForSchool", { schoolId: "65a00000000000000000000a", plan: "gold" }).catch(e => (err = e));
		expect(err?.code).to.equal(422);
	});

	it("removes a school's subscription only while no seat is in use (signup compensation)", async () => {
		const schoolId = "65a00000000000000000000b";
		await system("subscriptions.createForSchool", { schoolId });
		await system("subscriptions.reserveSeats", { schoolId, count: 1 });
		let err: any;
		await system("subscriptions.removeForSchool", { schoolId }).catch(e => (err = e));
		expect(err?.code).to.equal(409);
		expect(await system("subscriptions.check", { schoolId })).to.deep.equal({ allowed: true });

		await system("subscriptions.releaseSeats", { schoolId, count: 1 });
		expect(await system("subscriptions.removeForSchool", { schoolId })).to.deep.equal({ removed: 1 });
		expect(await system("subscriptions.removeForSchool", { schoolId })).to.deep.equal({ removed: 0 });
		err = undefined;
		await system("subscriptions.check", { schoolId }).catch(e => (err = e));
		expect(err?.code).to.equal(404);
		// Clients cannot reach it.
		const { broker } = await bootPlatform();
		const asAdmin = { meta: { user: { id: a.admin.id, schoolId: a.school.id, roles: ["school_admin"] } } };
		err = undefined;
		try {
			await broker.call("subscriptions.removeForSchool", { schoolId: a.school.id }, asAdmin);
		} catch (e) {
			err = e;
		}
		expect(err?.code).to.equal(403);
		expect((await mine(a.admin)).status).to.equal("active");
	});
});
