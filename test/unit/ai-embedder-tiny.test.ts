/**
 * The embedding loader (services/ai/embedding/embedder.ts) on a tiny BERT-shaped model this test writes
 * itself (ONNX protobuf through onnx-proto, a 30-piece Unigram tokenizer, configs), loaded through
 * @xenova/transformers with remote models off: the same code path as the real model, in a fraction of a
 * second and without the model install.
 */
import { expect } from "chai";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import onnxProto from "onnx-proto";
import { loadEmbedder, modelInstalled } from "../../services/ai/embedding/embedder.js";

const { onnx } = onnxProto as any;
const DIM = 8;
const PIECES = ["<s>", "<pad>", "</s>", "<unk>", "▁query", ":", "▁passage", "▁hello", "▁world", "▁cell", "▁energy", "▁", ..."abcdefghijklmnopqrstuvwxyz".split("")];

function tensor(name: string, dims: number[], values: Float32Array) {
	return onnx.TensorProto.create({ name, dims, dataType: onnx.TensorProto.DataType.FLOAT, rawData: Buffer.from(values.buffer) });
}

function valueInfo(name: string, elemType: number, dims: (string | number)[]) {
	return onnx.ValueInfoProto.create({
		name,
		type: { tensorType: { elemType, shape: { dim: dims.map(d => (typeof d === "string" ? { dimParam: d } : { dimValue: d })) } } },
	});
}

/** input_ids, attention_mask → last_hidden_state = embedding(input_ids) × mask (a BERT's inputs and output). */
function tinyModel(): Uint8Array {
	let seed = 42;
	const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
	const table = Float32Array.from({ length: PIECES.length * DIM }, rand);
	const node = (opType: string, input: string[], output: string[], attribute: unknown[] = []) => onnx.NodeProto.create({ opType, input, output, attribute });
	const graph = onnx.GraphProto.create({
		name: "tiny-bert",
		node: [
			node("Gather", ["embeddings", "input_ids"], ["rows"]),
			node("Cast", ["attention_mask"], ["mask_f"], [onnx.AttributeProto.create({ name: "to", type: onnx.AttributeProto.AttributeType.INT, i: onnx.TensorProto.DataType.FLOAT })]),
			node("Unsqueeze", ["mask_f", "last_axis"], ["mask_3d"]),
			node("Mul", ["rows", "mask_3d"], ["last_hidden_state"]),
		],
		initializer: [
			tensor("embeddings", [PIECES.length, DIM], table),
			onnx.TensorProto.create({ name: "last_axis", dims: [1], dataType: onnx.TensorProto.DataType.INT64, rawData: Buffer.from(new BigInt64Array([-1n]).buffer) }),
		],
		input: [valueInfo("input_ids", onnx.TensorProto.DataType.INT64, ["batch", "seq"]), valueInfo("attention_mask", onnx.TensorProto.DataType.INT64, ["batch", "seq"])],
		output: [valueInfo("last_hidden_state", onnx.TensorProto.DataType.FLOAT, ["batch", "seq", DIM])],
	});
	const model = onnx.ModelProto.create({ irVersion: 8, opsetImport: [{ domain: "", version: 13 }], producerName: "learning-platform-test", graph });
	return onnx.ModelProto.encode(model).finish();
}

function writeTinyModel(dir: string, id: string): void {
	const folder = join(dir, id);
	mkdirSync(join(folder, "onnx"), { recursive: true });
	writeFileSync(join(folder, "onnx", "model_quantized.onnx"), tinyModel());
	writeFileSync(join(folder, "config.json"), JSON.stringify({ model_type: "bert", hidden_size: DIM, vocab_size: PIECES.length }));
	writeFileSync(join(folder, "tokenizer_config.json"), JSON.stringify({ model_max_length: 32, tokenizer_class: "XLMRobertaTokenizer", bos_token: "<s>", eos_token: "</s>", pad_token: "<pad>", unk_token: "<unk>" }));
	const special = (content: string, id: number) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
	writeFileSync(
		join(folder, "tokenizer.json"),
		JSON.stringify({
			version: "1.0",
			added_tokens: [special("<s>", 0), special("<pad>", 1), special("</s>", 2), special("<unk>", 3)],
			normalizer: { type: "NFKC" },
			pre_tokenizer: { type: "Metaspace", replacement: "▁", add_prefix_space: true },
			post_processor: {
				type: "TemplateProcessing",
				single: [{ SpecialToken: { id: "<s>", type_id: 0 } }, { Sequence: { id: "A", type_id: 0 } }, { SpecialToken: { id: "</s>", type_id: 0 } }],
				pair: [],
				special_tokens: { "<s>": { id: "<s>", ids: [0], tokens: ["<s>"] }, "</s>": { id: "</s>", ids: [2], tokens: ["</s>"] } },
			},
			decoder: { type: "Metaspace", replacement: "▁", add_prefix_space: true },
			model: { type: "Unigram", unk_id: 3, vocab: PIECES.map((p, i) => [p, i < 4 ? 0 : p.length > 2 ? -1 : -5]) },
		}),
	);
}

describe("ai modules: the embedding loader on a tiny model written by the test", () => {
	let dir: string;

	before(() => {
		dir = mkdtempSync(join(tmpdir(), "lp-tiny-model-"));
		writeTinyModel(dir, "tiny-bert");
	});

	after(() => rmSync(dir, { recursive: true, force: true }));

	it("loads from the folder with remote models off, and embeds to unit vectors of the model's size", async () => {
		expect(modelInstalled({ modelsDir: dir, modelId: "tiny-bert" })).to.equal(true);
		const embedder = await loadEmbedder({ modelsDir: dir, modelId: "tiny-bert", batchSize: 4 });
		expect(embedder.dimensions).to.equal(DIM);
		expect(embedder.maxTokens).to.equal(32);
		const [a, b, a2] = await embedder.embed(["hello world", "cell energy", "hello world"], "passage");
		expect(a.length).to.equal(DIM);
		expect(Math.hypot(...a)).to.be.closeTo(1, 1e-5);
		expect([...a]).to.deep.equal([...a2]);
		expect([...a]).not.to.deep.equal([...b]);
	});

	it("adds the query/passage prefixes, counts tokens with the special ones, and keeps order across batches", async () => {
		const embedder = await loadEmbedder({ modelsDir: dir, modelId: "tiny-bert", batchSize: 4 });
		expect(embedder.tokenIds("hello world")).to.deep.equal([0, PIECES.indexOf("▁hello"), PIECES.indexOf("▁world"), 2]);
		expect(embedder.tokenIds("hello", "query")).to.deep.equal([0, PIECES.indexOf("▁query"), PIECES.indexOf(":"), PIECES.indexOf("▁hello"), 2]);
		expect(embedder.countTokens("cell energy")).to.equal(4);
		const [q] = await embedder.embed(["hello world"], "query");
		const [p] = await embedder.embed(["hello world"], "passage");
		expect([...q]).not.to.deep.equal([...p]);
		const texts = Array.from({ length: 10 }, (_, i) => (i % 2 ? "cell energy" : "hello world") + " a".repeat(i));
		const together = await embedder.embed(texts, "passage");
		for (const [i, text] of texts.entries()) {
			const [alone] = await embedder.embed([text], "passage");
			// Padding in a batch changes nothing: mean pooling follows the attention mask.
			together[i].forEach((v, j) => expect(v).to.be.closeTo(alone[j], 1e-5));
		}
	});
});
