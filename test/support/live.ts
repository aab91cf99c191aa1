/**
 * Live group session fixtures: a school on a plan with live sessions, a teacher, a class of students, an
 * outsider student of the same school, validated questions of every graded kind and an active path on
 * the class; SDK joins; and `Wire`, which records every message and state a client receives (so a test
 * can scan all of it for answer keys) and waits for one without sleeping.
 */
import { Client, type Room } from "@colyseus/sdk";
import { expect } from "chai";
import { invite, sharedPlatformAdmin, signupSchool, type Account, type SchoolFixture } from "./accounts.js";
import { realtimeEndpoint } from "./chat.js";
import { classOf, validatedItem } from "./learning-content.js";
import { createPath, ITEM_BODIES, type ItemName, type LearningSchool } from "./learning-sessions.js";
import { http } from "./platform.js";

/** The graded kinds a live session asks (flashcards are self-rated, lessons take no answer). */
export const LIVE_ITEMS = ["capital", "sea", "earth", "everest"] as const satisfies readonly ItemName[];

export interface LiveSchool extends SchoolFixture {
	teacher: Account;
	students: Account[];
	outsider: Account;
	classId: string;
	pathId: string;
	stepId: string;
	items: Record<ItemName, any>;
}


export async function setPlan(schoolId: string, plan: string): Promise<void> {
	const root = await sharedPlatformAdmin();
	const res = await http("PATCH", `/api/schools/${schoolId}/subscription`, { token: root.token, body: { plan } });
	expect(res.status, JSON.stringify(res.body)).to.equal(200);
}

export async function liveSchool(opts: { students?: number; plan?: string } = {}): Promise<LiveSchool> {
	const fixture = await signupSchool();
	await setPlan(fixture.school.id, opts.plan ?? "essential");
	const teacher = await invite(fixture.admin, "teacher");
	const students: Account[] = [];
	for (let i = 0; i < (opts.students ?? 5); i++) students.push(await invite(fixture.admin, "student"));
	const outsider = await invite(fixture.admin, "student");
	const cls = await classOf(fixture.admin, teacher, students);
	const items = {} as Record<ItemName, any>;
	for (const name of Object.keys(ITEM_BODIES) as ItemName[]) items[name] = await validatedItem(teacher, { ...ITEM_BODIES[name] });
	const path = await createPath(teacher, {
		classIds: [cls.id],
		activate: true,
		steps: [{ title: "Live quiz", itemIds: [...LIVE_ITEMS, "rome" as const].map(n => items[n].id) }],
	});
	return { ...fixture, teacher, students, outsider, classId: cls.id, pathId: path.id, stepId: path.path.steps[0].id, items };
}

/** The answer-key scanner of the learning tests takes any school whose items are keyed by name. */
export const asLearningSchool = (s: LiveSchool) => s as unknown as LearningSchool;

export async function openLive(s: LiveSchool, body: Record<string, unknown> = {}, by: Account = s.teacher) {
	return http("POST", "/api/live-sessions", { token: by.token, body: { classId: s.classId, pathId: s.pathId, stepId: s.stepId, ...body } });
}

export function sdk(endpoint: string, token: string): Client {
	const client = new Client(endpoint);
	client.auth.token = token;
	return client;
}

export async function joinByCode(account: Account, code: string, endpoint?: string): Promise<Room> {
	return sdk(endpoint ?? (await realtimeEndpoint()), account.token).join("group", { code });
}

export async function joinByRoomId(account: Account, roomId: string, endpoint?: string): Promise<Room> {
	return sdk(endpoint ?? (await realtimeEndpoint()), account.token).joinById(roomId);
}

/** Every message (through the catch-all handler, so nothing escapes it) and every state a room delivers. */
export class Wire {
	readonly messages: { type: string; payload: any; at: number }[] = [];
	readonly states: any[] = [];
	state: any;
	private waiters: { check: () => boolean }[] = [];

	constructor(readonly room: Room) {
		room.onMessage("*", (type: string | number, payload: any) => {
			this.messages.push({ type: String(type), payload, at: Date.now() });
			this.wake();
		});
		room.onStateChange((state: any) => {
			this.state = state.toJSON();
			this.states.push(this.state);
			this.wake();
		});
	}

	of(type: string): any[] {
		return this.messages.filter(m => m.type === type).map(m => m.payload);
	}

	next(type: string, match: (m: any) => boolean = () => true, timeoutMs = 10_000): Promise<any> {
		return this.until(() => this.of(type).find(match), `a "${type}" message`, timeoutMs);
	}

	stateWhere(match: (s: any) => boolean, timeoutMs = 10_000): Promise<any> {
		return this.until(() => (this.state && match(this.state) ? this.state : undefined), "a matching state", timeoutMs);
	}

	until<T>(probe: () => T | undefined, what: string, timeoutMs = 10_000): Promise<T> {
		const found = probe();
		if (found !== undefined) return Promise.resolve(found);
		return new Promise<T>((resolve, reject) => {
			const waiter = {
				check: () => {
					const value = probe();
					if (value === undefined) return false;
					clearTimeout(timer);
					resolve(value);
					return true;
				},
			};
			const timer = setTimeout(() => {
				this.waiters = this.waiters.filter(w => w !== waiter);
				reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.map(m => [m.type, m.payload])).slice(0, 800)}`));
			}, timeoutMs);
			this.waiters.push(waiter);
		});
	}

	/** Everything received so far, as one value (for the answer-key scan). */
	everything(): unknown {
		return { messages: this.messages.map(m => ({ type: m.type, payload: m.payload })), states: this.states };
	}

	private wake() {
		this.waiters = this.waiters.filter(w => !w.check());
	}
}

export const RIGHT_LIVE: Record<(typeof LIVE_ITEMS)[number], unknown> = {
	capital: { text: "Paris" },
	sea: { choiceId: "baltic" },
	earth: { value: false },
	everest: { value: 8850 },
};
export const WRONG_LIVE: Record<(typeof LIVE_ITEMS)[number], unknown> = {
	capital: { text: "Lyon" },
	sea: { choiceId: "alps" },
	earth: { value: true },
	everest: { value: 100 },
};

/** The name of an item by id, to pick the right answer for the question a room pushed. */
export function nameOfItem(s: LiveSchool, id: string): (typeof LIVE_ITEMS)[number] {
	const name = LIVE_ITEMS.find(n => s.items[n].id === id);
	if (!name) throw new Error(`not a live item: ${id}`);
	return name;
}

/** Leaves every room still open; a room already left never settles a second leave(), so the wait is bounded. */
export async function leaveAll(rooms: (Room | undefined)[]): Promise<void> {
	const settle = (p: Promise<unknown>) => Promise.race([p.catch(() => undefined), new Promise(r => setTimeout(r, 1000))]);
	await Promise.all(rooms.filter((r): r is Room => !!r).map(r => settle(r.leave(true))));
}
