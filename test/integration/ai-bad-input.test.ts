/**
 * `ai bad input`: every AI write route (claimed from the central suite in test/support/route-claims/ai.ts)
 * gets, one change at a time from a valid request: each field of the wrong type, each required field left
 * out, malformed and unknown ids, Mongo operators, prototype keys, huge texts, bodies that are not objects.
 * Every answer is a 4xx with the standard error body (a 422 names the altered field), and nothing of the
 * school changes.
 */
import { expect } from "chai";
import { aiSchool, BIOLOGY_MD, createAgent, activePath, questionItem, readySource, requireModel, type AiSchool, generousPace } from "../support/ai.js";
import { describeChanges, diff, schoolFilter, settledSnapshot } from "../support/db-snapshot.js";
import { http, unique } from "../support/platform.js";
import { badInput } from "../support/route-claims/ai.js";
import { clientParams, declaredRoutes, fillPath, isOptionalRule, type Route } from "../support/routes.js";
import { withSettings } from "../support/settings-override.js";

interface Probe {
	name: string;
	path: string;
	body?: unknown;
	raw?: string;
	statuses: number[];
	field?: string;
}

const ROUTES = (await declaredRoutes()).filter(r => badInput.includes(r.key));

function wrongValue(rule: any): unknown {
	switch (typeof rule === "string" ? rule : rule?.type) {
		case "number":
			return "not-a-number";
		case "boolean":
			return "not-a-boolean";
		case "array":
			return { not: "an array" };
		case "object":
			return "not-an-object";
		default:
			return 12345;
	}
}

