/**
 * Local sentence embeddings with @xenova/transformers, from a folder on disk only (no model hub is ever
 * asked: `env.allowRemoteModels = false`). The folder `<modelsDir>/<modelId>/` holds config.json,
 * tokenizer.json, tokenizer_config.json and onnx/model_quantized.onnx; `npm run models:install` lays out
 * multilingual-e5-small there (scripts/models/). E5 models want the `query: ` / `passage: ` prefixes.
 *
 * A loaded model costs several hundred MB, so each (folder, id) is loaded once per process and shared.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";

export type EmbedKind = "query" | "passage";

export interface Embedder {
	readonly modelId: string;
	readonly dimensions: number;
	/** Longest input, in tokens, the model takes (tokenizer_config.json `model_max_length`). */
	readonly maxTokens: number;
	/** Unit vectors (mean-pooled, L2-normalised), one per text, in order. */
	embed(texts: readonly string[], kind: EmbedKind): Promise<Float32Array[]>;
	/** Tokens the model would see for this text, prefix and special tokens included. */
	countTokens(text: string, kind?: EmbedKind): number;
	tokenIds(text: string, kind?: EmbedKind): number[];
}

export interface EmbedderOptions {
	modelsDir: string;
	modelId: string;
	/** int8 weights (onnx/model_quantized.onnx, the default) or fp32 (onnx/model.onnx). */
	quantized?: boolean;
	/** Texts per forward pass. */
	batchSize?: number;
}

export class ModelMissingError extends Error {
	constructor(public readonly folder: string) {
		super(`No embedding model at ${folder}: run \`npm run models:install\` (or set MODELS_DIR / EMBEDDING_MODEL)`);
		this.name = "ModelMissingError";
	}
}

const PREFIX: Record<EmbedKind, string> = { query: "query: ", passage: "passage: " };
const loaded = new Map<string, Promise<Embedder>>();
/** transformers.js keeps the model folder in a global (`env.localModelPath`): loads run one at a time. */
let loading: Promise<unknown> = Promise.resolve();

export function modelFolder(opts: Pick<EmbedderOptions, "modelsDir" | "modelId">): string {
	return join(opts.modelsDir, opts.modelId);
}

export function modelInstalled(opts: Pick<EmbedderOptions, "modelsDir" | "modelId"> & { quantized?: boolean }): boolean {
	const folder = modelFolder(opts);
	const weights = opts.quantized === false ? "model.onnx" : "model_quantized.onnx";
	return ["config.json", "tokenizer.json", "tokenizer_config.json", join("onnx", weights)].every(f => existsSync(join(folder, f)));
}

/** The process-wide embedder of this folder and id, loaded on first use. */
export function loadEmbedder(opts: EmbedderOptions): Promise<Embedder> {
	const key = `${modelFolder(opts)}|${opts.quantized !== false}`;
	let pending = loaded.get(key);
	if (!pending) {
		const run = loading.then(() => open(opts));
		loading = run.catch(() => undefined);
		pending = run;
		loaded.set(key, pending);
		// A failed load (missing folder) may succeed after an install: do not keep the failure.
		pending.catch(() => loaded.delete(key));
	}
	return pending;
}

async function open(opts: EmbedderOptions): Promise<Embedder> {
	if (!modelInstalled(opts)) throw new ModelMissingError(modelFolder(opts));
	const transformers = await import("@xenova/transformers");
	const { env, pipeline, AutoTokenizer } = transformers;
	env.allowRemoteModels = false;
	env.allowLocalModels = true;
	env.localModelPath = opts.modelsDir.endsWith("/") ? opts.modelsDir : `${opts.modelsDir}/`;
	const quantized = opts.quantized !== false;
	const [extractor, tokenizer] = await Promise.all([
		pipeline("feature-extraction", opts.modelId, { quantized }),
		AutoTokenizer.from_pretrained(opts.modelId),
	]);
	const maxTokens = Number((tokenizer as any).model_max_length) || 512;
	const batchSize = opts.batchSize ?? 32;
	let dimensions = 0;
	const tokenIds = (text: string, kind?: EmbedKind) => (tokenizer as any).encode(kind ? PREFIX[kind] + text : text) as number[];
	const embedder: Embedder = {
		modelId: opts.modelId,
		get dimensions() {
			return dimensions;
		},
		maxTokens,
		tokenIds,
		countTokens: (text, kind) => tokenIds(text, kind).length,
		async embed(texts, kind) {
			const vectors: Float32Array[] = [];
			for (let i = 0; i < texts.length; i += batchSize) {
				const batch = texts.slice(i, i + batchSize).map(t => PREFIX[kind] + t);
				const out = await extractor(batch, { pooling: "mean", normalize: true });
				const dim = out.dims[out.dims.length - 1];
				dimensions = dim;
				const data = out.data as Float32Array;
				for (let j = 0; j < batch.length; j++) vectors.push(Float32Array.from(data.subarray(j * dim, (j + 1) * dim)));
			}
			return vectors;
		},
	};
	// One pass fixes `dimensions` before anyone reads it.
	await embedder.embed(["ready"], "query");
	return embedder;
}
