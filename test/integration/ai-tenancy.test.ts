/**
 * `rag tenancy`: retrieval never returns a chunk of another school, another path, or a source the teacher
 * did not select, whether asked through the teacher's search, the tutor's answers and citations, the
 * prompts sent to the LLM, extractive mode, or the internal retrieval action. Then every AI route is
 * attacked by the members of another school with this school's ids (bodies that pass validation, so only
 * the tenancy check can stop them), and this school's documents must be exactly as they were.
 */
import { expect } from "chai";
import { invite, type Account } from "../support/accounts.js";
import { activePath, aiSchool, createAgent, questionItem, readySource, requireModel, type AiSchool, generousPace } from "../support/ai.js";
import { callInSchool } from "../support/learning-content.js";
import { describeChanges, diff, schoolFilter, settledSnapshot } from "../support/db-snapshot.js";
import { promptText, startFakeLlm, type FakeLlm } from "../support/fake-llm.js";
import { http, unique } from "../support/platform.js";
import { withSettings } from "../support/settings-override.js";

/** Every source is about volcanoes (so each is relevant to every question) and carries its own code word. */
const volcano = (code: string) =>
	`# Volcanoes\n\n## Eruptions\n\nThe volcano ${code} erupts when magma rises through the crust. Its lava flows and ash clouds are studied by volcanologists. ${code} is the code name of this document.\n`;
const NEEDLES = { p1: "Zorvanthe", agent: "Quillomar", p2: "Brastelune", unselected: "Mirovakle", otherSchool: "Tessaprune" } as const;

