/**
 * Fixtures for the paths, revision, evaluation and progress tests: a school with a teacher, students (one of
 * them through a class) and validated items of every answerable kind, all made through HTTP; a probe that
 * listens on a durable channel as a consumer would; the shared learning clock moved by hand; and the answer
 * key scan every student-facing response goes through.
 */
import { expect } from "chai";
import { ManualClock } from "../../services/learning/memory/clock.js";
import { learningClock } from "../../services/learning/learning-clock.js";
import { invite, signupSchool, type Account, type SchoolFixture } from "./accounts.js";
import { classOf, createItem, validatedItem } from "./learning-content.js";
import { bootPlatform, http, unique } from "./platform.js";

export const SUBJECT = "Geography";

export const ITEM_BODIES = {
	capital: { kind: "short_answer", title: "Capital", subject: SUBJECT, prompt: "Capital of France?", accepted: ["Paris"], expectedSeconds: 20, explanation: "Paris since 987" },
	sea: {
		kind: "single_choice",
		title: "Sea",
		subject: SUBJECT,
		prompt: "Which one is a sea?",
		choices: [
			{ id: "baltic", text: "Baltic", correct: true },
			{ id: "alps", text: "Alps", correct: false },
		],
	},
	earth: { kind: "true_false", title: "Earth", subject: SUBJECT, prompt: "The Earth is flat.", answer: false },
	everest: { kind: "numeric", title: "Everest", subject: SUBJECT, prompt: "Height of Everest (m)?", value: 8849, tolerance: 10, unit: "m" },
	rome: { kind: "flashcard", title: "Italy", subject: SUBJECT, front: "Capital of Italy?", back: "Rome-on-the-Tiber" },
} as const;
export type ItemName = keyof typeof ITEM_BODIES;

/** A right answer for each item (what a student who knows would send). */
export const RIGHT: Record<ItemName, unknown> = {
	capital: { text: "paris" },
	sea: { choiceId: "baltic" },
	earth: { value: false },
	everest: { value: 8850 },
	rome: { rating: 3 },
};
export const WRONG: Record<ItemName, unknown> = {
	capital: { text: "Lyon" },
	sea: { choiceId: "alps" },
	earth: { value: true },
	everest: { value: 100 },
	rome: { rating: 1 },
};

export interface LearningSchool extends SchoolFixture {
	teacher: Account;
	/** students[0..1] assigned directly, students[2] through `classId`, students[3] not assigned. */
	students: Account[];
	classId: string;
	items: Record<ItemName, any>;
	draftItemId: string;
}

export async function learningSchool(): Promise<LearningSchool> {
	const fixture = await signupSchool();
	const teacher = await invite(fixture.admin, "teacher");
	const students = [];
	for (let i = 0; i < 4; i++) students.push(await invite(fixture.admin, "student"));
	const cls = await classOf(fixture.admin, teacher, [students[2]]);
	const items = {} as Record<ItemName, any>;
	for (const name of Object.keys(ITEM_BODIES) as ItemName[]) items[name] = await validatedItem(teacher, { ...ITEM_BODIES[name] });
	const draft = await createItem(teacher, { ...ITEM_BODIES.capital, title: "Draft capital" });
	return { ...fixture, teacher, students, classId: cls.id, items, draftItemId: draft.id };
}

export function itemIds(school: LearningSchool, ...names: ItemName[]): string[] {
	return names.map(n => school.items[n].id);
}

/** Creates a path through HTTP (201 expected) and returns `{id, status, students}` plus the stored path. */
export async function createPath(by: Account, body: Record<string, unknown>): Promise<{ id: string; status: string; students: any[]; path: any }> {
	const res = await http("POST", "/api/learning-paths", { token: by.token, body: { name: unique("path "), subject: SUBJECT, ...body } });
	expect(res.status, JSON.stringify(res.body)).to.equal(201);
	const got = await http("GET", `/api/learning-paths/${res.body.id}`, { token: by.token });
	expect(got.status, JSON.stringify(got.body)).to.equal(200);
	return { ...res.body, path: got.body };
}

