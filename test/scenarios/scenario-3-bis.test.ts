/**
 * `scenario 3 bis`: a student and their teacher book a video rendez-vous and hold it on the real LiveKit
 * server (LIVEKIT_URL, started by .ci/services.sh), and a teacher schedules a visio for a whole class.
 */
import { expect } from "chai";
import { RoomServiceClient, TokenVerifier } from "livekit-server-sdk";
import { bootPlatform, http, settings } from "../support/platform.js";
import { at, bookRendezvous, commSchool, hoursFromNow, notificationsOf, ok, openAvailability, postWebhook, signedWebhook, slot, tick, waitFor, type CommSchool } from "../support/communication.js";
import { Attendance } from "../../models/attendance.model.js";
import { Visioconference } from "../../models/visioconference.model.js";

describe("scenario 3 bis", function () {
	this.timeout(60_000);
	let s: CommSchool;
	let other: CommSchool;

	before(async function () {
		if (!process.env.LIVEKIT_URL) this.skip();
		await bootPlatform();
		[s, other] = await Promise.all([commSchool(), commSchool()]);
		await Promise.all([openAvailability(s.teacher), openAvailability(other.teacher)]);
	});

	describe("availability", () => {
		it("publishes weekly windows with exceptions and shows free slots to the teacher's students only", async () => {
			const t = await commSchool("Europe/Paris");
			const tomorrow = new Date(Date.now() + 86_400_000).toLocaleDateString("en-CA", { timeZone: "Europe/Paris" });
			const weekly = [1, 2, 3, 4, 5, 6, 7].map(weekday => ({ weekday, start: "09:00", end: "11:00" }));
			const saved = await ok(http("PUT", "/api/availability", { token: t.teacher.token, body: { weekly, slotMinutes: 30, exceptions: [{ date: tomorrow, available: false }] } }));
			expect(saved.timezone).to.equal("Europe/Paris");
			const from = new Date(Date.now() + 86_400_000 * 0.5).toISOString();
			const view = await ok(http("GET", `/api/teachers/${t.teacher.id}/availability?from=${from}&to=${new Date(Date.now() + 3 * 86_400_000).toISOString()}`, { token: t.student.token }));
			expect(view.slots.length).to.be.greaterThan(0);
			for (const sl of view.slots) {
				const local = new Date(sl.start).toLocaleString("en-GB", { timeZone: "Europe/Paris", hour: "2-digit", minute: "2-digit", hour12: false });
				expect(local >= "09:00" && local < "11:00", local).to.equal(true);
				expect(new Date(sl.start).toLocaleDateString("en-CA", { timeZone: "Europe/Paris" })).to.not.equal(tomorrow);
			}
			const outsider = await http("GET", `/api/teachers/${t.teacher.id}/availability`, { token: t.outsider.token });
			expect(outsider.status).to.equal(404);
			const bad = await http("PUT", "/api/availability", { token: t.teacher.token, body: { weekly: [{ weekday: 1, start: "11:00", end: "09:00" }] } });
			expect(bad.status).to.equal(422);
		});
	});

	describe("rendez-vous", () => {
		it("student proposes, teacher counters, student confirms: a visio is booked and each step notifies the other side", async () => {
			const rv = await ok(http("POST", "/api/rendezvous", { token: s.student.token, body: { teacherId: s.teacher.id, slots: [slot(30), slot(31)], topic: "Equations", message: "Can we talk?" } }), 201);
			expect(rv).to.include({ status: "pending", studentId: s.student.id, teacherId: s.teacher.id });
			await waitFor(async () => (await notificationsOf(s.teacher, "rendezvous.proposed")).find((n: any) => n.data.rendezvousId === rv.id), "the teacher's notification");

			// Only the awaited side answers.
			const early = await http("POST", `/api/rendezvous/${rv.id}/accept`, { token: s.student.token, body: { slotIndex: 0 } });
			expect(early.status).to.equal(409);
			expect(early.body.error.type).to.equal("NOT_AWAITED");

			const countered = await ok(http("POST", `/api/rendezvous/${rv.id}/propose`, { token: s.teacher.token, body: { slots: [slot(40)], message: "Later?" } }));
			expect(countered.proposal.by).to.equal("teacher");
			await waitFor(async () => (await notificationsOf(s.student, "rendezvous.proposed")).find((n: any) => n.data.rendezvousId === rv.id), "the student's notification");

			const booked = await ok(http("POST", `/api/rendezvous/${rv.id}/accept`, { token: s.student.token, body: { slotIndex: 0 } }));
			expect(booked.status).to.equal("booked");
			expect(booked.visioId).to.be.a("string");
			expect(new Date(booked.booked.start).toISOString()).to.equal(countered.proposal.slots[0].start);
			await waitFor(async () => (await notificationsOf(s.teacher, "rendezvous.accepted")).find((n: any) => n.data.rendezvousId === rv.id), "the teacher hears it was accepted");
			const visio = await ok(http("GET", `/api/visios/${booked.visioId}`, { token: s.student.token }));
			expect(visio).to.include({ kind: "rendezvous", hostId: s.teacher.id, status: "scheduled" });
			expect(visio).to.not.have.property("roomName");
		});

		it("refuses a slot outside the teacher's availability and a teacher who does not teach the student", async () => {
			const t = await commSchool();
			await ok(http("PUT", "/api/availability", { token: t.teacher.token, body: { weekly: [] } }));
			const none = await http("POST", "/api/rendezvous", { token: t.student.token, body: { teacherId: t.teacher.id, slots: [slot(30)] } });
			expect(none.status).to.equal(409);
			expect(none.body.error.type).to.equal("SLOT_UNAVAILABLE");
			const notMine = await http("POST", "/api/rendezvous", { token: s.outsider.token, body: { teacherId: s.teacher.id, slots: [slot(30)] } });
			expect(notMine.status).to.equal(404);
			const tooSoon = await http("POST", "/api/rendezvous", { token: s.student.token, body: { teacherId: s.teacher.id, slots: [slot(0.1)] } });
			expect(tooSoon.status).to.equal(422);
		});

		it("refuses double bookings on either side, also when two are accepted at once", async () => {
			const a = await ok(http("POST", "/api/rendezvous", { token: s.student.token, body: { teacherId: s.teacher.id, slots: [slot(60)] } }), 201);
			const b = await ok(http("POST", "/api/rendezvous", { token: s.classmate.token, body: { teacherId: s.teacher.id, slots: [slot(60.25)] } }), 201);
			const results = await Promise.all([a, b].map(rv => http("POST", `/api/rendezvous/${rv.id}/accept`, { token: s.teacher.token, body: { slotIndex: 0 } })));
			const statuses = results.map(r => r.status).sort();
			expect(statuses, JSON.stringify(results.map(r => r.body))).to.deep.equal([200, 409]);
			const refused = results.find(r => r.status === 409)!;
			expect(["DOUBLE_BOOKED", "CONFLICT"]).to.include(refused.body.error.type);
			const visios = await Visioconference.countDocuments({ hostId: s.teacher.id, status: "scheduled", start: { $lt: hoursFromNow(61) }, end: { $gt: hoursFromNow(60) } });
			expect(visios).to.equal(1);
			// And a new proposal for the taken time is refused up front.
			const again = await http("POST", "/api/rendezvous", { token: s.classmate.token, body: { teacherId: s.teacher.id, slots: [slot(60)] } });
			expect(again.status).to.equal(409);
			expect(again.body.error.type).to.equal("DOUBLE_BOOKED");
		});

		it("moves and cancels until the cut-off, notifying the other side; not after", async () => {
			const booked = await bookRendezvous(s, 80);
			const moved = await ok(http("POST", `/api/rendezvous/${booked.id}/propose`, { token: s.student.token, body: { slots: [slot(82)] } }));
			expect(moved.status).to.equal("booked");
			const accepted = await ok(http("POST", `/api/rendezvous/${booked.id}/accept`, { token: s.teacher.token, body: { slotIndex: 0 } }));
			const visio = await ok(http("GET", `/api/visios/${booked.visioId}`, { token: s.teacher.token }));
			expect(visio.start).to.equal(new Date(accepted.booked.start).toISOString());
			expect(visio.version).to.equal(2);
			await waitFor(async () => (await notificationsOf(s.student, "rendezvous.rescheduled")).find((n: any) => n.data.rendezvousId === booked.id), "the student hears of the move");

			// An hour before the start is past the 120-minute cut-off.
			await at(new Date(new Date(accepted.booked.start).getTime() - 60 * 60_000), async () => {
				const late = await http("POST", `/api/rendezvous/${booked.id}/cancel`, { token: s.student.token, body: {} });
				expect(late.status).to.equal(409);
				expect(late.body.error.type).to.equal("TOO_LATE");
			});
			const cancelled = await ok(http("POST", `/api/rendezvous/${booked.id}/cancel`, { token: s.student.token, body: { reason: "Sick" } }));
			expect(cancelled.status).to.equal("cancelled");
			expect((await ok(http("GET", `/api/visios/${booked.visioId}`, { token: s.teacher.token }))).status).to.equal("cancelled");
			await waitFor(async () => (await notificationsOf(s.teacher, "rendezvous.cancelled")).find((n: any) => n.data.rendezvousId === booked.id), "the teacher hears of the cancellation");
		});
	});

	describe("visio on LiveKit", () => {
		it("hands join tokens to participants only, from a few minutes before the start until the end, with grants by role", async () => {
			const booked = await bookRendezvous(s, 100);
			const start = new Date(booked.booked.start);
			const end = new Date(booked.booked.end);
			const early = await http("POST", `/api/visios/${booked.visioId}/token`, { token: s.student.token });
			expect(early.status).to.equal(409);
			expect(early.body.error.type).to.equal("VISIO_NOT_OPEN");

			await at(new Date(start.getTime() - 5 * 60_000), async () => {
				const studentToken = await ok(http("POST", `/api/visios/${booked.visioId}/token`, { token: s.student.token }));
				const teacherToken = await ok(http("POST", `/api/visios/${booked.visioId}/token`, { token: s.teacher.token }));
				const verifier = new TokenVerifier(settings().livekitApiKey!, settings().livekitApiSecret!);
				const sc = await verifier.verify(studentToken.token);
				const tc = await verifier.verify(teacherToken.token);
				expect(sc.sub).to.equal(s.student.id);
				expect(sc.video).to.include({ roomJoin: true, room: studentToken.roomName, canSubscribe: true, roomAdmin: false, roomRecord: false });
				// One to one, the student may also share their screen; in class visios the teacher decides.
				expect(sc.video!.canPublishSources).to.have.members(["camera", "microphone", "screen_share", "screen_share_audio"]);
				expect(tc.video).to.include({ roomJoin: true, roomAdmin: true, roomRecord: true, canPublish: true });
				expect(studentToken.roomName).to.match(/^lp_[A-Za-z0-9_-]{32}$/);
				expect(studentToken.url).to.match(/^wss?:\/\//);
				expect((sc.exp ?? 0) * 1000).to.be.at.most(end.getTime() + 60_000);

				// The room exists on the LiveKit server, with our limits, and the server accepts the token.
				const rooms = new RoomServiceClient(settings().livekitUrl!, settings().livekitApiKey!, settings().livekitApiSecret!);
				const [room] = await rooms.listRooms([studentToken.roomName]);
				expect(room?.name).to.equal(studentToken.roomName);
				expect(room.maxParticipants).to.equal(2);
				const validate = await fetch(`${settings().livekitUrl}/rtc/validate?access_token=${encodeURIComponent(studentToken.token)}`);
				expect(validate.status, await validate.text()).to.equal(200);

				// Nobody else gets in: not a classmate, not the school admin, not another school.
				for (const intruder of [s.classmate, s.admin, other.student, other.teacher]) {
					const res = await http("POST", `/api/visios/${booked.visioId}/token`, { token: intruder.token });
					expect([403, 404], `${intruder.roles} → ${res.status}`).to.include(res.status);
					expect(res.body).to.not.have.property("token");
				}
			});

			await at(new Date(end.getTime() + 60_000), async () => {
				const over = await http("POST", `/api/visios/${booked.visioId}/token`, { token: s.teacher.token });
				expect(over.status).to.equal(409);
				expect(over.body.error.type).to.equal("VISIO_OVER");
				// The tick closes it at its scheduled end and deletes the LiveKit room.
				await tick();
				const closed = await ok(http("GET", `/api/visios/${booked.visioId}`, { token: s.teacher.token }));
				expect(closed.status).to.equal("ended");
				const rooms = new RoomServiceClient(settings().livekitUrl!, settings().livekitApiKey!, settings().livekitApiSecret!);
				const doc = await Visioconference.findById(booked.visioId);
				expect(await rooms.listRooms([doc!.roomName])).to.have.length(0);
			});
		});

		it("turns LiveKit's signed webhooks into attendance; a bad signature changes nothing", async () => {
			const booked = await bookRendezvous(s, 120);
			const doc = await Visioconference.findById(booked.visioId);
			const joined = { id: `EV_${Date.now()}_j`, event: "participant_joined", createdAt: Math.floor(Date.now() / 1000), room: { name: doc!.roomName, sid: "RM_x" }, participant: { sid: "PA_student1", identity: s.student.id } };
			const forged = await signedWebhook(joined, "not-the-secret-at-all-not-the-secret");
			const refused = await postWebhook(forged);
			expect(refused.status).to.equal(401);
			expect(refused.body.error.type).to.equal("INVALID_SIGNATURE");
			const tampered = await signedWebhook(joined);
			const altered = await postWebhook({ ...tampered, body: tampered.body.replace(s.student.id, s.classmate.id) });
			expect(altered.status).to.equal(401);
			expect(await Attendance.countDocuments({ visioId: booked.visioId })).to.equal(0);

			expect((await postWebhook(await signedWebhook(joined))).status).to.equal(200);
			// A redelivery is recorded once.
			expect((await postWebhook(await signedWebhook(joined))).status).to.equal(200);
			const left = { ...joined, id: `EV_${Date.now()}_l`, event: "participant_left", createdAt: joined.createdAt + 600 };
			expect((await postWebhook(await signedWebhook(left))).status).to.equal(200);
			const report = await ok(http("GET", `/api/visios/${booked.visioId}/attendance`, { token: s.teacher.token }));
			expect(report.attended).to.have.length(1);
			expect(report.attended[0]).to.include({ userId: s.student.id, role: "participant", sessions: 1, seconds: 600 });
			expect(report.absent).to.deep.equal([s.teacher.id]);
			const studentView = await http("GET", `/api/visios/${booked.visioId}/attendance`, { token: s.student.token });
			expect(studentView.status).to.equal(403);
		});

		it("lets a teacher schedule a visio for a whole class, and students publish only what the teacher allows", async () => {
			const start = hoursFromNow(140);
			const created = await ok(http("POST", "/api/visios", { token: s.teacher.token, body: { classId: s.classId, title: "Revision class", start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString(), studentPublish: { camera: false, microphone: true, screenShare: false } } }), 201);
			expect(created.participantIds).to.have.members([s.teacher.id, s.student.id, s.classmate.id]);
			for (const member of [s.student, s.classmate]) {
				await waitFor(async () => (await notificationsOf(member, "visio.invited")).find((n: any) => n.data.visioId === created.id), "the class invitation");
			}
			const stranger = await http("POST", "/api/visios", { token: other.teacher.token, body: { classId: s.classId, title: "x", start: start.toISOString(), end: new Date(start.getTime() + 3_600_000).toISOString() } });
			expect([403, 404]).to.include(stranger.status);
			await at(new Date(start.getTime() - 60_000), async () => {
				const tok = await ok(http("POST", `/api/visios/${created.id}/token`, { token: s.classmate.token }));
				const claims = await new TokenVerifier(settings().livekitApiKey!, settings().livekitApiSecret!).verify(tok.token);
				expect(claims.video!.canPublishSources).to.deep.equal(["microphone"]);
				expect(tok.grants.roomAdmin).to.equal(false);
				const outsider = await http("POST", `/api/visios/${created.id}/token`, { token: s.outsider.token });
				expect(outsider.status).to.equal(404);
			});
			const cancelled = await ok(http("POST", `/api/visios/${created.id}/cancel`, { token: s.teacher.token }));
			expect(cancelled.status).to.equal("cancelled");
			const after = await http("POST", `/api/visios/${created.id}/token`, { token: s.student.token });
			expect(after.status).to.equal(409);
			expect(after.body.error.type).to.equal("VISIO_CANCELLED");
		});
	});
});
