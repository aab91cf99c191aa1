/**
 * `npm run bench:rag`: retrieval quality and speed of the AI block, with the real embedding model
 * (npm run models:install) and the product's own modules: parsing and chunking (services/ai/ingestion),
 * embeddings (services/ai/embedding), BM25 + cosine fused by RRF (services/ai/retrieval/hybrid-index.ts).
 *
 * The retrieval set ships in test/bench/rag/corpus: 20 documents written for it (10 French, 10 English),
 * each section of a document followed by the question(s) it answers (lines starting with "? ", removed
 * before ingestion). A question is answered by the chunks of its section: recall@5 counts a question as
 * found when one of them is in the top 5, MRR averages 1 / rank of the first one (0 beyond 50).
 *
 * Measures: recall@5 and MRR for BM25 alone, dense alone and hybrid; ingestion chunks/s (parse, chunk and
 * embed: the ingestion job's CPU work, storage excluded); query p50/p95 (embedding the question + hybrid
 * search) with the index padded to 10,000 chunks by synthetic ones (copies of the real chunks' embeddings
 * with noise, words shuffled), so the real chunks still have to be found among them. Also the share of
 * questions whose best hit passes the tutor's relevance threshold, and of off-topic questions that do not.
 *
 * BENCH_SMALL=1 (CI): index padded to 2,000 chunks, 100 timed queries. Progress on stderr, one JSON line last.
 */
import { readdirSync, readFileSync } from "node:fs";
import { settings } from "../../config/env.js";
import { loadEmbedder } from "../../services/ai/embedding/embedder.js";
import { chunkSections } from "../../services/ai/ingestion/chunker.js";
import { parseMarkdown } from "../../services/ai/ingestion/parse.js";
import { HybridIndex, type IndexedChunk } from "../../services/ai/retrieval/hybrid-index.js";

const small = process.env.BENCH_SMALL === "1";
const INDEX_SIZE = Number(process.env.BENCH_INDEX_SIZE ?? (small ? 2_000 : 10_000));
const TIMED_QUERIES = small ? 100 : 400;
const K = 5;
const log = (line: string) => process.stderr.write(`${line}\n`);
const cfg = settings();
const CORPUS = new URL("./rag/corpus/", import.meta.url);

interface Question {
	text: string;
	doc: string;
	section: string;
	lang: string;
}

/** A document without its question lines, and the questions under each `## ` section. */
function readDocument(file: string): { markdown: string; questions: Question[] } {
	const raw = readFileSync(new URL(file, CORPUS), "utf8");
	const questions: Question[] = [];
	const lines: string[] = [];
	let section = "";
	const lang = file.startsWith("fr-") ? "fr" : "en";
	for (const line of raw.split("\n")) {
		if (line.startsWith("## ")) section = line.slice(3).trim();
		if (line.startsWith("? ")) questions.push({ text: line.slice(2).trim(), doc: file, section, lang });
		else lines.push(line);
	}
	return { markdown: lines.join("\n"), questions };
}