/** A durable-channel consumer of our own, recording what arrives: how a test sees a message was sent. */
export async function durableProbe(channel: string) {
	const { broker } = await bootPlatform();
	const messages: any[] = [];
	const name = unique("probe");
	const service = broker.createService({
		name,
		channels: {
			[channel]: {
				group: name,
				handler(arg: any) {
					messages.push(arg?.params ?? arg);
				},
			},
		},
	} as any);
	await broker.waitForServices([name]);
	return {
		messages,
		async waitFor(predicate: (m: any) => boolean, timeoutMs = 5000): Promise<any> {
			const deadline = Date.now() + timeoutMs;
			for (;;) {
				const found = messages.find(predicate);
				if (found) return found;
				if (Date.now() > deadline) throw new Error(`no ${channel} message matched (got ${messages.length})`);
				await new Promise(r => setTimeout(r, 20));
			}
		},
		async stop() {
			await broker.destroyService(service);
		},
	};
}

/** The caller's notifications matching `predicate`, waiting for asynchronous delivery. */
export async function waitForNotification(account: Account, predicate: (n: any) => boolean, timeoutMs = 5000): Promise<any> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const res = await http("GET", "/api/notifications?pageSize=100", { token: account.token });
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
		const found = res.body.rows.find(predicate);
		if (found) return found;
		if (Date.now() > deadline) throw new Error("the notification did not arrive");
		await new Promise(r => setTimeout(r, 25));
	}
}

export async function notificationsOf(account: Account): Promise<any[]> {
	const res = await http("GET", "/api/notifications?pageSize=100", { token: account.token });
	expect(res.status).to.equal(200);
	return res.body.rows;
}

/** Moves the shared learning clock by hand from now on; `restore` gives the wall clock back. */
export function manualLearningClock(start = Date.now()): ManualClock & { restore(): void } {
	const clock = new ManualClock(start) as ManualClock & { restore(): void };
	learningClock.use(clock);
	clock.restore = () => learningClock.reset();
	return clock;
}

/** Keys that belong to an answer key, wherever they sit in an item or its feedback. */
const KEY_FIELDS = ["correct", "accepted", "answer", "value", "tolerance", "explanation", "back", "expected", "caseSensitive", "accentSensitive", "scoring"];

/**
 * Fails if `body` (a student-facing response) holds any part of the answer key of an item the student has not
 * answered yet: structurally (an object about that item, or any choice, carrying a key field) and textually
 * (accepted answers, explanations, a card's back, the numeric value appearing anywhere).
 */
export function expectNoAnswerKeys(body: unknown, school: LearningSchool, answered: ReadonlySet<string> = new Set(), where = "response"): void {
	const hidden = new Map<string, string>();
	for (const name of Object.keys(ITEM_BODIES) as ItemName[]) if (!answered.has(school.items[name].id)) hidden.set(school.items[name].id, name);
	const walk = (node: unknown, path: string): void => {
		if (Array.isArray(node)) return node.forEach((n, i) => walk(n, `${path}[${i}]`));
		if (typeof node !== "object" || node === null) return;
		const obj = node as Record<string, unknown>;
		if (typeof obj.id === "string" && hidden.has(obj.id)) {
			for (const field of KEY_FIELDS) expect(obj, `${where}: ${path}.${field} leaks the key of ${hidden.get(obj.id)}`).not.to.have.property(field);
		}
		if (Array.isArray(obj.choices)) {
			for (const c of obj.choices) expect(c, `${where}: ${path}.choices carry correct flags`).not.to.have.property("correct");
		}
		for (const [k, v] of Object.entries(obj)) walk(v, `${path}.${k}`);
	};
	walk(body, "$");
	const json = JSON.stringify(body);
	for (const [id, name] of hidden) {
		const item = school.items[name as ItemName];
		const leaks: string[] = [];
		if (item.kind === "short_answer") leaks.push(...item.accepted, item.explanation ?? "");
		if (item.kind === "flashcard") leaks.push(item.back);
		if (item.kind === "numeric") leaks.push(String(item.value));
		for (const leak of leaks.filter(Boolean)) expect(json, `${where} leaks the key of ${name} (${id})`).not.to.contain(leak);
	}
}

export async function ok(res: Promise<{ status: number; body: any }>, status = 200): Promise<any> {
	const r = await res;
	expect(r.status, JSON.stringify(r.body)).to.equal(status);
	return r.body;
}
