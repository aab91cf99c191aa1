import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { ServiceBroker } from "moleculer";
import { publishDurable } from "../../services/shared/durable.js";
import { createPlatformAdmin, invite, signupSchool, type Account, type SchoolFixture } from "../support/accounts.js";
import { bootPlatform, http, systemMeta, unique } from "../support/platform.js";

/** Waits until the channel adapter has no message in flight, so a redelivery has had its chance. */
async function channelsIdle(broker: ServiceBroker, timeoutMs = 5000): Promise<void> {
	const adapter = (broker as any).channelAdapter;
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const inFlight = [...(adapter.activeMessages as Map<string, unknown[]>).values()].reduce((n, list) => n + list.length, 0);
		if (inFlight === 0) return;
		if (Date.now() > deadline) throw new Error(`${inFlight} channel messages still in flight`);
		await new Promise(r => setTimeout(r, 10));
	}
}

async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 5000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (done(value)) return value;
		if (Date.now() > deadline) throw new Error(`condition not met: ${JSON.stringify(value)}`);
		await new Promise(r => setTimeout(r, 20));
	}
}

describe("notifications", () => {
	let broker: ServiceBroker;
	let schoolA: SchoolFixture;
	let schoolB: SchoolFixture;
	let teacherA: Account;
	let staff: Account;

	const notify = (user: Account, extra: Record<string, unknown> = {}) =>
		broker.call(
			"notifications.create",
			{ userId: user.id, schoolId: user.schoolId, type: "test.event", title: unique("Title "), body: "Body", data: { n: 1 }, ...extra },
			{ meta: systemMeta() },
		) as Promise<any>;
	const list = (user: Account, query = "") => http("GET", `/api/notifications${query}`, { token: user.token });
	const unreadCount = async (user: Account) => (await http("GET", "/api/notifications/unread-count", { token: user.token })).body.count as number;

	before(async () => {
		({ broker } = await bootPlatform());
		[schoolA, schoolB, staff] = await Promise.all([signupSchool(), signupSchool(), createPlatformAdmin()]);
		teacherA = await invite(schoolA.admin, "teacher");
	});

	describe("listing", () => {
		it("lists only the caller's notifications, newest first, with the page envelope", async () => {
			const first = await notify(teacherA, { type: "listing.first" });
			const second = await notify(teacherA, { type: "listing.second" });
			await notify(schoolA.admin, { type: "listing.other" });

			const res = await list(teacherA, "?pageSize=2");
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body).to.include({ page: 1, pageSize: 2 });
			expect(res.body.rows.map((n: any) => n.id)).to.deep.equal([second.id, first.id]);
			expect(res.body.rows[0]).to.include({ userId: teacherA.id, schoolId: schoolA.school.id, type: "listing.second", body: "Body", readAt: null });
			expect(res.body.rows[0].data).to.deep.equal({ n: 1 });
			const everything = await list(teacherA, "?pageSize=100");
			expect(everything.body.rows.every((n: any) => n.userId === teacherA.id)).to.equal(true);
			expect(everything.body.rows.some((n: any) => n.type === "listing.other")).to.equal(false);
		});

		it("filters unread ones and counts them", async () => {
			const user = await invite(schoolA.admin, "student");
			const a = await notify(user);
			await notify(user);
			expect(await unreadCount(user)).to.equal(2);
			expect((await http("POST", `/api/notifications/${a.id}/read`, { token: user.token })).status).to.equal(200);

			const unread = await list(user, "?unread=true");
			expect(unread.body.total).to.equal(1);
			expect(unread.body.rows[0].id).to.not.equal(a.id);
			expect((await list(user, "?unread=false")).body.total).to.equal(2);
			expect(await unreadCount(user)).to.equal(1);
		});

		it("gives platform staff their own notifications (no school)", async () => {
			const mine = await notify(staff, { schoolId: null, type: "staff.only" });
			const res = await list(staff);
			expect(res.status).to.equal(200);
			expect(res.body.rows.map((n: any) => n.id)).to.include(mine.id);
			expect(res.body.rows[0].schoolId).to.equal(null);
		});

		it("answers 401 without a token and 422 to a bad page size", async () => {
			expect((await http("GET", "/api/notifications")).status).to.equal(401);
			expect((await http("GET", "/api/notifications/unread-count")).status).to.equal(401);
			expect((await list(teacherA, "?pageSize=500")).status).to.equal(422);
		});
	});

	describe("marking read", () => {
		it("marks the caller's notification read once, keeping the first readAt", async () => {
			const n = await notify(teacherA);
			const first = await http("POST", `/api/notifications/${n.id}/read`, { token: teacherA.token });
			expect(first.status, JSON.stringify(first.body)).to.equal(200);
			expect(first.body).to.include({ id: n.id });
			expect(first.body.readAt).to.be.a("string");
			const again = await http("POST", `/api/notifications/${n.id}/read`, { token: teacherA.token });
			expect(again.status).to.equal(200);
			expect(again.body.readAt).to.equal(first.body.readAt);
		});

		it("answers 404 for another user's notification, in the same school or another, and leaves it unread", async () => {
			const adminsOwn = await notify(schoolA.admin);
			const otherSchools = await notify(schoolB.admin);
			for (const id of [adminsOwn.id, otherSchools.id]) {
				const res = await http("POST", `/api/notifications/${id}/read`, { token: teacherA.token });
				expect(res.status).to.equal(404);
				expect(res.body.error.type).to.equal("NOT_FOUND");
			}
			const staffTry = await http("POST", `/api/notifications/${otherSchools.id}/read`, { token: staff.token });
			expect(staffTry.status).to.equal(404);
			const stillUnread = await list(schoolB.admin, "?unread=true&pageSize=100");
			expect(stillUnread.body.rows.map((x: any) => x.id)).to.include(otherSchools.id);
			expect((await list(schoolA.admin, "?unread=true&pageSize=100")).body.rows.map((x: any) => x.id)).to.include(adminsOwn.id);
		});

		it("answers 404 for an unknown id and 422 for a malformed one", async () => {
			expect((await http("POST", `/api/notifications/${"0".repeat(24)}/read`, { token: teacherA.token })).status).to.equal(404);
			expect((await http("POST", "/api/notifications/not-an-id/read", { token: teacherA.token })).status).to.equal(422);
		});

		it("marks all of the caller's notifications read and nobody else's", async () => {
			const user = await invite(schoolA.admin, "student");
			await notify(user);
			await notify(user);
			const bystander = await notify(schoolA.admin);
			const res = await http("POST", "/api/notifications/read-all", { token: user.token });
			expect(res.status).to.equal(200);
			expect(res.body).to.deep.equal({ updated: 2 });
			expect(await unreadCount(user)).to.equal(0);
			expect((await list(schoolA.admin, "?unread=true&pageSize=100")).body.rows.map((x: any) => x.id)).to.include(bystander.id);
			expect((await http("POST", "/api/notifications/read-all", { token: user.token })).body).to.deep.equal({ updated: 0 });
		});
	});

	describe("notifications.create (internal)", () => {
		it("is not reachable by clients", async () => {
			const res = await http("POST", "/api/notifications", { token: schoolA.admin.token, body: { userId: teacherA.id, type: "x", title: "x" } });
			expect(res.status).to.equal(404);
		});

		it("lets a school member's service call notify only users of that school", async () => {
			const meta = { user: { id: schoolA.admin.id, schoolId: schoolA.school.id, roles: ["school_admin"] } };
			const err: any = await broker
				.call("notifications.create", { userId: schoolB.admin.id, schoolId: schoolB.school.id, type: "x", title: "x" }, { meta, caller: "classes" })
				.catch(e => e);
			expect(err.code).to.equal(403);
			expect((await list(schoolB.admin, "?pageSize=100")).body.rows.some((n: any) => n.type === "x")).to.equal(false);
			const ok: any = await broker.call(
				"notifications.create",
				{ userId: teacherA.id, schoolId: schoolA.school.id, type: "same.school", title: "x" },
				{ meta, caller: "classes" },
			);
			expect(ok.userId).to.equal(teacherA.id);
		});

		it("is idempotent by sourceId per user", async () => {
			const sourceId = randomUUID();
			const one = await notify(teacherA, { sourceId });
			const two = await notify(teacherA, { sourceId, title: "changed" });
			expect(two.id).to.equal(one.id);
			expect(two.title).to.equal(one.title);
		});

		it("rejects bad input", async () => {
			const err: any = await notify(teacherA, { userId: "nope" }).catch(e => e);
			expect(err.name).to.equal("ValidationError");
		});
	});

	describe("channel notifications.requested", () => {
		it("creates one notification per user, once per message id, even when delivered twice", async () => {
			const type = unique("durable.");
			const message = { id: randomUUID(), schoolId: schoolA.school.id, userIds: [teacherA.id, schoolA.admin.id], type, title: "Hello", body: "World" };
			await publishDurable(broker, "notifications.requested", message);
			await publishDurable(broker, "notifications.requested", message);

			for (const user of [teacherA, schoolA.admin]) {
				const page = await waitFor(() => list(user, "?pageSize=100"), r => r.body.rows.some((n: any) => n.type === type));
				await channelsIdle(broker);
				const again = await list(user, "?pageSize=100");
				const mine = again.body.rows.filter((n: any) => n.type === type);
				expect(mine, JSON.stringify(page.body)).to.have.length(1);
				expect(mine[0]).to.include({ title: "Hello", body: "World", sourceId: message.id, schoolId: schoolA.school.id });
			}
		});

		it("drops a malformed message without creating anything", async () => {
			const type = unique("malformed.");
			await publishDurable(broker, "notifications.requested", { schoolId: schoolA.school.id, userIds: ["not-an-id", teacherA.id], type, title: "x" });
			await channelsIdle(broker);
			expect((await list(teacherA, "?pageSize=100")).body.rows.some((n: any) => n.type === type)).to.equal(false);
		});
	});
});
