/**
 * `communication tenancy`: every route of rendez-vous, visio, agenda, reminders, preferences and push,
 * attacked by the members of school A with school B's ids, plus `bad input` on the write routes: 4xx with the
 * standard error body, never a 5xx, and B's documents (and A's, for refused input) unchanged.
 */
import { expect } from "chai";
import { Availability } from "../../models/availability.model.js";
import { CalendarFeed } from "../../models/calendar-feed.model.js";
import { NotificationPreference } from "../../models/notification-preference.model.js";
import { PushSubscription } from "../../models/push-subscription.model.js";
import { RendezVous } from "../../models/rendezvous.model.js";
import { Reminder } from "../../models/reminder.model.js";
import { Visioconference } from "../../models/visioconference.model.js";
import { bootPlatform, http, type HttpResult } from "../support/platform.js";
import { bookRendezvous, commSchool, ok, openAvailability, slot, type CommSchool } from "../support/communication.js";
import type { Account } from "../support/accounts.js";

const MODELS = [Availability, CalendarFeed, NotificationPreference, PushSubscription, RendezVous, Reminder, Visioconference];

async function snapshot(schoolId?: string): Promise<string> {
	// A subscription's delivery bookkeeping (failures, last success) moves with background pushes, not with requests.
	const parts = await Promise.all(MODELS.map(async m => JSON.stringify(await m.find(schoolId ? { schoolId } : {}, m === PushSubscription ? { failures: 0, lastSuccessAt: 0, updatedAt: 0 } : {}).sort({ _id: 1 }).lean())));
	return parts.join("\n");
}

function refused(res: HttpResult, what: string): void {
	expect(res.status, `${what} → ${res.status} ${JSON.stringify(res.body)}`).to.be.within(400, 499);
	expect(res.body?.error?.type, what).to.be.a("string");
}

