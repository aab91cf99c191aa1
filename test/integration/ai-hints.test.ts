/**
 * `hints only`: in hints-only and socratic modes the tutor never hands over the answer of the exercise the
 * student works on. The server checks the model's reply against the item's answer key before delivering a
 * word of it: a leaking reply is regenerated once, then redacted. Full-explanation mode is not guarded.
 */
import { expect } from "chai";
import { activePath, aiSchool, askStreaming, BIOLOGY_MD, createAgent, questionItem, readySource, requireModel, type AiSchool, generousPace } from "../support/ai.js";
import { promptText, startFakeLlm, type FakeLlm } from "../support/fake-llm.js";
import { http } from "../support/platform.js";
import { withSettings } from "../support/settings-override.js";

describe("hints only", function () {
	this.timeout(120_000);
	let s: AiSchool;
	let llm: FakeLlm;
	let items: Record<string, any>;
	let path: any;
	let agent: any;
	const llmOn = <T>(run: () => Promise<T>) => withSettings({ openaiBaseUrl: llm.url, openaiApiKey: "k", openaiModel: "m" }, run);
	const ask = (itemId: string, question: string) => llmOn(() => askStreaming(s.students[0], { pathId: path.id, stepId: path.steps[0].id, itemId, question }));

	let restorePace: () => void = () => undefined;
	after(() => restorePace());

	before(async function () {
		requireModel(this);
		restorePace = generousPace();
		llm = await startFakeLlm();
		s = await aiSchool({ students: 1 });
		items = {
			organelle: await questionItem(s.teacher, { kind: "short_answer", title: "Energy organelle", prompt: "Which organelle makes most of the ATP?", accepted: ["mitochondrion", "mitochondria"] }),
			count: await questionItem(s.teacher, { kind: "numeric", title: "Chromosomes", prompt: "How many chromosomes in a human cell?", value: 46, tolerance: 0 }),
			pigment: await questionItem(s.teacher, {
				kind: "single_choice",
				title: "Pigment",
				prompt: "Which pigment absorbs light?",
				choices: [
					{ id: "a", text: "Chlorophyll", correct: true },
					{ id: "b", text: "Haemoglobin", correct: false },
				],
			}),
			membrane: await questionItem(s.teacher, { kind: "true_false", title: "Membrane", prompt: "The cell membrane lets every molecule through.", answer: false }),
		};
		path = await activePath(s.teacher, s.students, Object.values(items));
		await readySource(s.teacher, { format: "markdown", text: `${BIOLOGY_MD}\n## Chromosomes\n\nA human body cell holds 46 chromosomes, in 23 pairs.\n`, pathIds: [path.id] });
		agent = await createAgent(s.teacher, { pathIds: [path.id], pedagogy: "hints_only" });
	});

	after(async () => {
		await llm?.close();
	});

	afterEach(() => llm.reset());

	it("regenerates a reply that gives the answer away, and delivers only the clean one", async () => {
		llm.script("The answer is the mitochondrion [S1].", "Think about which organelle the passage links to cellular respiration [S1].");
		const before = llm.requests.length;
		const res = await ask(items.organelle.id, "Which organelle makes most of the ATP?");
		expect(res.status).to.equal(200);
		expect(llm.requests.length - before).to.equal(2);
		expect(promptText(llm.requests.at(-1))).to.contain("previous draft gave the exercise's answer away");
		expect(promptText(llm.requests.at(-2))).to.contain("Never state the final answer");
		expect(res.text).to.equal("Think about which organelle the passage links to cellular respiration [S1].");
		expect(res.raw.toLowerCase()).not.to.contain("mitochondrion is the answer").and.not.to.contain("the answer is the mitochondrion");
		expect(res.done.guards).to.deep.equal(["regenerated"]);
		const stored = await http("GET", `/api/ai/interactions/${res.done.interactionId}`, { token: s.teacher.token });
		expect(stored.body.answer).to.equal(res.text);
		expect(stored.body.itemId).to.equal(items.organelle.id);
	});

	it("redacts the answer when the second draft still gives it (accents and case folded)", async () => {
		llm.script("C'est la MITOCHONDRIA, bien sûr [S1].", "Still: mitochondrion [S1].");
		const res = await ask(items.organelle.id, "Donne-moi la réponse : quel organite produit l'ATP de la cellule ?");
		expect(res.done.mode, res.raw).to.equal("llm");
		expect(res.text.toLowerCase()).not.to.match(/mitochondri/);
		expect(res.text).to.contain("[…]");
		expect(res.done.guards).to.include.members(["regenerated", "redacted"]);
		expect(res.done.flags).to.include("cheating");
		// Not one streamed event held it either: pieces, passage headings ("Mitochondria"), the final answer.
		expect(res.raw.toLowerCase()).not.to.match(/mitochondri/);
		expect(res.events[0].data.passages.some((p: any) => p.headingPath.includes("[…]"))).to.equal(true);
	});

	it("guards numbers within tolerance, the right choice, and a true/false verdict", async () => {
		llm.script("There are 46 chromosomes [S1].", "It is 46, as in every body cell.");
		const n = await ask(items.count.id, "How many chromosomes does a human body cell hold?");
		expect(n.done.mode, n.raw).to.equal("llm");
		expect(n.text).not.to.match(/\b46\b/);
		expect(n.text).to.contain("[…]");
		llm.script("Chlorophyll is the pigment [S1].", "The right option is chlorophyll.");
		const c = await ask(items.pigment.id, "Which pigment absorbs the light in photosynthesis?");
		expect(c.done.mode, c.raw).to.equal("llm");
		expect(c.text.toLowerCase()).not.to.contain("chlorophyll");
		llm.script("The statement is false: the membrane is selective [S1].", "It is false.");
		const t = await ask(items.membrane.id, "Is it true that the cell membrane lets every molecule through?");
		expect(t.done.mode, t.raw).to.equal("llm");
		expect(t.text.toLowerCase()).not.to.match(/\bis false\b/);
		expect(t.done.guards).to.include("redacted");
	});

	it("socratic mode is guarded too; full explanation is not, and questions about another topic are not touched", async () => {
		await http("PATCH", `/api/ai/agents/${agent.id}`, { token: s.teacher.token, body: { pedagogy: "socratic" } });
		llm.script("Mitochondria! [S1]", "What does the passage say happens during cellular respiration? [S1]");
		const socratic = await ask(items.organelle.id, "Which organelle produces the cell's ATP?");
		expect(socratic.text).to.equal("What does the passage say happens during cellular respiration? [S1]");
		expect(promptText(llm.requests.at(-2))).to.contain("Teach by asking");

		await http("PATCH", `/api/ai/agents/${agent.id}`, { token: s.teacher.token, body: { pedagogy: "full_explanation" } });
		llm.script("The mitochondrion produces ATP by cellular respiration [S1].");
		const full = await ask(items.organelle.id, "Which organelle produces the cell's ATP?");
		expect(full.text).to.contain("mitochondrion");
		expect(full.done.guards).to.deep.equal([]);
		await http("PATCH", `/api/ai/agents/${agent.id}`, { token: s.teacher.token, body: { pedagogy: "hints_only" } });
	});

	it("redacts extractive passages too (no LLM) when they hold the answer", async () => {
		const res = await withSettings({ openaiBaseUrl: undefined, openaiApiKey: undefined }, () =>
			askStreaming(s.students[0], { pathId: path.id, stepId: path.steps[0].id, itemId: items.organelle.id, question: "Which organelle produces the cell's energy as ATP?" }),
		);
		expect(res.done.mode).to.equal("extractive");
		expect(res.text.toLowerCase()).not.to.match(/mitochondri/);
		expect(res.done.guards).to.include("redacted");
	});

	it("refuses an exercise that is not in the step (422)", async () => {
		const other = await questionItem(s.teacher, { kind: "flashcard", title: "Other", front: "a", back: "b" });
		const res = await llmOn(() => http("POST", "/api/ai/tutor/ask", { token: s.students[0].token, body: { pathId: path.id, stepId: path.steps[0].id, itemId: other.id, question: "help" } }));
		expect(res.status).to.equal(422);
		expect(res.body.error.data[0].field).to.equal("itemId");
	});
});
