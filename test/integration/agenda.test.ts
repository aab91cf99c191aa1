/** `agenda`: one agenda per user in their time zone, and the private iCalendar feed (secret URL, revocable). */
import { expect } from "chai";
import { bootPlatform, http } from "../support/platform.js";
import { bookRendezvous, commSchool, ok, openAvailability, type CommSchool } from "../support/communication.js";

describe("agenda", function () {
	this.timeout(60_000);
	let s: CommSchool;
	let booked: any;

	before(async () => {
		await bootPlatform();
		s = await commSchool("America/New_York");
		await openAvailability(s.teacher);
		booked = await bookRendezvous(s, 30);
	});

	it("lists visios and, for teachers, availability, with local times in the user's zone", async () => {
		const from = new Date().toISOString();
		const to = new Date(Date.now() + 3 * 86_400_000).toISOString();
		const student = await ok(http("GET", `/api/agenda?from=${from}&to=${to}`, { token: s.student.token }));
		expect(student.timezone).to.equal("America/New_York");
		const visio = student.entries.find((e: any) => e.kind === "visio" && e.id === booked.visioId);
		expect(visio).to.include({ title: "Fractions", status: "scheduled", start: new Date(booked.booked.start).toISOString() });
		expect(visio.startLocal).to.match(/-0[45]:00$/);
		expect(student.entries.some((e: any) => e.kind === "availability")).to.equal(false);
		const teacher = await ok(http("GET", `/api/agenda?from=${from}&to=${to}&tz=Europe/Paris`, { token: s.teacher.token }));
		expect(teacher.timezone).to.equal("Europe/Paris");
		expect(teacher.entries.some((e: any) => e.kind === "visio" && e.id === booked.visioId)).to.equal(true);
		expect(teacher.entries.some((e: any) => e.kind === "availability")).to.equal(true);
		// Local dates are days in the user's zone.
		const day = await ok(http("GET", "/api/agenda?from=2030-01-01&to=2030-01-02", { token: s.student.token }));
		expect(day.from).to.equal("2030-01-01T00:00:00.000-05:00");
		const other = await ok(http("GET", `/api/agenda?from=${from}&to=${to}`, { token: s.classmate.token }));
		expect(other.entries.some((e: any) => e.id === booked.visioId)).to.equal(false);
	});

	it("serves a private iCalendar feed at a secret URL, revocable and rotatable", async () => {
		const { baseUrl } = await bootPlatform();
		const created = await ok(http("POST", "/api/agenda/feed", { token: s.student.token }), 201);
		expect(created.url).to.match(/\/api\/agenda\/feed\/[A-Za-z0-9_-]{43}\.ics$/);
		const path = new URL(created.url).pathname;
		const res = await fetch(`${baseUrl}${path}`);
		expect(res.status).to.equal(200);
		expect(res.headers.get("content-type")).to.include("text/calendar");
		const ics = await res.text();
		expect(ics).to.include("BEGIN:VCALENDAR").and.include("BEGIN:VEVENT").and.include("SUMMARY:Fractions");
		expect(ics).to.include(`visio-${booked.visioId}@learning-platform`);
		expect((await ok(http("GET", "/api/agenda/feed", { token: s.student.token }))).active).to.equal(true);

		const rotated = await ok(http("POST", "/api/agenda/feed", { token: s.student.token }), 201);
		expect((await fetch(`${baseUrl}${path}`)).status).to.equal(404);
		await ok(http("DELETE", "/api/agenda/feed", { token: s.student.token }));
		expect((await fetch(`${baseUrl}${new URL(rotated.url).pathname}`)).status).to.equal(404);
		expect((await ok(http("GET", "/api/agenda/feed", { token: s.student.token }))).active).to.equal(false);
	});
});
