/**
 * Chat fixtures: a school with a class (a teacher and a student in it), SDK clients on the platform's
 * realtime port, and waiting for room messages without sleeping.
 */
import { Client, type Room } from "@colyseus/sdk";
import { expect } from "chai";
import { invite, signupSchool, type Account, type SchoolFixture } from "./accounts.js";
import { bootPlatform, http, unique } from "./platform.js";

export interface ChatSchool extends SchoolFixture {
	teacher: Account;
	student: Account;
	classId: string;
}

export async function schoolWithClass(): Promise<ChatSchool> {
	const fixture = await signupSchool();
	const teacher = await invite(fixture.admin, "teacher");
	const student = await invite(fixture.admin, "student");
	const res = await http("POST", "/api/classes", {
		token: fixture.admin.token,
		body: { name: unique("Class "), teacherIds: [teacher.id], studentIds: [student.id] },
	});
	expect(res.status, JSON.stringify(res.body)).to.equal(201);
	return { ...fixture, teacher, student, classId: res.body.id };
}

export async function openConversation(from: Account, to: Account): Promise<any> {
	const res = await http("POST", "/api/conversations", { token: from.token, body: { userId: to.id } });
	expect([200, 201], JSON.stringify(res.body)).to.include(res.status);
	return res.body;
}

export async function realtimeEndpoint(): Promise<string> {
	const { broker } = await bootPlatform();
	return `ws://127.0.0.1:${(broker.getLocalService("realtime") as any).port}`;
}

export function sdkClient(endpoint: string, token: string): Client {
	const client = new Client(endpoint);
	client.auth.token = token;
	return client;
}

const CHAT_MESSAGES = ["message", "sent", "read", "typing", "error"];

/** Joins a conversation's room; every chat message type gets a handler, so the SDK does not warn. */
export async function joinChat(account: Account, conversationId: string, endpoint?: string): Promise<Room> {
	const room = await sdkClient(endpoint ?? (await realtimeEndpoint()), account.token).joinOrCreate("chat", { conversationId });
	for (const type of CHAT_MESSAGES) room.onMessage(type, () => undefined);
	return room;
}

export async function joinUserRoom(account: Account, endpoint?: string): Promise<Room> {
	const room = await sdkClient(endpoint ?? (await realtimeEndpoint()), account.token).joinOrCreate("user", { userId: account.id });
	room.onMessage("notification", () => undefined);
	return room;
}

/** Collects every message of a type a room receives, and waits for one matching a predicate. */
export class Inbox<T = any> {
	readonly received: T[] = [];
	private waiters: { match: (m: T) => boolean; resolve: (m: T) => void }[] = [];

	constructor(room: Room, type: string) {
		room.onMessage(type, (message: T) => {
			this.received.push(message);
			for (const waiter of [...this.waiters]) {
				if (waiter.match(message)) {
					this.waiters.splice(this.waiters.indexOf(waiter), 1);
					waiter.resolve(message);
				}
			}
		});
	}

	next(match: (m: T) => boolean = () => true, timeoutMs = 5000, what = "a room message"): Promise<T> {
		const seen = this.received.find(match);
		if (seen) return Promise.resolve(seen);
		return new Promise<T>((resolve, reject) => {
			const timer = setTimeout(() => {
				this.waiters = this.waiters.filter(w => w.resolve !== done);
				reject(new Error(`timed out waiting for ${what}; received ${JSON.stringify(this.received).slice(0, 500)}`));
			}, timeoutMs);
			const done = (m: T) => {
				clearTimeout(timer);
				resolve(m);
			};
			this.waiters.push({ match, resolve: done });
		});
	}
}

/** Rejection of a join, as an Error (the SDK rejects with its own error shapes). */
export async function joinFails(join: Promise<Room>): Promise<Error & { code?: number }> {
	const outcome = await join.then(
		room => room,
		err => err as Error,
	);
	if (!(outcome instanceof Error)) {
		await (outcome as Room).leave();
		throw new Error("the join was expected to fail but succeeded");
	}
	return outcome;
}

export async function leaveAll(rooms: (Room | undefined)[]): Promise<void> {
	await Promise.all(rooms.filter((r): r is Room => !!r).map(r => r.leave(true).catch(() => undefined)));
}

/** Polls until `probe` returns a value (not undefined), or fails with `what`. */
export async function eventually<T>(probe: () => Promise<T | undefined>, what: string, timeoutMs = 5000): Promise<T> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const value = await probe();
		if (value !== undefined) return value;
		if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
		await new Promise(r => setTimeout(r, 25));
	}
}
