/**
 * Fixtures for the content, scheduling and memory tests: items made through HTTP, and the principal
 * other services (and jobs) use to call the internal learning actions for one school.
 */
import { expect } from "chai";
import { fsrs, generatorParameters, type FSRS, type StepUnit } from "ts-fsrs";
import type { Account } from "./accounts.js";
import { bootPlatform, http, unique } from "./platform.js";

/** The system principal acting inside one school, as a job or a service on a student's behalf would. */
export function schoolSystemMeta(schoolId: string) {
	return { user: { id: "system", schoolId, roles: ["system"] } };
}

/** Calls an internal action as the system principal of `schoolId`. */
export async function callInSchool<T = any>(schoolId: string, action: string, params: Record<string, unknown>): Promise<T> {
	const { broker } = await bootPlatform();
	return broker.call(action, params, { meta: schoolSystemMeta(schoolId) as any }) as Promise<T>;
}

export function flashcardBody(extra: Record<string, unknown> = {}) {
	return { kind: "flashcard", title: unique("card "), subject: "Geography", front: "Capital of Italy?", back: "Rome", ...extra };
}

export async function createItem(by: Account, body: Record<string, unknown> = flashcardBody()): Promise<any> {
	const res = await http("POST", "/api/content-items", { token: by.token, body });
	expect(res.status, JSON.stringify(res.body)).to.equal(201);
	return res.body;
}

export async function validatedItem(by: Account, body: Record<string, unknown> = flashcardBody()): Promise<any> {
	const item = await createItem(by, body);
	const res = await http("POST", `/api/content-items/${item.id}/status`, { token: by.token, body: { status: "validated" } });
	expect(res.status, JSON.stringify(res.body)).to.equal(200);
	return res.body;
}

/** A class taught by `teacher` and attended by `students`: what makes them the teacher's students. */
export async function classOf(admin: Account, teacher: Account, students: Account[]): Promise<any> {
	const res = await http("POST", "/api/classes", {
		token: admin.token,
		body: { name: unique("class "), teacherIds: [teacher.id], studentIds: students.map(s => s.id) },
	});
	expect(res.status, JSON.stringify(res.body)).to.equal(201);
	return res.body;
}


/** A student layer for the agreement tests, and plain ts-fsrs configured exactly like it (the reference). */
export const AGREEMENT_VALUES = { desiredRetention: 0.85, maximumIntervalDays: 200, learningSteps: ["5m"], relearningSteps: ["10m"] };

export function agreementReference(): FSRS {
	return fsrs(
		generatorParameters({
			request_retention: AGREEMENT_VALUES.desiredRetention,
			maximum_interval: AGREEMENT_VALUES.maximumIntervalDays,
			enable_fuzz: false,
			enable_short_term: true,
			learning_steps: AGREEMENT_VALUES.learningSteps as StepUnit[],
			relearning_steps: AGREEMENT_VALUES.relearningSteps as StepUnit[],
		}),
	);
}
