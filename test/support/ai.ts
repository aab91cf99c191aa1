/**
 * Fixtures for the AI block's tests: a school on a plan with the `ai` module, a teacher, students, a path,
 * sources ingested through HTTP (waiting for the durable job), an agent; the real embedding model from
 * `npm run models:install` (tests that need it skip, naming MODELS_DIR, when it is not installed).
 */
import { expect } from "chai";
import type { Context } from "mocha";
import { overrideSettings, settings } from "../../config/env.js";
import { modelInstalled } from "../../services/ai/embedding/embedder.js";
import { parseSse } from "../../services/ai/tutor/sse.js";
import { invite, sharedPlatformAdmin, signupSchool, type Account, type SchoolFixture } from "./accounts.js";
import { classOf, validatedItem } from "./learning-content.js";
import { bootPlatform, http, unique } from "./platform.js";
import { createStaff } from "./two-schools.js";

/**
 * Test files ask many questions in a few seconds: the per-student pace limit is raised for them, and put
 * back by the returned function (its own test sets it low on purpose).
 */
export function generousPace(): () => void {
	const saved = settings().askPerMinute;
	overrideSettings({ askPerMinute: 1000 });
	return () => void overrideSettings({ askPerMinute: saved });
}

export function requireModel(ctx: Context): void {
	const cfg = settings();
	if (!modelInstalled({ modelsDir: cfg.modelsDir, modelId: cfg.embeddingModel })) {
		ctx.skip(); // MODELS_DIR: no embedding model installed there (npm run models:install)
	}
}


export async function givePlan(schoolId: string, plan = "campus"): Promise<void> {
	const root = await sharedPlatformAdmin();
	const res = await http("PATCH", `/api/schools/${schoolId}/subscription`, { token: root.token, body: { plan } });
	expect(res.status, JSON.stringify(res.body)).to.equal(200);
}

export interface AiSchool extends SchoolFixture {
	teacher: Account;
	students: Account[];
	classId: string;
}

export async function aiSchool(opts: { plan?: string; students?: number } = {}): Promise<AiSchool> {
	await bootPlatform();
	const fixture = await signupSchool();
	await givePlan(fixture.school.id, opts.plan ?? "campus");
	const teacher = await invite(fixture.admin, "teacher");
	const students: Account[] = [];
	for (let i = 0; i < (opts.students ?? 2); i++) students.push(await invite(fixture.admin, "student"));
	const cls = await classOf(fixture.admin, teacher, students.slice(0, 1));
	return { ...fixture, teacher, students, classId: cls.id };
}

export async function uploadSource(by: Account, body: Record<string, unknown>): Promise<any> {
	const res = await http("POST", "/api/ai/sources", { token: by.token, body: { title: unique("Source "), format: "markdown", ...body } });
	expect(res.status, JSON.stringify(res.body)).to.equal(202);
	return res.body;
}

/** Polls the source until its ingestion ends (ready or failed). */
export async function waitForSource(by: Account, id: string, status: "ready" | "failed" = "ready", timeoutMs = 60_000): Promise<any> {
	const deadline = Date.now() + timeoutMs;
	for (;;) {
		const res = await http("GET", `/api/ai/sources/${id}`, { token: by.token });
		expect(res.status, JSON.stringify(res.body)).to.equal(200);
		if (res.body.status !== "ingesting" && (status !== "ready" || res.body.readyVersion === res.body.version)) {
			expect(res.body.status, JSON.stringify(res.body)).to.equal(status);
			return res.body;
		}
		if (Date.now() > deadline) throw new Error(`source ${id} still ${res.body.status} after ${timeoutMs} ms`);
		await new Promise(r => setTimeout(r, 50));
	}
}

export async function readySource(by: Account, body: Record<string, unknown>): Promise<any> {
	const created = await uploadSource(by, body);
	return waitForSource(by, created.id);
}

export async function createAgent(by: Account, body: Record<string, unknown> = {}): Promise<any> {
	const res = await http("POST", "/api/ai/agents", {
		token: by.token,
		body: { name: unique("Tutor "), subject: "Biology", level: "lycée", language: "fr", pedagogy: "full_explanation", ...body },
	});
	expect(res.status, JSON.stringify(res.body)).to.equal(201);
	return res.body;
}

/** An active path of `teacher` with one revision step over `items`, assigned to `students`. */
export async function activePath(teacher: Account, students: Account[], items: any[], extra: Record<string, unknown> = {}): Promise<any> {
	const res = await http("POST", "/api/learning-paths", {
		token: teacher.token,
		body: {
			name: unique("Path "),
			subject: "Biology",
			studentIds: students.map(s => s.id),
			steps: [{ title: "Cells", itemIds: items.map(i => i.id), completion: { type: "all_reviewed" } }],
			activate: true,
			...extra,
		},
	});
	expect(res.status, JSON.stringify(res.body)).to.equal(201);
	const got = await http("GET", `/api/learning-paths/${res.body.id}`, { token: teacher.token });
	return got.body;
}

export const questionItem = (teacher: Account, body: Record<string, unknown>) => validatedItem(teacher, { subject: "Biology", ...body });

/** POST /api/ai/tutor/ask with stream: true, read to the end: the events and the `done` payload. */
export async function askStreaming(by: Account, body: Record<string, unknown>): Promise<{ status: number; contentType: string | null; events: { event: string; data: any }[]; done: any; text: string; raw: string }> {
	const { baseUrl } = await bootPlatform();
	const res = await fetch(`${baseUrl}/api/ai/tutor/ask`, {
		method: "POST",
		headers: { authorization: `Bearer ${by.token}`, "content-type": "application/json" },
		body: JSON.stringify({ ...body, stream: true }),
	});
	const raw = await res.text();
	if (!res.headers.get("content-type")?.startsWith("text/event-stream")) {
		return { status: res.status, contentType: res.headers.get("content-type"), events: [], done: JSON.parse(raw || "null"), text: "", raw };
	}
	const events = parseSse(raw);
	return {
		status: res.status,
		contentType: res.headers.get("content-type"),
		events,
		done: events.find(e => e.event === "done")?.data,
		text: events.filter(e => e.event === "delta").map(e => e.data.text).join(""),
		raw,
	};
}

export const BIOLOGY_MD = `# Cell biology

## Mitochondria

The mitochondrion is the organelle that produces most of the cell's energy as ATP, through cellular respiration. It has its own DNA, inherited from the mother.

## Photosynthesis

Photosynthesis happens in the chloroplasts of plant cells. Light energy turns carbon dioxide and water into glucose and oxygen. Chlorophyll is the green pigment that absorbs the light.

## Cell membrane

The cell membrane is a phospholipid bilayer. It lets some molecules through and keeps others out: it is selectively permeable.
`;

export const FRENCH_MD = `# La Révolution française

## Les causes

En 1789, la crise financière du royaume pousse Louis XVI à convoquer les États généraux. Les impôts pèsent surtout sur le tiers état.

## La prise de la Bastille

Le 14 juillet 1789, le peuple de Paris prend la Bastille, une forteresse qui symbolise l'arbitraire royal.
`;
