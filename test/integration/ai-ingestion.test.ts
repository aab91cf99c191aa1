/**
 * `rag ingestion`: teachers' documents (markdown, text, HTML, PDF) become chunks through the durable job:
 * headings kept, sizes in the model's tokens with overlap, embeddings stored, progress over REST and pushed
 * to the teacher's `user` room, idempotent by checksum and by (source, version), re-ingested on change,
 * and deleting a source deletes its chunks. Uses the real embedding model (npm run models:install).
 */
import { expect } from "chai";
import { PDFDocument, StandardFonts } from "pdf-lib";
import { Chunk } from "../../models/chunk.model.js";
import { Source } from "../../models/source.model.js";
import { publishDurable } from "../../services/shared/durable.js";
import { aiSchool, BIOLOGY_MD, readySource, requireModel, uploadSource, waitForSource, type AiSchool } from "../support/ai.js";
import { Inbox, joinUserRoom } from "../support/chat.js";
import { bootPlatform, http, settings } from "../support/platform.js";

async function pdfOf(pages: string[][]): Promise<string> {
	const doc = await PDFDocument.create();
	const font = await doc.embedFont(StandardFonts.Helvetica);
	for (const lines of pages) {
		const page = doc.addPage([595, 842]);
		lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 18, size: 12, font }));
	}
	return Buffer.from(await doc.save()).toString("base64");
}

const chunksOf = (sourceId: string) => Chunk.find({ sourceId }).sort({ sourceVersion: 1, position: 1 }).lean();