describe("rag tenancy", function () {
	this.timeout(180_000);
	let a: AiSchool;
	let b: AiSchool;
	let llm: FakeLlm;
	const ids: Record<string, string> = {};
	let p1: any;
	let pb: any;
	const llmOn = <T>(run: () => Promise<T>) => withSettings({ openaiBaseUrl: llm.url, openaiApiKey: "k", openaiModel: "m" }, run);
	const foreign = [NEEDLES.p2, NEEDLES.unselected, NEEDLES.otherSchool];

	let restorePace: () => void = () => undefined;
	after(() => restorePace());

	before(async function () {
		requireModel(this);
		restorePace = generousPace();
		llm = await startFakeLlm();
		llm.fallback = () => "From your course [S1] [S2] [S3].";
		[a, b] = await Promise.all([aiSchool({ students: 1 }), aiSchool({ students: 1 })]);
		const itemA = await questionItem(a.teacher, { kind: "flashcard", title: "Volcano", front: "What rises?", back: "Magma" });
		const itemB = await questionItem(b.teacher, { kind: "flashcard", title: "Volcano", front: "What rises?", back: "Magma" });
		p1 = await activePath(a.teacher, a.students, [itemA]);
		const p2 = await activePath(a.teacher, a.students, [itemA]);
		pb = await activePath(b.teacher, b.students, [itemB]);
		ids.p1 = p1.id;
		ids.p2 = p2.id;
		ids.pb = pb.id;
		ids.s1 = (await readySource(a.teacher, { format: "markdown", text: volcano(NEEDLES.p1), pathIds: [p1.id] })).id;
		ids.s4 = (await readySource(a.teacher, { format: "markdown", text: volcano(NEEDLES.agent) })).id;
		ids.s2 = (await readySource(a.teacher, { format: "markdown", text: volcano(NEEDLES.p2), pathIds: [p2.id] })).id;
		ids.s3 = (await readySource(a.teacher, { format: "markdown", text: volcano(NEEDLES.unselected) })).id;
		ids.sb = (await readySource(b.teacher, { format: "markdown", text: volcano(NEEDLES.otherSchool), pathIds: [pb.id] })).id;
		ids.agentA = (await createAgent(a.teacher, { subject: "Biology", pathIds: [p1.id], sourceIds: [ids.s4], pedagogy: "full_explanation" })).id;
		ids.agentB = (await createAgent(b.teacher, { subject: "Biology", pathIds: [pb.id] })).id;
	});

	after(async () => {
		await llm?.close();
	});

	const allowedA = () => new Set([ids.s1, ids.s4]);

	it("the teacher's search on a path finds only its selected sources and its agent's", async () => {
		for (const needle of Object.values(NEEDLES)) {
			const res = await http("POST", "/api/ai/search", { token: a.teacher.token, body: { pathId: p1.id, query: `Tell me about the volcano ${needle} and its eruptions`, k: 20 } });
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body.hits.length).to.be.greaterThan(0);
			for (const hit of res.body.hits) expect(allowedA(), `${needle}: ${hit.sourceId}`).to.include(hit.sourceId);
			const text = JSON.stringify(res.body);
			for (const f of foreign) expect(text).not.to.contain(f);
		}
	});

	it("the tutor's citations, archive and every prompt sent to the LLM hold nothing from outside the path's scope", async () => {
		const before = llm.requests.length;
		for (const needle of Object.values(NEEDLES)) {
			const res = await llmOn(() => http("POST", "/api/ai/tutor/ask", { token: a.students[0].token, body: { pathId: p1.id, question: `What happens when the volcano ${needle} erupts and magma rises through the crust?` } }));
			expect(res.status, JSON.stringify(res.body)).to.equal(200);
			expect(res.body.mode).to.equal("llm");
			for (const c of res.body.citations) expect(allowedA()).to.include(c.sourceId);
			const stored = await http("GET", `/api/ai/interactions/${res.body.interactionId}`, { token: a.teacher.token });
			for (const c of stored.body.chunks) expect(allowedA()).to.include(c.sourceId);
		}
		const sent = llm.requests.slice(before).map(promptText).join("\n");
		expect(llm.requests.length - before).to.equal(Object.keys(NEEDLES).length);
		expect(sent).to.contain(NEEDLES.p1).and.to.contain(NEEDLES.agent);
		// Only the questions name the foreign codes: no passage of theirs ever reached a prompt.
		for (const f of foreign) expect(sent.split(f).length - 1, `${f} in prompts`).to.equal(1);
		const extractive = await withSettings({ openaiBaseUrl: undefined, openaiApiKey: undefined }, () =>
			http("POST", "/api/ai/tutor/ask", { token: a.students[0].token, body: { pathId: p1.id, question: `Volcano ${NEEDLES.otherSchool} ${NEEDLES.p2} ${NEEDLES.unselected} eruptions` } }),
		);
		expect(extractive.body.mode).to.equal("extractive");
		for (const f of foreign) expect(extractive.body.answer).not.to.contain(f);
	});

	it("the internal retrieval is confined to the caller's school whatever ids it is given", async () => {
		const ofB = await callInSchool(a.school.id, "aiSources.retrieve", { pathId: pb.id, sourceIds: [ids.sb], query: `volcano ${NEEDLES.otherSchool}` });
		expect(ofB).to.deep.equal([]);
		const unselected = await callInSchool(a.school.id, "aiSources.retrieve", { pathId: p1.id, query: `volcano ${NEEDLES.unselected}`, k: 50 });
		expect(unselected.map((h: any) => h.sourceId).every((id: string) => id === ids.s1)).to.equal(true);
		const b2 = await callInSchool(b.school.id, "aiSources.retrieve", { pathId: p1.id, sourceIds: [ids.s1, ids.s4], query: `volcano ${NEEDLES.p1}` });
		expect(b2).to.deep.equal([]);
		const chunks = await callInSchool(b.school.id, "aiSources.chunksOf", { sourceIds: [ids.s1] });
		expect(chunks).to.deep.equal([]);
	});

	it("detaching a source from the path removes it from retrieval at once (index invalidated)", async () => {
		const detached = await http("PATCH", `/api/ai/sources/${ids.s1}`, { token: a.teacher.token, body: { pathIds: [] } });
		expect(detached.status).to.equal(200);
		const res = await http("POST", "/api/ai/search", { token: a.teacher.token, body: { pathId: p1.id, query: `volcano ${NEEDLES.p1}`, k: 20 } });
		expect(res.body.hits.every((h: any) => h.sourceId === ids.s4)).to.equal(true);
		await http("PATCH", `/api/ai/sources/${ids.s1}`, { token: a.teacher.token, body: { pathIds: [p1.id] } });
		const back = await http("POST", "/api/ai/search", { token: a.teacher.token, body: { pathId: p1.id, query: `volcano ${NEEDLES.p1}`, k: 20 } });
		expect(back.body.hits.some((h: any) => h.sourceId === ids.s1)).to.equal(true);
	});

	it("every AI route refuses another school's members with this school's ids, and changes nothing of it", async () => {
		// A has an interaction, a generated record, a revision session to aim at.
		const asked = await llmOn(() => http("POST", "/api/ai/tutor/ask", { token: a.students[0].token, body: { pathId: p1.id, question: "What is a volcano?" } }));
		const generated = await withSettings({ openaiBaseUrl: undefined, openaiApiKey: undefined }, () =>
			http("POST", "/api/ai/generate/items", { token: a.teacher.token, body: { sourceIds: [ids.s1], subject: "Biology", kinds: ["flashcard"], count: 1 } }),
		);
		expect(generated.status, JSON.stringify(generated.body)).to.equal(201);
		const session = await http("POST", "/api/revision-sessions", { token: a.students[0].token, body: { pathId: p1.id, stepId: p1.steps[0].id } });
		ids.interaction = asked.body.interactionId;
		ids.generated = generated.body.id;
		ids.genItem = generated.body.contentItems[0].id;
		ids.session = session.body.id;
		const memberIds = [a.admin.id, a.teacher.id, ...a.students.map(s => s.id)];
		const before = await settledSnapshot(schoolFilter(a.school.id, memberIds));
		const attackers: [string, Account][] = [["admin", b.admin], ["teacher", b.teacher], ["student", b.students[0]]];
		const problems: string[] = [];
		const denied = async (who: string, method: string, path: string, body?: unknown, ok = [403, 404, 422]) => {
			const res = await http(method, path, { token: attackers.find(([w]) => w === who)![1].token, body });
			if (!ok.includes(res.status)) problems.push(`${who} ${method} ${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 200)}`);
			return res;
		};
		const noneOfA = (res: { status: number; body: any }, label: string) => {
			const text = JSON.stringify(res.body);
			for (const id of [ids.s1, ids.s2, ids.s3, ids.s4, ids.agentA, ids.interaction, ids.generated, a.school.id, NEEDLES.p1]) {
				if (text.includes(id)) problems.push(`${label} leaks ${id}`);
			}
		};
		const newSource = (extra: Record<string, unknown>) => ({ title: unique("t"), format: "text", text: "Magma rises.", ...extra });
		for (const who of ["admin", "teacher"]) {
			await denied(who, "GET", `/api/ai/agents/${ids.agentA}`);
			await denied(who, "PATCH", `/api/ai/agents/${ids.agentA}`, { name: "stolen", schoolId: a.school.id });
			await denied(who, "DELETE", `/api/ai/agents/${ids.agentA}`);
			await denied(who, "POST", "/api/ai/agents", { name: "x", subject: "Biology", level: "l", language: "fr", pedagogy: "socratic", pathIds: [p1.id] });
			await denied(who, "POST", "/api/ai/agents", { name: "x", subject: "Biology", level: "l", language: "fr", pedagogy: "socratic", sourceIds: [ids.s1] });
			await denied(who, "PATCH", `/api/ai/agents/${ids.agentB}`, { sourceIds: [ids.s1] });
			await denied(who, "GET", `/api/ai/sources/${ids.s1}`);
			await denied(who, "PATCH", `/api/ai/sources/${ids.s1}`, { title: "stolen" });
			await denied(who, "PATCH", `/api/ai/sources/${ids.sb}`, { pathIds: [p1.id] });
			await denied(who, "PUT", `/api/ai/sources/${ids.s1}/content`, { format: "text", text: "overwritten" });
			await denied(who, "POST", `/api/ai/sources/${ids.s1}/reingest`);
			await denied(who, "DELETE", `/api/ai/sources/${ids.s1}`);
			await denied(who, "GET", `/api/ai/sources/${ids.s1}/chunks`);
			await denied(who, "POST", "/api/ai/sources", newSource({ pathIds: [p1.id] }));
			await denied(who, "POST", "/api/ai/search", { pathId: p1.id, query: "volcano" });
			await denied(who, "GET", `/api/ai/interactions/${ids.interaction}`);
			await denied(who, "GET", `/api/ai/recommendations?pathId=${p1.id}&studentId=${a.students[0].id}`);
			await denied(who, "POST", "/api/ai/generate/items", { sourceIds: [ids.s1], subject: "Biology" });
			await denied(who, "POST", "/api/ai/generate/path", { subject: "Biology", level: "x", objectives: ["steal"], sourceIds: [ids.s1] });
			await denied(who, "GET", `/api/ai/generated/${ids.generated}`);
			await denied(who, "POST", `/api/ai/generated/${ids.generated}/items/${ids.genItem}/reject`);
			for (const list of ["/api/ai/agents?pageSize=100", `/api/ai/agents?pathId=${p1.id}`, "/api/ai/sources?pageSize=100", `/api/ai/sources?pathId=${p1.id}`, "/api/ai/generated?pageSize=100", `/api/ai/interactions?studentId=${a.students[0].id}`, `/api/ai/interactions?pathId=${p1.id}`, "/api/ai/interactions?pageSize=100", "/api/ai/usage"]) {
				const res = await http("GET", list, { token: attackers.find(([w]) => w === who)![1].token });
				if (res.status !== 200) problems.push(`${who} GET ${list}: ${res.status}`);
				noneOfA(res, `${who} GET ${list}`);
			}
		}
		await denied("student", "POST", "/api/ai/tutor/ask", { pathId: p1.id, question: "What is a volcano?" });
		await denied("student", "POST", "/api/ai/tutor/ask", { sessionId: ids.session, question: "What is a volcano?" });
		await denied("student", "POST", "/api/ai/tutor/ask", { pathId: pb.id, stepId: p1.steps[0].id, question: "What is a volcano?" });
		await denied("student", "GET", `/api/ai/interactions/${ids.interaction}`);
		await denied("student", "GET", `/api/ai/recommendations?pathId=${p1.id}`);
		const own = await http("GET", "/api/ai/interactions?pageSize=100", { token: b.students[0].token });
		noneOfA(own, "B student's interactions");
		// Usage of B is B's own: A's tokens are not in it.
		const usageA = (await http("GET", "/api/ai/usage", { token: a.admin.token })).body;
		const usageB = (await http("GET", "/api/ai/usage", { token: b.admin.token })).body;
		expect(usageA.tokens).to.be.greaterThan(0);
		expect(usageB.tokens).to.equal(0);
		expect(problems).to.deep.equal([]);
		const after = await settledSnapshot(schoolFilter(a.school.id, memberIds));
		expect(describeChanges(diff(before, after))).to.deep.equal([]);
		// A teacher of A's own school still cannot touch a colleague's agent or source.
		const colleague = await invite(a.admin, "teacher");
		expect((await http("PATCH", `/api/ai/agents/${ids.agentA}`, { token: colleague.token, body: { name: "mine" } })).status).to.equal(403);
		expect((await http("PATCH", `/api/ai/sources/${ids.s1}`, { token: colleague.token, body: { title: "mine" } })).status).to.equal(403);
		expect((await http("POST", "/api/ai/search", { token: colleague.token, body: { pathId: p1.id, query: "volcano" } })).status).to.equal(403);
	});
});
