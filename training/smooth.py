"""SmoothQuant for an fp32 graph, before int8 quantisation: move activation outliers into weights.

BERT's activations have a few channels far larger than the rest, so one int8 scale per token row
(rowwise.py) spends its 255 steps on those channels and rounds the others coarsely. For every
MatMul with a constant weight W [K, N] and input x [..., K] this computes, on real training
inputs, a per-channel factor s_k = max|x_k|^alpha / max|W_k,:|^(1 - alpha), then writes

    x' = x * (1 / s)      (one Mul, shared by the MatMuls that read the same x: Q, K and V)
    W' = diag(s) W

which is exact in fp32 (x' W' = x W); int8 then sees flatter activations and barely sharper
weights. Calibration inputs come from each model's training split (never a dev or test split):
CoNLL-2003 train windows with casing for NER, marked-mention news examples for the targeted
model, news and SST-2 sentences for the sentence and joint models.

    python smooth.py FP32.onnx OUT.onnx --model ner|sentiment|targeted|joint [--alpha 0.5]
"""
import argparse
import random
import sys

import numpy as np
import onnx
import onnxruntime as ort
from onnx import helper, numpy_helper

CALIBRATION_EXAMPLES = 256


def calibration_inputs(model_name, tokenizer_dir, n=CALIBRATION_EXAMPLES, seed=13):
    """A fixed sample of real training inputs: a list of (input_ids, token_type_ids) lists."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(tokenizer_dir)
    rng = random.Random(seed)
    if model_name == "ner":
        import train_ner
        from common import DATA
        docs = train_ner.read_conll(DATA / "conll2003" / "train.txt")
        docs = rng.sample(docs, 60)
        ex = [(e[0], e[1]) for e in train_ner.build_examples(tok, docs)]
    else:
        import train_news
        task = "targeted" if model_name == "targeted" else "sentence"
        ex = [e for v in train_news.data(task, "train").values() for e in v]
        ex = [(e[0], e[1]) for e in train_news.encode(tok, rng.sample(ex, 4 * n))]
    return rng.sample(ex, min(n, len(ex)))


def weight_matmuls(g):
    """MatMul nodes whose second input is a 2-D constant, grouped by their activation input."""
    inits = {i.name: i for i in g.initializer}
    groups = {}
    for node in g.node:
        if node.op_type == "MatMul" and node.input[1] in inits and len(inits[node.input[1]].dims) == 2:
            groups.setdefault(node.input[0], []).append(node)
    return groups, inits


def channel_max(model, groups, inputs):
    """max |x_k| over every real (unpadded) token of the calibration inputs, per activation."""
    probe = onnx.ModelProto()
    probe.CopyFrom(model)
    del probe.graph.output[:]
    for x in groups:
        probe.graph.output.append(helper.make_empty_tensor_value_info(x))
    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(probe.SerializeToString(), so, providers=["CPUExecutionProvider"])
    names = [o.name for o in sess.get_outputs()]
    takes = {i.name for i in sess.get_inputs()}  # mpnet has no token_type_ids
    amax = {}
    for ids, types in inputs:
        ids = np.array([ids], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": np.ones_like(ids),
                 "token_type_ids": np.array([types], dtype=np.int64)}
        feeds = {k: v for k, v in feeds.items() if k in takes}
        for name, value in zip(names, sess.run(names, feeds)):
            m = np.abs(value.reshape(-1, value.shape[-1])).max(axis=0)
            amax[name] = np.maximum(amax.get(name, 0), m)
    return amax


def smooth(model, inputs, alpha=0.5):
    """Rewrite `model` (fp32, in place) so that every weight MatMul reads x / s with W scaled by s."""
    g = model.graph
    groups, inits = weight_matmuls(g)
    amax = channel_max(model, groups, inputs)
    muls = {}
    for x, nodes in groups.items():
        ws = [numpy_helper.to_array(inits[n.input[1]]) for n in nodes]
        wmax = np.max([np.abs(w).max(axis=1) for w in ws], axis=0)
        s = (np.maximum(amax[x], 1e-5) ** alpha) / (np.maximum(wmax, 1e-5) ** (1 - alpha))
        s = np.clip(s, 1e-2, 1e2).astype(np.float32)
        for n, w in zip(nodes, ws):
            inits[n.input[1]].CopyFrom(numpy_helper.from_array((w * s[:, None]).astype(np.float32), n.input[1]))
        inverse = f"{x}_smooth_inverse"
        g.initializer.append(numpy_helper.from_array((1.0 / s).astype(np.float32), inverse))
        muls[x] = helper.make_node("Mul", [x, inverse], [f"{x}_smoothed"], name=f"{x}_smooth")
        for n in nodes:
            n.input[0] = f"{x}_smoothed"
    # Insert each Mul right after the node that produces its x (or first, for a graph input).
    producer = {o: i for i, n in enumerate(g.node) for o in n.output}
    nodes = list(g.node)
    order = sorted(muls, key=lambda x: producer.get(x, -1), reverse=True)
    for x in order:
        nodes.insert(producer.get(x, -1) + 1, muls[x])
    del g.node[:]
    g.node.extend(nodes)
    onnx.checker.check_model(model)
    print(f"smooth: {sum(len(v) for v in groups.values())} MatMuls over {len(groups)} activations, "
          f"alpha {alpha}", file=sys.stderr)
    return model


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("fp32")
    ap.add_argument("out")
    ap.add_argument("--model", required=True, choices=["ner", "sentiment", "targeted", "joint"])
    ap.add_argument("--tokenizer", required=True, help="the trained model's folder (its tokenizer)")
    ap.add_argument("--alpha", type=float, default=0.5)
    args = ap.parse_args()
    model = onnx.load(args.fp32)
    onnx.save(smooth(model, calibration_inputs(args.model, args.tokenizer), args.alpha), args.out)


if __name__ == "__main__":
    main()
