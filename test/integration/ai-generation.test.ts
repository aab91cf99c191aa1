/**
 * `generated content`: flashcards and questions generated from a teacher's sources arrive as drafts
 * (origin ai_generated) with the chunks they came from; the teacher edits, validates or rejects them, and
 * only validated items can enter an active path. A path draft from objectives, level and sources is created
 * through the scenario-1 route, which selects the sources for the path (ingestion prepared asynchronously).
 */
import { expect } from "chai";
import { aiSchool, givePlan, BIOLOGY_MD, FRENCH_MD, readySource, requireModel, uploadSource, waitForSource, type AiSchool, generousPace } from "../support/ai.js";
import { promptText, startFakeLlm, type FakeLlm } from "../support/fake-llm.js";
import { bootPlatform, http } from "../support/platform.js";
import { withSettings } from "../support/settings-override.js";

describe("generated content", function () {
	this.timeout(120_000);
	let s: AiSchool;
	let llm: FakeLlm;
	let bio: any;
	let history: any;
	const llmOn = <T>(run: () => Promise<T>) => withSettings({ openaiBaseUrl: llm.url, openaiApiKey: "k", openaiModel: "gen-model" }, run);

	let restorePace: () => void = () => undefined;
	after(() => restorePace());

	before(async function () {
		requireModel(this);
		restorePace = generousPace();
		llm = await startFakeLlm();
		s = await aiSchool({ students: 1 });
		bio = await readySource(s.teacher, { format: "markdown", text: BIOLOGY_MD });
		history = await readySource(s.teacher, { format: "markdown", text: FRENCH_MD });
	});

	after(async () => {
		await llm?.close();
	});

	afterEach(() => llm.reset());

	it("generates drafts from the sources with their chunks; an invalid or unsourced item is reported, not stored", async () => {
		llm.script(
			JSON.stringify({
				items: [
					{ kind: "flashcard", title: "ATP maker", front: "Which organelle makes most ATP?", back: "The mitochondrion", from: "S1" },
					{ kind: "single_choice", title: "Pigment", prompt: "Which pigment absorbs light?", choices: [{ text: "Chlorophyll", correct: true }, { text: "Keratin", correct: false }], from: "S2" },
					{ kind: "single_choice", title: "Broken", prompt: "Two right answers?", choices: [{ text: "A", correct: true }, { text: "B", correct: true }], from: "S1" },
					{ kind: "flashcard", title: "Invented", front: "Where?", back: "Nowhere", from: "S42" },
				],
			}),
		);
		const res = await llmOn(() => http("POST", "/api/ai/generate/items", { token: s.teacher.token, body: { sourceIds: [bio.id], subject: "Biology", count: 4, kinds: ["flashcard", "single_choice"] } }));
		expect(res.status, JSON.stringify(res.body)).to.equal(201);
		expect(res.body).to.include({ kind: "items", mode: "llm", model: "gen-model" });
		expect(res.body.contentItems.map((i: any) => i.title)).to.deep.equal(["ATP maker", "Pigment"]);
		for (const item of res.body.contentItems) expect(item).to.include({ origin: "ai_generated", status: "draft", subject: "Biology" });
		expect(res.body.items.every((i: any) => i.chunkIds.length === 1 && i.sourceIds[0] === bio.id)).to.equal(true);
		expect(res.body.rejected.map((r: any) => r.index)).to.deep.equal([2, 3]);
		expect(res.body.rejected[1].reason).to.match(/S42/);
		const prompt = promptText(llm.requests.at(-1));
		expect(prompt).to.contain("<passage id=\"S1\"").and.to.contain("mitochondrion");
		expect(llm.requests.at(-1).response_format).to.deep.equal({ type: "json_object" });

		// The teacher sees the provenance, edits and validates a draft through the content routes.
		const record = await http("GET", `/api/ai/generated/${res.body.id}`, { token: s.teacher.token });
		expect(record.body.items.length).to.equal(2);
		const [card, choice] = res.body.contentItems;
		const chunk = await http("GET", `/api/ai/sources/${bio.id}/chunks?pageSize=100`, { token: s.teacher.token });
		expect(chunk.body.rows.map((c: any) => c.id)).to.include(record.body.items[0].chunkIds[0]);
		const edited = await http("PATCH", `/api/content-items/${card.id}`, { token: s.teacher.token, body: { back: "The mitochondrion (cellular respiration)" } });
		expect(edited.status).to.equal(200);
		expect(edited.body.origin).to.equal("ai_generated");

		// Only validated items enter an active path.
		const refused = await http("POST", "/api/learning-paths", {
			token: s.teacher.token,
			body: { name: "Cells", subject: "Biology", steps: [{ title: "Cells", itemIds: [card.id] }], activate: true },
		});
		expect([refused.status, refused.body.error.type]).to.deep.equal([422, "CONTENT_NOT_VALIDATED"]);
		const validated = await http("POST", `/api/content-items/${card.id}/status`, { token: s.teacher.token, body: { status: "validated" } });
		expect(validated.status).to.equal(200);
		const accepted = await http("POST", "/api/learning-paths", {
			token: s.teacher.token,
			body: { name: "Cells", subject: "Biology", steps: [{ title: "Cells", itemIds: [card.id] }], activate: true },
		});
		expect(accepted.status, JSON.stringify(accepted.body)).to.equal(201);

		// Rejecting deletes the draft and keeps its provenance as rejected.
		const rejected = await http("POST", `/api/ai/generated/${res.body.id}/items/${choice.id}/reject`, { token: s.teacher.token });
		expect(rejected.status, JSON.stringify(rejected.body)).to.equal(200);
		expect(rejected.body.items.find((i: any) => i.itemId === choice.id).status).to.equal("rejected");
		expect((await http("GET", `/api/content-items/${choice.id}`, { token: s.teacher.token })).status).to.equal(404);
		// A validated item cannot be rejected away (the content service keeps it).
		const keep = await http("POST", `/api/ai/generated/${res.body.id}/items/${card.id}/reject`, { token: s.teacher.token });
		expect(keep.status).to.equal(409);
	});

	it("without an LLM, makes cloze drafts from the sources' own sentences", async () => {
		const res = await withSettings({ openaiBaseUrl: undefined, openaiApiKey: undefined }, () =>
			http("POST", "/api/ai/generate/items", { token: s.teacher.token, body: { sourceIds: [history.id], subject: "History", count: 3, kinds: ["short_answer"] } }),
		);
		expect(res.status, JSON.stringify(res.body)).to.equal(201);
		expect(res.body.mode).to.equal("extractive");
		expect(res.body.contentItems.length).to.be.greaterThan(0);
		for (const item of res.body.contentItems) {
			expect(item).to.include({ kind: "short_answer", origin: "ai_generated", status: "draft" });
			expect(item.prompt).to.contain("_____");
			expect(FRENCH_MD).to.contain(item.accepted[0]);
		}
	});

	it("drafts a path from objectives, level and sources; the scenario-1 route creates it and selects the sources", async () => {
		llm.script(
			JSON.stringify({ name: "Energy in the cell", steps: [{ title: "Mitochondria and ATP", objectives: ["explain ATP"] }, { title: "Photosynthesis", objectives: ["describe chloroplasts"] }] }),
			JSON.stringify({ items: [{ kind: "flashcard", title: "ATP", front: "Where is ATP made?", back: "Mitochondrion", from: "S1" }] }),
			JSON.stringify({ items: [{ kind: "flashcard", title: "Chloroplast", front: "Where does photosynthesis happen?", back: "Chloroplasts", from: "S1" }] }),
		);
		const res = await llmOn(() =>
			http("POST", "/api/ai/generate/path", { token: s.teacher.token, body: { subject: "Biology", level: "seconde", objectives: ["explain ATP", "describe chloroplasts"], sourceIds: [bio.id], itemsPerStep: 1 } }),
		);
		expect(res.status, JSON.stringify(res.body)).to.equal(201);
		expect(res.body.draft).to.deep.include({ name: "Energy in the cell", subject: "Biology", sourceIds: [bio.id], activate: false });
		expect(res.body.draft.steps.map((st: any) => st.title)).to.deep.equal(["Mitochondria and ATP", "Photosynthesis"]);
		expect(res.body.draft.steps.every((st: any) => st.itemIds.length === 1)).to.equal(true);
		expect(res.body.notes[0].chunkIds.length).to.be.greaterThan(0);
		expect(promptText(llm.requests.at(-3))).to.contain("explain ATP").and.to.contain("seconde");

		// The teacher edits the draft, then creates it through the existing route.
		const body = { ...res.body.draft, name: "Energy (edited)" };
		const created = await http("POST", "/api/learning-paths/create", { token: s.teacher.token, body });
		expect(created.status, JSON.stringify(created.body)).to.equal(201);
		// Selecting the sources is asynchronous (the durable learning.path.created message).
		const deadline = Date.now() + 10_000;
		let source: any;
		do {
			source = (await http("GET", `/api/ai/sources/${bio.id}`, { token: s.teacher.token })).body;
			if (source.pathIds.includes(created.body.id)) break;
			await new Promise(r => setTimeout(r, 50));
		} while (Date.now() < deadline);
		expect(source.pathIds).to.include(created.body.id);
		const search = await http("POST", "/api/ai/search", { token: s.teacher.token, body: { pathId: created.body.id, query: "Where is ATP produced?" } });
		expect(search.status).to.equal(200);
		expect(search.body.hits[0].sourceId).to.equal(bio.id);
	});

	it("without a model, plans a step per objective; a path created with a failed source gets it ingested again", async () => {
		const res = await withSettings({ openaiBaseUrl: undefined, openaiApiKey: undefined }, () =>
			http("POST", "/api/ai/generate/path", { token: s.teacher.token, body: { subject: "History", level: "4e", objectives: ["Les causes de 1789", "La prise de la Bastille"], sourceIds: [history.id], itemsPerStep: 2 } }),
		);
		expect(res.status, JSON.stringify(res.body)).to.equal(201);
		expect(res.body.mode).to.equal("extractive");
		expect(res.body.draft.steps.map((st: any) => st.title)).to.deep.equal(["Les causes de 1789", "La prise de la Bastille"]);

		const broken = await uploadSource(s.teacher, { format: "markdown", text: "# Nothing yet" });
		await waitForSource(s.teacher, broken.id, "failed");
		// Fixed in the database behind the API's back (as if the content had been repaired), then a path is created with it.
		const { Source } = await import("../../models/source.model.js");
		await Source.updateOne({ _id: broken.id }, { $set: { text: "# Title\n\nThe Estates-General met in May 1789." } });
		await bootPlatform();
		const created = await http("POST", "/api/learning-paths/create", { token: s.teacher.token, body: { ...res.body.draft, sourceIds: [history.id, broken.id] } });
		expect(created.status, JSON.stringify(created.body)).to.equal(201);
		const again = await waitForSource(s.teacher, broken.id, "ready");
		expect(again.pathIds).to.include(created.body.id);
	});

	it("refuses sources that are not the teacher's or not ingested, and the plan without the ai module", async () => {
		const { invite } = await import("../support/accounts.js");
		const colleague = await invite(s.admin, "teacher");
		const foreign = await http("POST", "/api/ai/generate/items", { token: colleague.token, body: { sourceIds: [bio.id], subject: "Biology" } });
		expect(foreign.status).to.equal(422);
		expect(foreign.body.error.data[0].field).to.equal("sourceIds[0]");
		const viaPath = await http("POST", "/api/learning-paths/create", { token: colleague.token, body: { name: "x", subject: "Biology", sourceIds: [bio.id] } });
		expect(viaPath.status).to.equal(422);
		expect(viaPath.body.error.data[0].field).to.equal("sourceIds[0]");
		const pending = await uploadSource(s.teacher, { format: "pdf", base64: Buffer.from("%PDF-1.4 broken").toString("base64") });
		await waitForSource(s.teacher, pending.id, "failed");
		const notReady = await http("POST", "/api/ai/generate/items", { token: s.teacher.token, body: { sourceIds: [pending.id], subject: "Biology" } });
		expect([notReady.status, notReady.body.error.type]).to.deep.equal([409, "SOURCE_NOT_READY"]);
		const trial = await aiSchool({ students: 0 });
		const src = await readySource(trial.teacher, { format: "text", text: "Enzymes speed up reactions without being consumed." });
		await givePlan(trial.school.id, "trial");
		const upload = await http("POST", "/api/ai/sources", { token: trial.teacher.token, body: { title: "t", format: "text", text: "More enzymes." } });
		expect([upload.status, upload.body.error.type]).to.deep.equal([403, "PLAN_FORBIDS"]);
		const noModule = await http("POST", "/api/ai/generate/items", { token: trial.teacher.token, body: { sourceIds: [src.id], subject: "Biology" } });
		expect([noModule.status, noModule.body.error.type]).to.deep.equal([403, "PLAN_FORBIDS"]);
	});
});
