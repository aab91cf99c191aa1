/**
 * Fixtures of the communication tests: a school with a teacher, two students of the teacher's class and a
 * student of no class; the teacher's availability; helpers to book and to sign LiveKit webhooks as the
 * LiveKit server does (an AccessToken carrying the body's SHA-256).
 */
import { createHash } from "node:crypto";
import { expect } from "chai";
import { AccessToken } from "livekit-server-sdk";
import { invite, signupSchool, type Account, type SchoolFixture } from "./accounts.js";
import { bootPlatform, http, settings, systemMeta } from "./platform.js";
import { commClock } from "../../services/communication/comm-clock.js";

export interface CommSchool extends SchoolFixture {
	teacher: Account;
	student: Account;
	classmate: Account;
	outsider: Account;
	classId: string;
}

export async function ok(res: Promise<{ status: number; body: any }>, status = 200): Promise<any> {
	const r = await res;
	expect(r.status, JSON.stringify(r.body)).to.equal(status);
	return r.body;
}

export async function commSchool(timezone = "Europe/Paris"): Promise<CommSchool> {
	const fx = await signupSchool({ timezone });
	const [teacher, student, classmate, outsider] = await Promise.all([invite(fx.admin, "teacher"), invite(fx.admin, "student"), invite(fx.admin, "student"), invite(fx.admin, "student")]);
	const cls = await ok(http("POST", "/api/classes", { token: fx.admin.token, body: { name: `Class ${Date.now()}${Math.random()}`, teacherIds: [teacher.id], studentIds: [student.id, classmate.id] } }), 201);
	return { ...fx, teacher, student, classmate, outsider, classId: cls.id };
}

/** Every day, all day (00:00-24:00 in the teacher's zone): any slot fits. */
export async function openAvailability(teacher: Account, timezone?: string): Promise<void> {
	const weekly = [1, 2, 3, 4, 5, 6, 7].map(weekday => ({ weekday, start: "00:00", end: "24:00" }));
	await ok(http("PUT", "/api/availability", { token: teacher.token, body: { weekly, ...(timezone ? { timezone } : {}) } }));
}

export const hoursFromNow = (h: number) => new Date(Date.now() + h * 3_600_000);
export const slot = (startHours: number, minutes = 30) => ({ start: hoursFromNow(startHours).toISOString(), end: new Date(hoursFromNow(startHours).getTime() + minutes * 60_000).toISOString() });

/** A student proposes, the teacher accepts the first slot: the booked rendez-vous. */
export async function bookRendezvous(school: CommSchool, startHours: number, minutes = 30, student = school.student): Promise<any> {
	const rv = await ok(http("POST", "/api/rendezvous", { token: student.token, body: { teacherId: school.teacher.id, slots: [slot(startHours, minutes)], topic: "Fractions" } }), 201);
	return ok(http("POST", `/api/rendezvous/${rv.id}/accept`, { token: school.teacher.token, body: { slotIndex: 0 } }));
}

/** A LiveKit webhook signed with the server's key and secret, as livekit-server sends it. */
export async function signedWebhook(event: Record<string, unknown>, secret = settings().livekitApiSecret!): Promise<{ body: string; authorization: string }> {
	const body = JSON.stringify(event);
	const token = new AccessToken(settings().livekitApiKey!, secret, { ttl: 600 });
	token.sha256 = createHash("sha256").update(body).digest("base64");
	return { body, authorization: await token.toJwt() };
}

export async function postWebhook(hook: { body: string; authorization: string }): Promise<{ status: number; body: any }> {
	const { baseUrl } = await bootPlatform();
	const res = await fetch(`${baseUrl}/api/visio/webhooks/livekit`, { method: "POST", headers: { "content-type": "application/webhook+json", authorization: hook.authorization }, body: hook.body });
	const text = await res.text();
	return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export async function tick(): Promise<any> {
	const { broker } = await bootPlatform();
	return broker.call("reminders.tick", {}, { meta: systemMeta() });
}

/** Runs `fn` with the communication clock moved to `at`. */
export async function at<T>(time: Date, fn: () => Promise<T>): Promise<T> {
	commClock.use({ now: () => new Date(time) });
	try {
		return await fn();
	} finally {
		commClock.reset();
	}
}

export async function waitFor<T>(probe: () => Promise<T | undefined | null | false>, what: string, timeoutMs = 8000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(r => setTimeout(r, 50));
	}
}

export async function notificationsOf(member: Account, type: string): Promise<any[]> {
	const page = await ok(http("GET", "/api/notifications?pageSize=100", { token: member.token }));
	return page.rows.filter((n: any) => n.type === type);
}