describe("rag ingestion", function () {
	this.timeout(120_000);
	let s: AiSchool;

	before(async function () {
		requireModel(this);
		s = await aiSchool();
	});

	it("ingests markdown by headings, with embeddings of the model's size, and pushes progress to the teacher's room", async () => {
		const room = await joinUserRoom(s.teacher);
		const progress = new Inbox(room, "ai.source.progress");
		try {
			const created = await uploadSource(s.teacher, { format: "markdown", text: BIOLOGY_MD });
			expect(created).to.include({ status: "ingesting", version: 1, format: "markdown" });
			expect(created).not.to.have.property("text");
			const ready = await waitForSource(s.teacher, created.id);
			expect(ready).to.include({ status: "ready", readyVersion: 1, embeddingModel: settings().embeddingModel });
			expect(ready.progress).to.deep.include({ stage: "done", chunksDone: ready.chunkCount, chunksTotal: ready.chunkCount });
			const chunks = await chunksOf(created.id);
			expect(chunks.length).to.equal(ready.chunkCount).and.to.be.greaterThan(2);
			const paths = chunks.map((c: any) => c.headingPath.join(" > "));
			expect(paths).to.include.members(["Cell biology > Mitochondria", "Cell biology > Photosynthesis", "Cell biology > Cell membrane"]);
			for (const c of chunks as any[]) {
				expect(c.embedding.length(), "384 float32").to.equal(384 * 4);
				expect(c.tokens).to.be.at.most(settings().chunkTokens);
			}
			const done = await progress.next(m => m.id === created.id && m.status === "ready", 10_000, "the ready push");
			expect(done.progress.chunksDone).to.equal(ready.chunkCount);
			expect(progress.received.some(m => m.id === created.id && m.progress?.stage === "embedding")).to.equal(true);
			// REST shows the chunks in order, without embeddings.
			const listed = await http("GET", `/api/ai/sources/${created.id}/chunks?pageSize=100`, { token: s.teacher.token });
			expect(listed.status).to.equal(200);
			expect(listed.body.total).to.equal(ready.chunkCount);
			expect(listed.body.rows[0]).to.include.keys("text", "headingPath", "position", "tokens");
			expect(listed.body.rows[0]).not.to.have.property("embedding");
		} finally {
			await room.leave();
		}
	});

	it("sizes chunks in the model's tokens and overlaps consecutive chunks of a section", async () => {
		const sentences = Array.from({ length: 60 }, (_, i) => `Sentence number ${i + 1} explains one more detail about the Krebs cycle and its enzymes.`);
		const ready = await readySource(s.teacher, { format: "text", text: sentences.join(" ") });
		const chunks = (await chunksOf(ready.id)) as any[];
		expect(chunks.length).to.be.greaterThan(3);
		for (const c of chunks) expect(c.tokens).to.be.at.most(settings().chunkTokens);
		for (let i = 1; i < chunks.length; i++) {
			// The first sentence of a chunk is one of the last sentences of the chunk before.
			const first = chunks[i].text.split(/(?<=\.) /)[0];
			expect(chunks[i - 1].text.endsWith(first) || chunks[i - 1].text.includes(`${first} `), `chunk ${i} starts inside chunk ${i - 1}`).to.equal(true);
			expect(chunks[i].text.startsWith(chunks[i - 1].text.split(/(?<=\.) /)[0]), "but not at its start").to.equal(false);
		}
	});

	it("parses HTML (headings, no scripts) and PDF (text per page)", async () => {
		const html = await readySource(s.teacher, {
			format: "html",
			text: `<html><head><title>Ignored title</title><script>var secret = "do not index";</script></head><body><h1>Genetics</h1><nav>Home | Menu</nav><h2>DNA</h2><p>DNA is a double helix made of nucleotides.</p><h2>Genes</h2><ul><li>A gene codes for a protein.</li></ul></body></html>`,
		});
		const htmlChunks = (await chunksOf(html.id)) as any[];
		expect(htmlChunks.map(c => c.headingPath.join(" > "))).to.include.members(["Genetics > DNA", "Genetics > Genes"]);
		const htmlText = htmlChunks.map(c => c.text).join(" ");
		expect(htmlText).to.contain("double helix").and.not.to.contain("do not index");
		expect(htmlText).not.to.contain("Menu");

		const pdf = await readySource(s.teacher, { format: "pdf", base64: await pdfOf([["Osmosis moves water across a membrane."], ["Diffusion spreads molecules from high to low concentration."]]) });
		const pdfChunks = (await chunksOf(pdf.id)) as any[];
		expect(pdfChunks.map(c => c.headingPath[0])).to.deep.equal(["Page 1", "Page 2"]);
		expect(pdfChunks[0].text).to.contain("Osmosis moves water");
		expect(pdfChunks[1].text).to.contain("Diffusion spreads molecules");
	});

	it("refuses content that does not fit its format (422) and fails a broken PDF with a reason", async () => {
		const notPdf = await http("POST", "/api/ai/sources", { token: s.teacher.token, body: { title: "x", format: "pdf", base64: Buffer.from("hello world").toString("base64") } });
		expect(notPdf.status).to.equal(422);
		expect(notPdf.body.error.data[0].field).to.equal("base64");
		const textForPdf = await http("POST", "/api/ai/sources", { token: s.teacher.token, body: { title: "x", format: "pdf", text: "abc" } });
		expect(textForPdf.status).to.equal(422);
		const blank = await http("POST", "/api/ai/sources", { token: s.teacher.token, body: { title: "x", format: "markdown", text: "   " } });
		expect(blank.status).to.equal(422);
		const broken = await uploadSource(s.teacher, { format: "pdf", base64: Buffer.from("%PDF-1.7\nthis is not really a pdf").toString("base64") });
		const failed = await waitForSource(s.teacher, broken.id, "failed");
		expect(failed.failureReason).to.match(/PDF/);
		expect(await Chunk.countDocuments({ sourceId: broken.id })).to.equal(0);
		const emptyMd = await uploadSource(s.teacher, { format: "markdown", text: "# Only a heading" });
		expect((await waitForSource(s.teacher, emptyMd.id, "failed")).failureReason).to.match(/no text/);
	});

	it("is idempotent: the same content is no new version, a redelivered job stores nothing twice", async () => {
		const ready = await readySource(s.teacher, { format: "markdown", text: BIOLOGY_MD });
		const before = (await chunksOf(ready.id)).map((c: any) => String(c._id));
		const same = await http("PUT", `/api/ai/sources/${ready.id}/content`, { token: s.teacher.token, body: { format: "markdown", text: BIOLOGY_MD } });
		expect(same.status).to.equal(200);
		expect(same.body).to.include({ unchanged: true, version: 1, status: "ready" });
		// The same job delivered again (a redelivery after a crash): nothing changes.
		const { broker } = await bootPlatform();
		await publishDurable(broker, "ai.source.ingest", { id: `redelivery-${ready.id}`, schoolId: s.school.id, sourceId: ready.id, version: 1 });
		await new Promise(r => setTimeout(r, 300));
		const after = (await chunksOf(ready.id)).map((c: any) => String(c._id));
		expect(after).to.deep.equal(before);
	});

	it("re-ingests on change: a new version replaces the chunks, the old version served until then", async () => {
		const ready = await readySource(s.teacher, { format: "markdown", text: BIOLOGY_MD });
		const changed = BIOLOGY_MD.replace("## Cell membrane", "## Ribosomes\n\nRibosomes read messenger RNA and assemble proteins.\n\n## Cell membrane");
		const res = await http("PUT", `/api/ai/sources/${ready.id}/content`, { token: s.teacher.token, body: { format: "markdown", text: changed } });
		expect(res.status).to.equal(202);
		expect(res.body).to.include({ version: 2, status: "ingesting", readyVersion: 1, unchanged: false });
		const v2 = await waitForSource(s.teacher, ready.id);
		expect(v2.readyVersion).to.equal(2);
		const chunks = (await chunksOf(ready.id)) as any[];
		expect(new Set(chunks.map(c => c.sourceVersion))).to.deep.equal(new Set([2]));
		expect(chunks.some(c => c.headingPath.includes("Ribosomes"))).to.equal(true);
	});

	it("deleting a source deletes its chunks", async () => {
		const ready = await readySource(s.teacher, { format: "markdown", text: BIOLOGY_MD });
		expect(await Chunk.countDocuments({ sourceId: ready.id })).to.be.greaterThan(0);
		const res = await http("DELETE", `/api/ai/sources/${ready.id}`, { token: s.teacher.token });
		expect(res.status).to.equal(200);
		expect(res.body.chunksDeleted).to.be.greaterThan(0);
		expect(await Chunk.countDocuments({ sourceId: ready.id })).to.equal(0);
		expect(await Source.countDocuments({ _id: ready.id })).to.equal(0);
		expect((await http("GET", `/api/ai/sources/${ready.id}`, { token: s.teacher.token })).status).to.equal(404);
	});

	it("a failed source can be ingested again once fixed, and another teacher cannot touch it (403)", async () => {
		const broken = await uploadSource(s.teacher, { format: "markdown", text: "# Empty" });
		await waitForSource(s.teacher, broken.id, "failed");
		const fixed = await http("PUT", `/api/ai/sources/${broken.id}/content`, { token: s.teacher.token, body: { format: "markdown", text: "# Title\n\nNow there is text about enzymes." } });
		expect(fixed.status).to.equal(202);
		expect((await waitForSource(s.teacher, broken.id)).chunkCount).to.equal(1);
		const again = await http("POST", `/api/ai/sources/${broken.id}/reingest`, { token: s.teacher.token });
		expect(again.status).to.equal(202);
		expect((await waitForSource(s.teacher, broken.id)).chunkCount).to.equal(1);
		expect(await Chunk.countDocuments({ sourceId: broken.id })).to.equal(1);
		const { invite } = await import("../support/accounts.js");
		const colleague = await invite(s.admin, "teacher");
		expect((await http("GET", `/api/ai/sources/${broken.id}`, { token: colleague.token })).status).to.equal(403);
		expect((await http("DELETE", `/api/ai/sources/${broken.id}`, { token: colleague.token })).status).to.equal(403);
		expect((await http("GET", `/api/ai/sources/${broken.id}`, { token: s.admin.token })).status).to.equal(200);
	});
});