/** Deterministic pseudo-random numbers (mulberry32), so runs compare. */
function prng(seed: number) {
	return () => {
		seed = (seed + 0x6d2b79f5) | 0;
		let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
		t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function percentile(sorted: number[], p: number): number {
	return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const started = performance.now();
const files = readdirSync(CORPUS).filter(f => f.endsWith(".md")).sort();
const docs = files.map(f => ({ file: f, ...readDocument(f) }));
const questions = docs.flatMap(d => d.questions);
const offTopic = [
	"Who won the football world cup in 1998?",
	"How do I bake sourdough bread at home?",
	"Quel est le meilleur smartphone de l'année ?",
	"What is the stock price of a car maker?",
	"Comment réparer une crevaison de vélo ?",
	"Which film won the Oscar for best picture in 1994?",
	"Quelle est la recette de la tarte Tatin ?",
	"How do I change the oil in a lawn mower?",
	"Qui a gagné le Tour de France en 1985 ?",
	"What is the best way to learn the guitar?",
];
log(`bench:rag  ${docs.length} documents (${files.filter(f => f.startsWith("fr-")).length} French), ${questions.length} questions, model ${cfg.embeddingModel}${small ? "  (BENCH_SMALL)" : ""}`);

const loadStarted = performance.now();
const model = await loadEmbedder({ modelsDir: cfg.modelsDir, modelId: cfg.embeddingModel });
log(`  model loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s (${model.dimensions} dimensions)`);

// ---- ingestion: parse, chunk in the model's tokens, embed (what the ingestion job computes)
const ingestStarted = performance.now();
const chunks: IndexedChunk[] = [];
for (const doc of docs) {
	const drafts = chunkSections(parseMarkdown(doc.markdown), { maxTokens: cfg.chunkTokens, overlapTokens: cfg.chunkOverlapTokens, countTokens: t => model.countTokens(t) - 2 });
	const vectors = await model.embed(drafts.map(c => [...c.headingPath, c.text].join("\n")), "passage");
	drafts.forEach((c, i) =>
		chunks.push({ id: `${doc.file}#${c.position}`, schoolId: "bench", sourceId: doc.file, sourceVersion: 1, sourceTitle: doc.file, position: c.position, headingPath: c.headingPath, text: c.text, embedding: vectors[i] }),
	);
}
const ingestSeconds = (performance.now() - ingestStarted) / 1000;
const ingestRate = chunks.length / ingestSeconds;
log(`  ingestion: ${chunks.length} chunks in ${ingestSeconds.toFixed(1)} s = ${ingestRate.toFixed(1)} chunks/s`);

// ---- quality on the real corpus
const answers = new Map<Question, Set<string>>(questions.map(q => [q, new Set(chunks.filter(c => c.sourceId === q.doc && c.headingPath.at(-1) === q.section).map(c => c.id))]));
const missing = questions.filter(q => answers.get(q)!.size === 0);
if (missing.length > 0) throw new Error(`questions whose section has no chunk: ${missing.map(q => `${q.doc} ${q.section}`).join("; ")}`);
const queryVectors = await model.embed(questions.map(q => q.text), "query");
const index = new HybridIndex(chunks);
const search = { k: 50, depth: 50, minCosine: cfg.minCosine, minTermCoverage: cfg.minTermCoverage };
const quality: Record<string, { recall: number; mrr: number }> = {};
let relevantBest = 0;
for (const method of ["bm25", "dense", "hybrid"] as const) {
	let found = 0;
	let rr = 0;
	questions.forEach((q, i) => {
		const hits = index.search(q.text, queryVectors[i], { ...search, method });
		const rank = hits.findIndex(h => answers.get(q)!.has(h.chunk.id));
		if (rank >= 0 && rank < K) found++;
		if (rank >= 0) rr += 1 / (rank + 1);
		if (method === "hybrid" && hits[0]?.relevant) relevantBest++;
	});
	quality[method] = { recall: found / questions.length, mrr: rr / questions.length };
	log(`  ${method.padEnd(6)} recall@${K} ${quality[method].recall.toFixed(3)}  MRR ${quality[method].mrr.toFixed(3)}`);
}
for (const lang of ["en", "fr"]) {
	const subset = questions.map((q, i) => [q, i] as const).filter(([q]) => q.lang === lang);
	const found = subset.filter(([q, i]) => index.search(q.text, queryVectors[i], { ...search, k: K }).some(h => answers.get(q)!.has(h.chunk.id))).length;
	log(`  hybrid recall@${K} on ${lang} questions: ${(found / subset.length).toFixed(3)} (${subset.length})`);
}
const offVectors = await model.embed(offTopic, "query");
const offRejected = offTopic.filter((q, i) => !index.search(q, offVectors[i], { ...search, k: 1 })[0]?.relevant).length;
log(`  relevance threshold (cosine ≥ ${cfg.minCosine} or ${cfg.minTermCoverage * 100} % of the words): best hit relevant for ${relevantBest}/${questions.length} course questions, none for ${offRejected}/${offTopic.length} off-topic ones`);

// ---- latency with the index padded to INDEX_SIZE chunks
const random = prng(20261207);
const allWords = chunks.flatMap(c => c.text.split(/\s+/));
const padded: IndexedChunk[] = [...chunks];
while (padded.length < INDEX_SIZE) {
	const base = chunks[Math.floor(random() * chunks.length)];
	const noisy = base.embedding.map(v => v + (random() - 0.5) * 0.08);
	const norm = Math.hypot(...noisy);
	const text = Array.from({ length: 40 + Math.floor(random() * 60) }, () => allWords[Math.floor(random() * allWords.length)]).join(" ");
	padded.push({ ...base, id: `synthetic-${padded.length}`, sourceId: "synthetic", headingPath: [], text, embedding: Float32Array.from(noisy, v => v / norm) });
}
const buildStarted = performance.now();
const big = new HybridIndex(padded);
log(`  padded index: ${big.size} chunks built in ${(performance.now() - buildStarted).toFixed(0)} ms`);
const timings: number[] = [];
const searchOnly: number[] = [];
let bigFound = 0;
for (let i = 0; i < TIMED_QUERIES; i++) {
	const q = questions[i % questions.length];
	const t0 = performance.now();
	const [v] = await model.embed([q.text], "query");
	const t1 = performance.now();
	const hits = big.search(q.text, v, { k: K, minCosine: cfg.minCosine, minTermCoverage: cfg.minTermCoverage });
	const t2 = performance.now();
	timings.push(t2 - t0);
	searchOnly.push(t2 - t1);
	if (i < questions.length && hits.some(h => answers.get(q)!.has(h.chunk.id))) bigFound++;
}
timings.sort((a, b) => a - b);
searchOnly.sort((a, b) => a - b);
const p50 = percentile(timings, 50);
const p95 = percentile(timings, 95);
log(
	`  ${TIMED_QUERIES} queries at ${big.size} chunks: p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms (of which search alone p50 ${percentile(searchOnly, 50).toFixed(1)} / p95 ${percentile(searchOnly, 95).toFixed(1)} ms); ` +
		`recall@${K} among them ${(bigFound / Math.min(TIMED_QUERIES, questions.length)).toFixed(3)}`,
);
log(`  total ${((performance.now() - started) / 1000).toFixed(1)} s`);

const round = (x: number, d = 3) => Math.round(x * 10 ** d) / 10 ** d;
console.log(
	JSON.stringify({
		docs: docs.length,
		chunks: chunks.length,
		questions: questions.length,
		recall_at_5: round(quality.hybrid.recall),
		mrr: round(quality.hybrid.mrr),
		bm25_recall_at_5: round(quality.bm25.recall),
		dense_recall_at_5: round(quality.dense.recall),
		ingest_chunks_per_s: round(ingestRate, 1),
		query_p50_ms: round(p50, 1),
		query_p95_ms: round(p95, 1),
		model: cfg.embeddingModel,
	}),
);