describe("communication tenancy", function () {
	this.timeout(120_000);
	let a: CommSchool;
	let b: CommSchool;
	let bBooked: any;
	let bPending: any;
	let bClassVisio: any;
	let bFeedUrl: string;
	let bSubId: string;
	let bUnsubscribe: string;

	before(async () => {
		await bootPlatform();
		[a, b] = await Promise.all([commSchool(), commSchool()]);
		await Promise.all([openAvailability(a.teacher), openAvailability(b.teacher)]);
		bBooked = await bookRendezvous(b, 30);
		bPending = await ok(http("POST", "/api/rendezvous", { token: b.student.token, body: { teacherId: b.teacher.id, slots: [slot(34)] } }), 201);
		const start = new Date(Date.now() + 40 * 3_600_000);
		bClassVisio = await ok(http("POST", "/api/visios", { token: b.teacher.token, body: { classId: b.classId, title: "B class", start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString() } }), 201);
		bFeedUrl = (await ok(http("POST", "/api/agenda/feed", { token: b.student.token }), 201)).url;
		bSubId = (await ok(http("POST", "/api/push/subscriptions", { token: b.student.token, body: { endpoint: "https://push.example.test/b-student", keys: { p256dh: Buffer.alloc(65, 4).toString("base64url"), auth: Buffer.alloc(16, 1).toString("base64url") } } }), 201)).id;
		const { signUnsubscribe, unsubscribeUrl } = await import("../../services/communication/unsubscribe-token.js");
		bUnsubscribe = new URL(unsubscribeUrl(await signUnsubscribe(b.student.id, "reminders"))).search;
	});

	const attackers = () => [a.admin, a.teacher, a.student, a.outsider];

	it("refuses every id of school B on every route, and B's data stays as it was", async () => {
		const before = await snapshot(b.school.id);
		const ids = { rv: bBooked.id, pending: bPending.id, visio: bBooked.visioId, classVisio: bClassVisio.id };
		for (const me of attackers()) {
			const probes: [string, string, unknown?][] = [
				["GET", `/api/rendezvous/${ids.rv}`],
				["POST", `/api/rendezvous/${ids.pending}/accept`, { slotIndex: 0 }],
				["POST", `/api/rendezvous/${ids.pending}/decline`, {}],
				["POST", `/api/rendezvous/${ids.rv}/propose`, { slots: [slot(50)] }],
				["POST", `/api/rendezvous/${ids.rv}/cancel`, {}],
				["GET", `/api/visios/${ids.visio}`],
				["PATCH", `/api/visios/${ids.classVisio}`, { title: "Mallory" }],
				["POST", `/api/visios/${ids.classVisio}/cancel`, {}],
				["POST", `/api/visios/${ids.visio}/token`, {}],
				["GET", `/api/visios/${ids.visio}/attendance`],
				["DELETE", `/api/push/subscriptions/${bSubId}`],
				["GET", `/api/teachers/${b.teacher.id}/availability`],
				["POST", "/api/rendezvous", { teacherId: b.teacher.id, slots: [slot(60)] }],
				["POST", "/api/visios", { classId: b.classId, title: "x", start: new Date(Date.now() + 60 * 3_600_000).toISOString(), end: new Date(Date.now() + 61 * 3_600_000).toISOString() }],
			];
			for (const [method, path, body] of probes) {
				const res = await http(method, path, { token: me.token, ...(body === undefined ? {} : { body }) });
				refused(res, `${me.roles} ${method} ${path}`);
				expect([403, 404, 422], `${method} ${path}`).to.include(res.status);
			}
			// Lists and the caller's own resources carry nothing of B.
			for (const path of ["/api/rendezvous?pageSize=100", "/api/visios?pageSize=100", "/api/reminders?pageSize=100", "/api/push/subscriptions", "/api/notification-preferences", "/api/agenda/feed", `/api/agenda?from=${new Date().toISOString()}&to=${new Date(Date.now() + 60 * 86_400_000).toISOString()}`, "/api/availability"]) {
				const res = await http("GET", path, { token: me.token });
				if (res.status >= 400) {
					refused(res, path);
					continue;
				}
				const text = JSON.stringify(res.body);
				for (const needle of [ids.rv, ids.pending, ids.visio, ids.classVisio, bSubId, b.school.id, b.teacher.id, b.student.id]) expect(text, `${me.roles} ${path}`).to.not.include(needle);
			}
		}
		// Own-resource writes with B's ids slipped in stay in A.
		const prefs = await ok(http("PATCH", "/api/notification-preferences", { token: a.student.token, body: { digestHour: 9 } }));
		expect(prefs.digestHour).to.equal(9);
		const avail = await ok(http("PUT", `/api/availability?teacherId=${b.teacher.id}&schoolId=${b.school.id}`, { token: a.teacher.token, body: { weekly: [{ weekday: 1, start: "08:00", end: "09:00" }] } }));
		expect(avail).to.include({ teacherId: a.teacher.id, schoolId: a.school.id });
		const feed = await ok(http("POST", `/api/agenda/feed?userId=${b.student.id}`, { token: a.student.token }), 201);
		expect(feed.url).to.not.equal(bFeedUrl);
		expect(await snapshot(b.school.id)).to.equal(before);
	});

	it("a feed and an unsubscribe link act only for their own user", async () => {
		const feed = await fetch(bFeedUrl.replace(/^http:\/\/localhost:8080/, (await bootPlatform()).baseUrl));
		expect(feed.status).to.equal(200);
		const ics = await feed.text();
		expect(ics).to.include("BEGIN:VCALENDAR");
		expect(ics).to.not.include(a.school.name);
		const bogus = await http("GET", `/api/agenda/feed/${"A".repeat(43)}.ics`);
		expect(bogus.status).to.equal(404);
		const res = await http("POST", `/api/mail/unsubscribe${bUnsubscribe}`);
		expect(res.status).to.equal(200);
		const aPrefs = await ok(http("GET", "/api/notification-preferences", { token: a.student.token }));
		expect(aPrefs.channels.reminders.email).to.equal("instant");
		const bPrefs = await ok(http("GET", "/api/notification-preferences", { token: b.student.token }));
		expect(bPrefs.channels.reminders.email).to.equal("off");
		expect((await http("GET", "/api/push/public-key")).status).to.equal(200);
	});

	describe("bad input", () => {
		it("answers 4xx with a typed error to wrong types, missing fields, operators and bad ids, and changes nothing", async () => {
			const me: Record<string, Account> = { student: a.student, teacher: a.teacher };
			await openAvailability(a.teacher);
			const aRv = await ok(http("POST", "/api/rendezvous", { token: a.student.token, body: { teacherId: a.teacher.id, slots: [slot(30)] } }), 201);
			const start = new Date(Date.now() + 70 * 3_600_000);
			const aVisio = await ok(http("POST", "/api/visios", { token: a.teacher.token, body: { classId: a.classId, title: "A", start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString() } }), 201);
			const before = await snapshot();
			const cases: [keyof typeof me, string, string, unknown][] = [
				["student", "PATCH", "/api/notification-preferences", { channels: { chat: { email: "sometimes" } } }],
				["student", "PATCH", "/api/notification-preferences", { reminderOffsetsMinutes: [0] }],
				["student", "PATCH", "/api/notification-preferences", { digestHour: "7" }],
				["student", "PATCH", "/api/notification-preferences", { $set: { userId: b.student.id } }],
				["student", "POST", "/api/mail/unsubscribe?token=%24gt", {}],
				["student", "POST", "/api/push/subscriptions", { endpoint: "https://push.example.test/x" }],
				["student", "POST", "/api/push/subscriptions", { endpoint: "http://push.example.test/x", keys: { p256dh: Buffer.alloc(65, 4).toString("base64url"), auth: Buffer.alloc(16, 1).toString("base64url") } }],
				["student", "DELETE", "/api/push/subscriptions/not-an-id", undefined],
				["teacher", "PUT", "/api/availability", { weekly: [{ weekday: 8, start: "09:00", end: "10:00" }] }],
				["teacher", "PUT", "/api/availability", { weekly: [], timezone: "Nowhere/City" }],
				["teacher", "PUT", "/api/availability", { weekly: "monday" }],
				["student", "POST", "/api/rendezvous", { teacherId: a.teacher.id, slots: [] }],
				["student", "POST", "/api/rendezvous", { teacherId: a.teacher.id, slots: [slot(30), slot(31), slot(32), slot(33)] }],
				["student", "POST", "/api/rendezvous", { teacherId: a.teacher.id, slots: [{ start: "tomorrow", end: "later" }] }],
				["student", "POST", "/api/rendezvous", { teacherId: { $ne: null }, slots: [slot(30)] }],
				["student", "POST", "/api/rendezvous", { slots: [slot(30)] }],
				["teacher", "POST", `/api/rendezvous/${aRv.id}/accept`, { slotIndex: 7 }],
				["teacher", "POST", `/api/rendezvous/${aRv.id}/accept`, {}],
				["teacher", "POST", `/api/rendezvous/${aRv.id}/decline`, { reason: 42 }],
				["teacher", "POST", `/api/rendezvous/${aRv.id}/propose`, { slots: [{ start: slot(40).end, end: slot(40).start }] }],
				["teacher", "POST", "/api/rendezvous/123/cancel", {}],
				["teacher", "POST", "/api/visios", { classId: a.classId, title: "", start: start.toISOString(), end: start.toISOString() }],
				["teacher", "POST", "/api/visios", { classId: a.classId, title: "Past", start: new Date(Date.now() - 7_200_000).toISOString(), end: new Date(Date.now() - 3_600_000).toISOString() }],
				["teacher", "PATCH", `/api/visios/${aVisio.id}`, { studentPublish: { camera: "yes" } }],
				["teacher", "PATCH", `/api/visios/${aVisio.id}`, { end: new Date(start.getTime() - 60_000).toISOString() }],
				["teacher", "POST", "/api/visios/zzz/cancel", {}],
				["teacher", "POST", "/api/visios/zzz/token", {}],
				["student", "POST", "/api/agenda/feed", '{"__proto__": {"admin": true}}'],
				["student", "DELETE", "/api/agenda/feed?x[$gt]=1", undefined],
			];
			for (const [who, method, path, body] of cases) {
				const res = await http(method, path, { token: me[who].token, ...(body === undefined ? {} : { raw: typeof body === "string" ? body : JSON.stringify(body) }) });
				refused(res, `${method} ${path} ${JSON.stringify(body)}`);
			}
			const agenda = await http("GET", "/api/agenda?from=yesterday&to=2026-01-01", { token: a.student.token });
			refused(agenda, "agenda bad from");
			const wide = await http("GET", "/api/agenda?from=2026-01-01&to=2027-06-01", { token: a.student.token });
			refused(wide, "agenda too wide");
			expect(await snapshot()).to.equal(before);
		});
	});
});
