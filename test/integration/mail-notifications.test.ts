/**
 * `mail delivery`: notifications become mail per kind, in the reader's language, with a plain-text part,
 * the school's name and a working unsubscribe link; per-user channel × category preferences; daily digest.
 */
import { expect } from "chai";
import { renderNotificationMail, type MailContext } from "../../services/communication/mail-templates.js";
import { http, unique } from "../support/platform.js";
import { mailsTo, waitForMails } from "../support/mailpit.js";
import { at, bookRendezvous, commSchool, ok, openAvailability, tick, type CommSchool } from "../support/communication.js";
import { bootPlatform, systemMeta } from "../support/platform.js";
import { publishDurable } from "../../services/shared/durable.js";

describe("mail delivery", function () {
	this.timeout(60_000);
	let s: CommSchool;

	before(async () => {
		s = await commSchool("Europe/Paris");
		await openAvailability(s.teacher);
		await ok(http("PATCH", "/api/me", { token: s.teacher.token, body: { locale: "en" } }));
		await ok(http("PATCH", "/api/me", { token: s.student.token, body: { locale: "fr" } }));
	});

	it("mails a rendez-vous proposal to the teacher in English and its acceptance to the student in French, with text, school name and unsubscribe link", async () => {
		const booked = await bookRendezvous(s, 30);
		const [toTeacher] = await waitForMails(s.teacher.email!, 1, "rendezvous.proposed");
		expect(toTeacher.subject).to.include(s.school.name).and.include("proposes a rendez-vous");
		expect(toTeacher.text).to.include("Proposed slots:").and.include(s.school.name);
		expect(toTeacher.html).to.include("<html").and.include("Proposed slots:");
		expect(toTeacher.listUnsubscribe).to.match(/\/api\/mail\/unsubscribe\?token=/);
		const [toStudent] = await waitForMails(s.student.email!, 1, "rendezvous.accepted");
		expect(toStudent.subject).to.include("Rendez-vous confirmé");
		expect(toStudent.text).to.include("Bonjour").and.include("Ne plus recevoir ces e-mails");
		// The time is written in the reader's zone (Paris), not UTC.
		const local = new Date(booked.booked.start).toLocaleTimeString("fr-FR", { timeZone: "Europe/Paris", hour: "2-digit", minute: "2-digit" });
		expect(toStudent.text).to.include(local);
	});

	it("escapes everything people typed in the HTML part", () => {
		const ctx: MailContext = { locale: "en", timezone: "UTC", schoolName: "<b>School</b>", firstName: "<img src=x onerror=alert(1)>", publicUrl: "http://localhost:8080", category: "chat", unsubscribeUrl: "http://localhost:8080/u?t=1" };
		const mail = renderNotificationMail(ctx, { type: "chat.message", title: "New message", body: "<script>alert(1)</script>", data: { conversationId: "abc", senderName: "Eve \"<i>\"" } });
		expect(mail.html).to.not.include("<script>").and.not.include("<img").and.not.include("<b>School");
		expect(mail.html).to.include("&lt;script&gt;");
		expect(mail.text).to.include("<script>alert(1)</script>");
		expect(mail.subject).to.not.match(/[\r\n]/);
	});

	it("unsubscribes a category from the link without logging in (GET asks, POST does), and then sends none of it", async () => {
		const fresh = await commSchool();
		await openAvailability(fresh.teacher);
		await bookRendezvous(fresh, 30);
		const [mail] = await waitForMails(fresh.teacher.email!, 1, "rendezvous.proposed");
		const url = new URL(mail.listUnsubscribe!);
		const { baseUrl } = await bootPlatform();
		const pageRes = await fetch(`${baseUrl}${url.pathname}${url.search}`);
		expect(pageRes.status).to.equal(200);
		expect(pageRes.headers.get("content-type")).to.include("text/html");
		expect(await pageRes.text()).to.include("<form");
		// Still subscribed after the GET (a mail scanner opening the link changes nothing).
		const before = await ok(http("GET", "/api/notification-preferences", { token: fresh.teacher.token }));
		expect(before.channels.rendezvous.email).to.equal("instant");
		const done = await fetch(`${baseUrl}${url.pathname}${url.search}`, { method: "POST", headers: { "content-type": "application/x-www-form-urlencoded" }, body: "List-Unsubscribe=One-Click" });
		expect(done.status).to.equal(200);
		expect(await done.json()).to.include({ unsubscribed: true, category: "rendezvous" });
		const after = await ok(http("GET", "/api/notification-preferences", { token: fresh.teacher.token }));
		expect(after.channels.rendezvous.email).to.equal("off");
		expect(after.channels.reminders.email).to.equal("instant");

		await ok(http("POST", "/api/rendezvous", { token: fresh.classmate.token, body: { teacherId: fresh.teacher.id, slots: [{ start: new Date(Date.now() + 40 * 3_600_000).toISOString(), end: new Date(Date.now() + 40.5 * 3_600_000).toISOString() }] } }), 201);
		await new Promise(r => setTimeout(r, 800));
		expect(await mailsTo(fresh.teacher.email!, "rendezvous.proposed")).to.have.length(1);

		const forged = await http("POST", `/api/mail/unsubscribe?token=${"x".repeat(30)}`);
		expect(forged.status).to.equal(404);
	});

	it("follows channel × category preferences and refuses nonsense", async () => {
		const bad = await http("PATCH", "/api/notification-preferences", { token: s.classmate.token, body: { channels: { reminders: { email: "daily" } } } });
		expect(bad.status).to.equal(422);
		const badZone = await http("PATCH", "/api/notification-preferences", { token: s.classmate.token, body: { timezone: "Mars/Olympus" } });
		expect(badZone.status).to.equal(422);
		const prefs = await ok(http("PATCH", "/api/notification-preferences", { token: s.classmate.token, body: { channels: { rendezvous: { email: "off", inApp: false } } } }));
		expect(prefs.channels.rendezvous).to.deep.equal({ inApp: false, email: "off", push: true });
		await bookRendezvous(s, 44, 30, s.classmate);
		await new Promise(r => setTimeout(r, 800));
		expect(await mailsTo(s.classmate.email!, "rendezvous.accepted")).to.have.length(0);
		const notes = await ok(http("GET", "/api/notifications?pageSize=100", { token: s.classmate.token }));
		expect(notes.rows.filter((n: any) => n.type === "rendezvous.accepted")).to.have.length(0);
	});

	it("collects a category in one daily digest at the user's hour, once per day", async () => {
		const d = await commSchool("Europe/Paris");
		await ok(http("PATCH", "/api/notification-preferences", { token: d.admin.token, body: { channels: { safeguarding: { email: "daily" } }, digestHour: 8 } }));
		const { broker } = await bootPlatform();
		for (let i = 0; i < 2; i++) {
			await publishDurable(broker, "notifications.requested", { id: unique("report"), schoolId: d.school.id, userIds: [d.admin.id], type: "chat.report", title: "A message was reported", body: `report ${i}` });
		}
		await new Promise(r => setTimeout(r, 800));
		expect(await mailsTo(d.admin.email!, "chat.report")).to.have.length(0);
		// 06:00 in Paris: too early; 09:00: the digest leaves, once.
		const day = new Date();
		const parisAt = (h: number) => new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate() + 1, h - 1, 0));
		await at(parisAt(6), () => tick());
		expect(await mailsTo(d.admin.email!, "digest")).to.have.length(0);
		await at(parisAt(9), () => tick());
		await at(parisAt(10), () => tick());
		const [digest] = await waitForMails(d.admin.email!, 1, "digest");
		expect(digest.subject).to.include("(2)");
		expect(digest.text).to.include("Un message a été signalé");
		await new Promise(r => setTimeout(r, 300));
		expect(await mailsTo(d.admin.email!, "digest")).to.have.length(1);
		void systemMeta;
	});
});