describe("ai bad input", function () {
	this.timeout(180_000);
	let s: AiSchool;
	let w: Record<string, string>;
	let bases: Record<string, { path: Record<string, string>; body: Record<string, unknown> }>;

	let restorePace: () => void = () => undefined;
	after(() => restorePace());

	before(async function () {
		requireModel(this);
		restorePace = generousPace();
		s = await aiSchool({ students: 1 });
		const item = await questionItem(s.teacher, { kind: "flashcard", title: "Cell", front: "What makes ATP?", back: "Mitochondrion" });
		const path = await activePath(s.teacher, s.students, [item]);
		const source = await readySource(s.teacher, { format: "markdown", text: BIOLOGY_MD, pathIds: [path.id] });
		const agent = await createAgent(s.teacher, { pathIds: [path.id] });
		const generated = await withSettings({ openaiBaseUrl: undefined, openaiApiKey: undefined }, () =>
			http("POST", "/api/ai/generate/items", { token: s.teacher.token, body: { sourceIds: [source.id], subject: "Biology", kinds: ["flashcard"], count: 1 } }),
		);
		expect(generated.status, JSON.stringify(generated.body)).to.equal(201);
		w = { path: path.id, step: path.steps[0].id, source: source.id, agent: agent.id, generated: generated.body.id, genItem: generated.body.contentItems[0].id };
		bases = {
			"POST /api/ai/agents": { path: {}, body: { name: "Tutor", subject: "Biology", level: "seconde", language: "fr", pedagogy: "hints_only", disabledDuringEvaluations: true, extraInstructions: "Be kind.", goals: ["g"], pathIds: [w.path], sourceIds: [w.source], enabled: true } },
			"PATCH /api/ai/agents/{id}": { path: { id: w.agent }, body: { name: "Renamed", pedagogy: "socratic", goals: ["g2"], enabled: false } },
			"DELETE /api/ai/agents/{id}": { path: { id: w.agent }, body: {} },
			"POST /api/ai/sources": { path: {}, body: { title: "Doc", format: "markdown", text: "# T\n\nText.", pathIds: [w.path] } },
			"PATCH /api/ai/sources/{id}": { path: { id: w.source }, body: { title: "Renamed", pathIds: [w.path] } },
			"PUT /api/ai/sources/{id}/content": { path: { id: w.source }, body: { format: "markdown", text: "# New\n\nOther text." } },
			"POST /api/ai/sources/{id}/reingest": { path: { id: w.source }, body: {} },
			"DELETE /api/ai/sources/{id}": { path: { id: w.source }, body: {} },
			"POST /api/ai/search": { path: {}, body: { pathId: w.path, query: "What makes ATP?", k: 3 } },
			"POST /api/ai/tutor/ask": { path: {}, body: { pathId: w.path, stepId: w.step, question: "What makes ATP?", stream: false } },
			"POST /api/ai/generate/items": { path: {}, body: { sourceIds: [w.source], subject: "Biology", kinds: ["flashcard"], count: 2, topic: "ATP", level: "seconde" } },
			"POST /api/ai/generate/path": { path: {}, body: { subject: "Biology", level: "seconde", objectives: ["ATP"], sourceIds: [w.source], name: "P", stepCount: 2, itemsPerStep: 1 } },
			"POST /api/ai/generated/{id}/items/{itemId}/reject": { path: { id: w.generated, itemId: w.genItem }, body: {} },
		};
	});

	it("has a valid base request for every claimed write route", () => {
		expect(ROUTES.map(r => r.key).sort()).to.deep.equal([...badInput].sort());
		expect(Object.keys(bases).sort()).to.deep.equal([...badInput].sort());
	});

	const tokenFor = (route: Route) => (route.principals.includes("teacher") ? s.teacher.token : s.students[0].token);

	for (const key of badInput) {
		it(`${key}: wrong types, missing fields, bad ids, operators and odd bodies are refused (4xx), nothing stored`, async () => {
			const route = ROUTES.find(r => r.key === key)!;
			const base = bases[key];
			const path = fillPath(route.path, base.path);
			const probes: Probe[] = [];
			for (const [name, rule] of clientParams(route)) {
				probes.push({ name: `wrong type: ${name}`, path, body: { ...base.body, [name]: wrongValue(rule) }, statuses: [422], field: name });
				probes.push({ name: `operator: ${name}`, path, body: { ...base.body, [name]: { $ne: null } }, statuses: [400, 422] });
				if (!isOptionalRule(rule)) {
					const { [name]: _gone, ...rest } = base.body;
					probes.push({ name: `missing: ${name}`, path, body: rest, statuses: [422], field: name });
				}
				if ((rule as any)?.type === "string") probes.push({ name: `huge: ${name}`, path, body: { ...base.body, [name]: "x".repeat(900_000) }, statuses: [413, 422] });
			}
			for (const param of route.pathParams) {
				probes.push({ name: `malformed id: ${param}`, path: fillPath(route.path, { ...base.path, [param]: "not-an-id" }), body: base.body, statuses: [404, 422] });
				probes.push({ name: `unknown id: ${param}`, path: fillPath(route.path, { ...base.path, [param]: "000000000000000000000000" }), body: base.body, statuses: [404] });
			}
			if (clientParams(route).length > 0) {
				probes.push({ name: "array body", path, body: [base.body], statuses: [400, 422] });
				probes.push({ name: "string body", path, raw: JSON.stringify("text"), statuses: [400, 422] });
				probes.push({ name: "__proto__", path, raw: JSON.stringify(base.body).replace(/^\{/, '{"__proto__":{"schoolId":"x"},'), statuses: [400, 422] });
			}
			const memberIds = [s.admin.id, s.teacher.id, ...s.students.map(x => x.id)];
			const before = await settledSnapshot(schoolFilter(s.school.id, memberIds));
			const problems: string[] = [];
			for (const probe of probes) {
				const res = await http(route.method, probe.path, { token: tokenFor(route), ...(probe.raw !== undefined ? { raw: probe.raw } : { body: probe.body }) });
				const text = JSON.stringify(res.body ?? null);
				if (!probe.statuses.includes(res.status)) problems.push(`${probe.name}: ${res.status} ${text.slice(0, 200)}`);
				else if (!res.body?.error?.type || typeof res.body.error.message !== "string") problems.push(`${probe.name}: not the standard error body ${text.slice(0, 200)}`);
				else if (/node_modules|\.ts:\d+|\n\s+at /.test(text)) problems.push(`${probe.name}: stack trace`);
				else if (probe.field && res.status === 422 && res.body.error.type === "VALIDATION_ERROR") {
					const named = (res.body.error.data ?? []).map((d: any) => String(d.field));
					if (!named.every((f: string) => f === probe.field || f.startsWith(`${probe.field}.`) || f.startsWith(`${probe.field}[`))) problems.push(`${probe.name}: names ${named.join(", ")}`);
				}
			}
			const after = await settledSnapshot(schoolFilter(s.school.id, memberIds));
			expect([...problems, ...describeChanges(diff(before, after)).map(c => `stored: ${c}`)]).to.deep.equal([]);
		});
	}

	it("semantic refusals: a PDF that is not one, text for a PDF, links to unknown paths, a question without a path", async () => {
		const probes: [string, string, unknown, number][] = [
			["POST", "/api/ai/sources", { title: "x", format: "pdf", base64: Buffer.from("not a pdf at all").toString("base64") }, 422],
			["POST", "/api/ai/sources", { title: "x", format: "markdown", base64: "QUJD" }, 422],
			["POST", "/api/ai/sources", { title: "x", format: "text", text: "ok", pathIds: ["65a000000000000000000001"] }, 422],
			["POST", "/api/ai/agents", { name: "x", subject: "s", level: "l", language: "not a language", pedagogy: "socratic" }, 422],
			["POST", "/api/ai/agents", { name: "x", subject: "s", level: "l", language: "fr", pedagogy: "lecture" }, 422],
			["POST", "/api/ai/search", { pathId: "65a000000000000000000001", query: "x" }, 422],
		];
		for (const [method, path, body, status] of probes) {
			const res = await http(method, path, { token: s.teacher.token, body });
			expect(res.status, `${path} ${JSON.stringify(res.body)}`).to.equal(status);
		}
		const noPath = await http("POST", "/api/ai/tutor/ask", { token: s.students[0].token, body: { question: "hello" } });
		expect([noPath.status, noPath.body.error.data[0].field]).to.deep.equal([422, "pathId"]);
		const itemWithoutStep = await http("POST", "/api/ai/tutor/ask", { token: s.students[0].token, body: { pathId: w.path, itemId: w.genItem, question: "hello" } });
		expect(itemWithoutStep.status).to.equal(422);
		const longQuestion = await http("POST", "/api/ai/tutor/ask", { token: s.students[0].token, body: { pathId: w.path, question: "x".repeat(2001) } });
		expect(longQuestion.status).to.equal(422);
		void unique;
	});
});
