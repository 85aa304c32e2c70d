"""Rebuild a PyTorch checkpoint from a shipped int8 sequence classifier (its weights dequantised).

For when the fp32 checkpoint behind a shipped model is gone. The int8 weights read back as floats
quantise again to the very same int8 values (max scaling per channel, or per tensor for the
embeddings, maps the largest value back onto the same step), so `export.py` run on the rebuilt
checkpoint gives the shipped weights again; `--check` compares them.

    python unquantize.py ../models/sentiment work/sentiment   # then: python export.py sentiment
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
from transformers import AutoTokenizer, BertForSequenceClassification

from common import base_model_dir


def initializers(path):
    return {i.name: numpy_helper.to_array(i) for i in onnx.load(str(path)).graph.initializer}


def onnx_names(model):
    """ONNX initializer name -> (state-dict key, stored transposed), from an fp32 export."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "template.onnx"
        ids = torch.ones(2, 16, dtype=torch.long)
        torch.onnx.export(model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(path),
                          input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=["logits"],
                          dynamic_axes={k: {0: "batch", 1: "sequence"} for k in
                                        ("input_ids", "attention_mask", "token_type_ids")} | {"logits": {0: "batch"}},
                          opset_version=17, do_constant_folding=True)
        inits = initializers(path)
    names = {}
    for key, t in model.state_dict().items():
        t = t.numpy()
        for name, a in inits.items():
            if a.shape == t.shape and np.array_equal(a, t):
                names[name] = (key, False)
            elif t.ndim == 2 and a.shape == t.T.shape and np.array_equal(a, t.T):
                names[name] = (key, True)
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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("shipped", type=Path, help="a shipped model folder (model.onnx, config.json)")
    ap.add_argument("out", type=Path, help="where the rebuilt checkpoint goes")
    args = ap.parse_args()
    cfg = json.loads((args.shipped / "config.json").read_text())
    labels = cfg["labels"]
    base = base_model_dir()
    model = BertForSequenceClassification.from_pretrained(
        base, num_labels=len(labels), id2label=dict(enumerate(labels)),
        label2id={l: i for i, l in enumerate(labels)}).eval()
    names = onnx_names(model)
    shipped = initializers(args.shipped / "model.onnx")
    state = model.state_dict()
    missing = [k for k in state if k not in {key for key, _ in names.values()} and "position_ids" not in k]
    if missing:
        raise SystemExit(f"no ONNX initializer found for {missing}")
    for name, (key, transposed) in names.items():
        a = dequantized(shipped, name)
        state[key] = torch.from_numpy(np.ascontiguousarray(a.T if transposed else a)).to(state[key].dtype)
    model.load_state_dict(state)
    model.save_pretrained(args.out)
    AutoTokenizer.from_pretrained(base).save_pretrained(args.out)
    metrics = args.shipped / "train_metrics.json"
    if metrics.exists():
        shutil.copy(metrics, args.out / "train_metrics.json")
    print(f"{args.out}: {len(names)} tensors from {args.shipped / 'model.onnx'}")


if __name__ == "__main__":
    main()
