import { expect } from "chai";
import { createPlatformAdmin, createUsernameStudent, invite, latestMail, login, PASSWORD, signupSchool, type Account, type SchoolFixture } from "../support/accounts.js";
import { Subscription } from "../../models/subscription.model.js";
import { bootPlatform, http, unique } from "../support/platform.js";
import { withSettings } from "../support/settings-override.js";

function signupBody(overrides: { email?: string; name?: string; timezone?: string; password?: string } = {}) {
	return {
		school: { name: overrides.name ?? unique("School "), timezone: overrides.timezone ?? "Europe/Paris" },
		admin: { email: overrides.email ?? `${unique("admin")}@school.test`, password: overrides.password ?? PASSWORD, firstName: "Ada", lastName: "Admin" },
	};
}

async function schoolsNamed(root: Account, name: string): Promise<any[]> {
	const res = await http("GET", `/api/schools?q=${encodeURIComponent(name)}`, { token: root.token });
	expect(res.status).to.equal(200);
	return res.body.rows;
}

describe("schools", () => {
	let root: Account;
	let fx: SchoolFixture;

	before(async () => {
		root = await createPlatformAdmin();
		fx = await signupSchool({ timezone: "America/Argentina/Buenos_Aires" });
	});

	describe("signup", () => {
		it("creates the school, its admin, a subscription and a verification mail", async () => {
			const body = signupBody();
			const res = await http("POST", "/api/schools/signup", { body });
			expect(res.status, JSON.stringify(res.body)).to.equal(201);
			expect(res.body.school).to.include({ name: body.school.name, timezone: "Europe/Paris", status: "active" });
			expect(res.body.school.code).to.match(/^[A-Z0-9]{6}$/);
			expect(res.body.admin).to.deep.equal({ id: res.body.admin.id, email: body.admin.email });
			expect((await latestMail(body.admin.email, "verify-email")).to).to.equal(body.admin.email);
		});

		it("refuses an unknown time zone with 422, creating nothing", async () => {
			const body = signupBody({ timezone: "Europe/Atlantis" });
			const res = await http("POST", "/api/schools/signup", { body });
			expect(res.status).to.equal(422);
			expect(res.body.error.data[0].field).to.equal("school.timezone");
			expect(await schoolsNamed(root, body.school.name)).to.have.length(0);
			expect((await http("POST", "/api/schools/signup", { body: { ...body, school: { ...body.school, timezone: "Asia/Tokyo" } } })).status).to.equal(201);
		});

		it("refuses an email that already has an account (any case), creating no school", async () => {
			const body = signupBody({ email: fx.admin.email!.toUpperCase() });
			const res = await http("POST", "/api/schools/signup", { body });
			expect(res.status).to.equal(409);
			expect(res.body.error.type).to.equal("EMAIL_TAKEN");
			expect(await schoolsNamed(root, body.school.name)).to.have.length(0);
		});

		it("refuses weak passwords and missing fields with 422", async () => {
			expect((await http("POST", "/api/schools/signup", { body: signupBody({ password: "short" }) })).status).to.equal(422);
			expect((await http("POST", "/api/schools/signup", { body: { school: { name: "X School" } } })).status).to.equal(422);
		});

		it("removes what it made when a later step fails", async () => {
			const body = signupBody();
			// An unknown default plan makes subscriptions.createForSchool fail after the school and admin exist.
			const res = await withSettings({ defaultPlan: "no-such-plan" }, () => http("POST", "/api/schools/signup", { body }));
			expect(res.status).to.be.within(400, 599);
			expect(await schoolsNamed(root, body.school.name)).to.have.length(0);
			const noAdmin = await http("POST", "/api/auth/login", { body: { email: body.admin.email, password: PASSWORD } });
			expect(noAdmin.status).to.equal(401);
			// The email is free again: the same signup now succeeds.
			expect((await http("POST", "/api/schools/signup", { body })).status).to.equal(201);
		});

		it("removes the subscription too when a step after it fails", async () => {
			const body = signupBody();
			const { broker } = await bootPlatform();
			const transport = (broker.getLocalService("mailer") as any).transport;
			const send = transport.send;
			// The verification mail is the step after the subscription: make it fail for this address only.
			transport.send = (mail: { to: string }) => (mail.to === body.admin.email ? Promise.reject(new Error("SMTP is down")) : send.call(transport, mail));
			const subscriptionsBefore = await Subscription.countDocuments();
			let res;
			try {
				res = await http("POST", "/api/schools/signup", { body });
			} finally {
				transport.send = send;
			}
			expect(res.status).to.be.within(500, 599);
			expect(await Subscription.countDocuments()).to.equal(subscriptionsBefore);
			expect(await schoolsNamed(root, body.school.name)).to.have.length(0);
			expect((await http("POST", "/api/auth/login", { body: { email: body.admin.email, password: PASSWORD } })).status).to.equal(401);
			expect((await http("POST", "/api/schools/signup", { body })).status).to.equal(201);
		});
	});

	describe("a school's own space", () => {
		it("shows members their school", async () => {
			const teacher = await invite(fx.admin, "teacher");
			const res = await http("GET", "/api/school", { token: teacher.token });
			expect(res.status).to.equal(200);
			expect(res.body).to.include({ id: fx.school.id, code: fx.school.code, timezone: "America/Argentina/Buenos_Aires" });
			expect((await http("GET", "/api/school", { token: root.token })).status).to.equal(403);
		});

		it("lets its admin change name, time zone and settings, validating them", async () => {
			const ok = await http("PATCH", "/api/school", { token: fx.admin.token, body: { timezone: "Europe/Berlin", settings: { weekStartsOn: 0 } } });
			expect(ok.status, JSON.stringify(ok.body)).to.equal(200);
			expect(ok.body.timezone).to.equal("Europe/Berlin");
			expect(ok.body.settings.weekStartsOn).to.equal(0);
			const badZone = await http("PATCH", "/api/school", { token: fx.admin.token, body: { timezone: "Nowhere/Land" } });
			expect(badZone.status).to.equal(422);
			const badKey = await http("PATCH", "/api/school", { token: fx.admin.token, body: { status: "active" } });
			expect(badKey.status).to.equal(422);
			const teacher = await invite(fx.admin, "teacher");
			expect((await http("PATCH", "/api/school", { token: teacher.token, body: { name: "Mine now" } })).status).to.equal(403);
			expect((await http("GET", "/api/school", { token: fx.admin.token })).body.timezone).to.equal("Europe/Berlin");
		});
	});

	describe("platform administration", () => {
		it("lists and gets schools for platform staff only", async () => {
			const list = await http("GET", `/api/schools?q=${encodeURIComponent(fx.school.name)}`, { token: root.token });
			expect(list.status).to.equal(200);
			expect(list.body.rows.map((s: any) => s.id)).to.deep.equal([fx.school.id]);
			const byCode = await http("GET", `/api/schools?q=${fx.school.code.toLowerCase()}`, { token: root.token });
			expect(byCode.body.rows.map((s: any) => s.id)).to.include(fx.school.id);
			expect((await http("GET", `/api/schools/${fx.school.id}`, { token: root.token })).body.code).to.equal(fx.school.code);
			expect((await http("GET", "/api/schools/65a000000000000000000001", { token: root.token })).status).to.equal(404);
			expect((await http("GET", "/api/schools", { token: fx.admin.token })).status).to.equal(403);
			expect((await http("GET", "/api/schools")).status).to.equal(401);
		});

		it("suspends a school: sessions end, nobody logs in, the subscription follows; reactivation undoes it", async () => {
			const school = await signupSchool();
			const pupil = await createUsernameStudent(school.admin, school.school.code);
			expect((await http("POST", `/api/schools/${school.school.id}/suspend`, { token: school.admin.token })).status).to.equal(403);

			const res = await http("POST", `/api/schools/${school.school.id}/suspend`, { token: root.token, body: { reason: "unpaid" } });
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body.status).to.equal("suspended");
			expect((await http("POST", "/api/auth/refresh", { body: { refreshToken: school.admin.refreshToken } })).status).to.equal(401);
			const denied = await http("POST", "/api/auth/login", { body: { email: school.admin.email, password: PASSWORD } });
			expect(denied.status).to.equal(403);
			expect(denied.body.error.type).to.equal("SCHOOL_SUSPENDED");
			const pupilDenied = await http("POST", "/api/auth/login", { body: { schoolCode: school.school.code, username: pupil.username, password: PASSWORD } });
			expect(pupilDenied.body.error.type).to.equal("SCHOOL_SUSPENDED");
			const suspendedList = await http("GET", "/api/schools?status=suspended&pageSize=100", { token: root.token });
			expect(suspendedList.body.rows.map((s: any) => s.id)).to.include(school.school.id);

			const back = await http("POST", `/api/schools/${school.school.id}/reactivate`, { token: root.token });
			expect(back.status).to.equal(200);
			expect(back.body.status).to.equal("active");
			const admin = await login({ email: school.admin.email!, password: PASSWORD });
			const sub = await http("GET", "/api/subscription", { token: admin.accessToken });
			expect(sub.body.status).to.equal("active");
			const audit = await http("GET", `/api/audit?action=school.suspended&schoolId=${school.school.id}`, { token: root.token });
			expect(audit.status).to.equal(200);
			expect(audit.body.rows).to.have.length(1);
		});

		it("answers 404 for an unknown school and 422 for a malformed id", async () => {
			expect((await http("POST", "/api/schools/65a000000000000000000001/suspend", { token: root.token })).status).to.equal(404);
			expect((await http("POST", "/api/schools/xyz/suspend", { token: root.token })).status).to.equal(422);
		});
	});
});
