/**
 * `reminders`: scheduled in the database when a visio is booked, fired once by the tick (on one node at a
 * time), moved with the visio, dropped when it is cancelled, and caught up after downtime: the latest due
 * reminder of an event is sent late once while the event is not over; older ones are superseded.
 */
import { expect } from "chai";
import { Reminder } from "../../models/reminder.model.js";
import { bootPlatform, http } from "../support/platform.js";
import { at, bookRendezvous, commSchool, notificationsOf, ok, openAvailability, tick, waitFor, type CommSchool } from "../support/communication.js";

describe("reminders", function () {
	this.timeout(60_000);
	let s: CommSchool;

	before(async () => {
		await bootPlatform();
		s = await commSchool();
		await openAvailability(s.teacher);
	});

	const reminderNotes = async (member: typeof s.student, visioId: string) => (await notificationsOf(member, "reminder.visio")).filter((n: any) => n.data.visioId === visioId);

	it("plans 24 h and 15 min reminders for both sides, fires each once at its time", async () => {
		const booked = await bookRendezvous(s, 30);
		const start = new Date(booked.booked.start);
		const planned = await Reminder.find({ visioId: booked.visioId }).sort({ fireAt: 1 });
		expect(planned.map(r => r.offsetMinutes)).to.have.members([1440, 1440, 15, 15]);
		expect(planned.every(r => r.status === "scheduled")).to.equal(true);

		// 14 minutes before: the 15-minute reminder fires, once, however many ticks run.
		await at(new Date(start.getTime() - 14 * 60_000), async () => {
			await tick();
			await tick();
		});
		for (const member of [s.student, s.teacher]) {
			const notes = await waitFor(async () => {
				const n = await reminderNotes(member, booked.visioId);
				return n.length > 0 && n;
			}, "the reminder");
			expect(notes).to.have.length(1);
			expect(notes[0].data).to.include({ offsetMinutes: 15, minutesUntil: 14 });
		}
		const sent = await Reminder.find({ visioId: booked.visioId, offsetMinutes: 15 });
		expect(sent.map(r => r.status)).to.deep.equal(["sent", "sent"]);
	});

	it("moves with the event and is dropped when the event is cancelled", async () => {
		const booked = await bookRendezvous(s, 50);
		await ok(http("POST", `/api/rendezvous/${booked.id}/propose`, { token: s.teacher.token, body: { slots: [{ start: new Date(Date.now() + 53 * 3_600_000).toISOString(), end: new Date(Date.now() + 53.5 * 3_600_000).toISOString() }] } }));
		const moved = await ok(http("POST", `/api/rendezvous/${booked.id}/accept`, { token: s.student.token, body: { slotIndex: 0 } }));
		const newStart = new Date(moved.booked.start);
		const reminders = await Reminder.find({ visioId: booked.visioId, offsetMinutes: 15 });
		expect(reminders).to.have.length(2);
		for (const r of reminders) {
			expect(r.fireAt.getTime()).to.equal(newStart.getTime() - 15 * 60_000);
			expect(r.eventVersion).to.equal(2);
		}
		// At the old time, the old 15-minute reminder does not fire; only the new time's 24-hour one is due.
		await at(new Date(new Date(booked.booked.start).getTime() - 10 * 60_000), () => tick());
		const notes = await waitFor(async () => {
			const n = await reminderNotes(s.student, booked.visioId);
			return n.length > 0 && n;
		}, "the new 24 h reminder");
		expect(notes.map((n: any) => [n.data.offsetMinutes, n.data.start])).to.deep.equal([[1440, newStart.toISOString()]]);

		await ok(http("POST", `/api/rendezvous/${booked.id}/cancel`, { token: s.teacher.token, body: {} }));
		const after = await Reminder.find({ visioId: booked.visioId });
		expect(after.filter(r => r.status === "scheduled" || r.status === "sending")).to.have.length(0);
		expect(after.filter(r => r.status === "cancelled").length).to.be.greaterThan(0);
		await at(new Date(newStart.getTime() - 10 * 60_000), () => tick());
		await new Promise(r => setTimeout(r, 300));
		expect(await reminderNotes(s.student, booked.visioId)).to.have.length(1);
	});

	it("after downtime sends only the latest overdue reminder, late and once; skips those of an event that is over", async () => {
		const booked = await bookRendezvous(s, 26, 30, s.classmate);
		const start = new Date(booked.booked.start);
		// The platform was down from before the 24 h reminder until 5 minutes before the start.
		await at(new Date(start.getTime() - 5 * 60_000), () => tick());
		const notes = await waitFor(async () => {
			const n = await reminderNotes(s.classmate, booked.visioId);
			return n.length > 0 && n;
		}, "the late reminder");
		await new Promise(r => setTimeout(r, 200));
		expect(await reminderNotes(s.classmate, booked.visioId)).to.have.length(1);
		expect(notes[0].data).to.include({ offsetMinutes: 15, minutesUntil: 5, late: true });
		const day = await Reminder.findOne({ visioId: booked.visioId, userId: s.classmate.id, offsetMinutes: 1440 });
		expect(day?.status).to.equal("skipped");
		expect(day?.skippedReason).to.equal("superseded");

		const past = await bookRendezvous(s, 70, 30, s.classmate);
		await at(new Date(new Date(past.booked.end).getTime() + 60_000), () => tick());
		const over = await Reminder.find({ visioId: past.visioId });
		expect(over.map(r => r.status)).to.satisfy((st: string[]) => st.every(x => x === "skipped"));
		expect(await reminderNotes(s.classmate, past.visioId)).to.have.length(0);
	});

	it("runs the tick on one node at a time (a lease), and from node-cron", async () => {
		const booked = await bookRendezvous(s, 90);
		const start = new Date(booked.booked.start);
		await at(new Date(start.getTime() - 10 * 60_000), async () => {
			const results = await Promise.all([tick(), tick(), tick()]);
			expect(results.filter((r: any) => r.skipped).length).to.be.greaterThan(0);
		});
		await new Promise(r => setTimeout(r, 300));
		expect(await reminderNotes(s.student, booked.visioId)).to.have.length(1);

		const later = await bookRendezvous(s, 95);
		const { broker } = await bootPlatform();
		const svc: any = broker.getLocalService("reminders");
		const laterStart = new Date(later.booked.start);
		await at(new Date(laterStart.getTime() - 10 * 60_000), async () => {
			svc.startTick("* * * * * *");
			try {
				await waitFor(async () => (await reminderNotes(s.teacher, later.visioId)).length === 1, "the cron tick", 10_000);
			} finally {
				await svc.stopTick();
			}
		});
	});

	it("follows a user's own offsets", async () => {
		await ok(http("PATCH", "/api/notification-preferences", { token: s.classmate.token, body: { reminderOffsetsMinutes: [60] } }));
		const booked = await bookRendezvous(s, 110, 30, s.classmate);
		const mine = await Reminder.find({ visioId: booked.visioId, userId: s.classmate.id });
		expect(mine.map(r => r.offsetMinutes)).to.deep.equal([60]);
		const teacher = await Reminder.find({ visioId: booked.visioId, userId: s.teacher.id });
		expect(teacher.map(r => r.offsetMinutes).sort((a, b) => a - b)).to.deep.equal([15, 1440]);
		const list = await ok(http("GET", "/api/reminders", { token: s.classmate.token }));
		expect(list.rows.some((r: any) => r.visioId === booked.visioId && r.offsetMinutes === 60)).to.equal(true);
	});
});
