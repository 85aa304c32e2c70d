"""Rebuild a PyTorch checkpoint from a shipped int8 graph (its weights dequantised).

For when the fp32 checkpoint behind a shipped model is gone. The int8 weights read back as floats
quantise again to the very same int8 values (max scaling per channel, or per tensor for the
embeddings, maps the largest value back onto the same step), so `export.py` run on the rebuilt
checkpoint gives the shipped weights again (checked for the sentence model 2.0.2: bit for bit).

    python unquantize.py sentiment ../models/sentiment   # -> work/sentiment, then: python export.py sentiment
    python unquantize.py targets ../models/targeted      # -> work/targets (a marker-head model)
    python unquantize.py ner ../models/ner               # -> work/ner (the benchmark's transformers peer)

The export spec (`export.py`'s SPECS) says how the model was exported, which names its tensors.
"""
import argparse
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper
from torch import nn
from transformers import AutoModel, AutoTokenizer, BertForSequenceClassification, BertForTokenClassification

from common import N_CASING, WORK, base_model_dir
from export import SPECS, module_class, read_only_where_read, to_onnx


def initializers(path):
    return {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}


def onnx_names(model, name):
    """ONNX initializer name -> (state-dict key, stored transposed), from an fp32 export of `model`
    (the base model's weights, all distinct, so that each tensor is found by its value)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.onnx"
        to_onnx(model, name, path)
        inits = initializers(path)
    names = {}
    for key, t in model.state_dict().items():
        t = t.numpy()
        for init, a in inits.items():
            if a.shape == t.shape and np.array_equal(a, t):
                names[init] = (key, False)
            elif t.ndim == 2 and a.shape == t.T.shape and np.array_equal(a, t.T):
                names[init] = (key, True)
    return names


def dequantized(inits, name):
    """The float value of initializer `name` (a Gemm's weight was quantised transposed)."""
    if name in inits:
        return inits[name]
    if name + "_quantized" not in inits:
        return dequantized(inits, name + "_Transposed").T
    q = inits[name + "_quantized"].astype(np.float32)
    zero = inits[name + "_zero_point"].astype(np.float32)
    return (q - zero) * inits[name + "_scale"]


def template(spec, labels):
    """The spec's model with the base model's weights."""
    base = base_model_dir()
    if spec["loader"] is None:
        return module_class(spec)(AutoModel.from_pretrained(base)).eval()
    if spec["config"]["task"] == "token-classification":
        # As train_ner.py builds it: casing classes as token types, a random (so distinct) table.
        model = BertForTokenClassification.from_pretrained(
            base, num_labels=len(labels), id2label=dict(enumerate(labels)),
            label2id={l: i for i, l in enumerate(labels)})
        model.bert.embeddings.token_type_embeddings = nn.Embedding(N_CASING, model.config.hidden_size)
        model.config.type_vocab_size = N_CASING
        return model.eval()
    return BertForSequenceClassification.from_pretrained(
        base, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={l: i for i, l in enumerate(labels)}).eval()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("spec", choices=["ner", "sentiment", "targets"], help="how the shipped model was exported")
    ap.add_argument("shipped", type=Path, help="a shipped model folder (model.onnx, config.json)")
    ap.add_argument("--out", type=Path, help="where the checkpoint goes (default: work/SPEC)")
    args = ap.parse_args()
    out = args.out or WORK / args.spec
    labels = json.loads((args.shipped / "config.json").read_text())["labels"]
    spec = SPECS[args.spec]
    model = template(spec, labels)
    shipped = initializers(args.shipped / "model.onnx")
    # As export.py exports it now (the last layer cut to the positions read), else in full (as
    # graphs exported before that were): the one whose tensor names the shipped graph has.
    for exported in (read_only_where_read(spec, model, base_model_dir()), model):
        names = onnx_names(exported, args.spec)
        if all(n in shipped or n + "_quantized" in shipped or n + "_Transposed_quantized" in shipped for n in names):
            break
    else:
        raise SystemExit(f"{args.shipped / 'model.onnx'} was not exported as export.py exports {args.spec}")
    state = exported.state_dict()
    found = {key for key, _ in names.values()}
    # Tensors the graph does not use (an unused pooler) keep the base model's values.
    unused = [k for k in state if k not in found and "position_ids" not in k]
    for init, (key, transposed) in names.items():
        a = dequantized(shipped, init)
        state[key] = torch.from_numpy(np.ascontiguousarray(a.T if transposed else a)).to(state[key].dtype)
    exported.load_state_dict(state)
    if hasattr(model, "save"):
        model.save(out)
    else:
        model.save_pretrained(out)
    AutoTokenizer.from_pretrained(base_model_dir()).save_pretrained(out)
    metrics = args.shipped / "train_metrics.json"
    if metrics.exists():
        shutil.copy(metrics, out / "train_metrics.json")
    print(f"{out}: {len(names)} tensors from {args.shipped / 'model.onnx'}; not in the graph: {unused or 'none'}")


if __name__ == "__main__":
    main()
