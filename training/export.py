"""Export a fine-tuned model to ONNX, quantise it to int8, write models/<name>/.

Weights are int8 per channel; activations get one scale PER ROW (rowwise.py), so a text's output
never depends on the other texts of its batch. The temperature fitted on the dev splits
(train_metrics.json) goes into config.json.

    python export.py ner        # work/ner       -> models/ner/
    python export.py sentiment  # work/sentiment -> models/sentiment/
    python export.py joint      # work/joint     -> models/joint/ (sentence tone + entity head)
    python export.py fused      # work/fused     -> models/ner-tone/ (NER + sentence tone, one pass)
    python export.py targets    # work/targets   -> models/targeted/ (every mention of a sentence marked)
    python export.py targeted   # work/targeted  -> models/targeted/ (2.x: one marked mention per pass)
    python export.py targets-mpnet  # work/targets-mpnet -> built/targeted-mpnet/ (accurate, not shipped: 110 MB)
The fp32 graph stays in work/<name>/onnx-fp32/ for the int8-vs-fp32 comparison.
"""
import argparse
import json
import shutil
from pathlib import Path

import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from tokenizers import Tokenizer
from transformers import AutoModelForSequenceClassification, AutoModelForTokenClassification

import onnx

from last_layer import ClsOnly, MarksOnly, check_same
from common import MODELS, N_CASING, WORK, write_json
from rowwise import make_rowwise

# 1.x: first models; ner 1.1: per-row activation scales; sentiment/targeted 2.x: trained on news.
# joint 3.x: one pass per sentence gives its tone and (token_logits) the tone towards each entity.
# x.y.1: the per-row quantisation as one QuantizeLinear (same weights; ~10% faster).
# ner 1.2: decoding weighs O by 4 (outside_weight, chosen on CoNLL valid with a train-only model).
# x.y.2: MatMulInteger+Cast+Mul written as one MatMulIntegerToFloat (same output, ~5% faster).
# ner 1.3: a mention the model is less than 95% sure of takes its name's type in the article
# (type_vote_below, chosen on CoNLL valid with the train-only model).
# targets 3.1: a person's tone also reads the sentences that call them "he"/"she" (pronoun_reach,
# chosen by 5-fold CV of the entity-tone layer on PerSenT's held-out articles; same weights).
# targets-mpnet 4.0: the targeted recipe on all-mpnet-base-v2 (12 layers, 768 wide): the accurate
# option, built by build_targeted_mpnet.sh into built/, not shipped (110 MB; docs/targeted-mpnet.md).
# targets 3.2: the entity-tone layer also learns from PerSenT's training articles, cross-fitted
# (same weights). targets 3.3: distilled from targets-mpnet, also on CoNLL and BBC sentences.
# joint 3.1: its entity head distilled from targets-mpnet, also on BBC sentences.
# ner 1.4: trained on sentence windows (train_ner.py --windows sentence) and read through them
# by default (window_margin 4): 17% fewer model tokens than fixed windows, CoNLL valid F1 0.9442
# with a train-only model against 0.9438 for 1.3's recipe on fixed windows. A full name's last
# word standing alone elsewhere is that person when the model gives it 5% PER (surname_reach).
# sentiment 2.0.3: the last layer computes only [CLS], all the classifier reads; targets 3.3.1: only
# the opening markers, all the marker head reads (last_layer.py; same weights, same outputs read up
# to float rounding, fewer multiply-adds).
VERSIONS = {"ner": "1.4.0", "sentiment": "2.0.3", "targeted": "2.0.2", "joint": "3.1.0", "targets": "3.3.1",
            "targets-mpnet": "4.0.0", "targets-cf0": "3.3.0-cf0", "targets-cf1": "3.3.0-cf1",
            "sentiment-cf0": "2.0.2-cf0", "sentiment-cf1": "2.0.2-cf1",
            "sentiment-kd": "2.1.0-candidate", "sentiment-mpnet": "5.0.0", "fused": "1.1.0"}
SPECS = {
    "ner": {
        "loader": AutoModelForTokenClassification,
        "config": {
            "name": "newslens-ner-minilm",
            "task": "token-classification",
            "token_type_ids": "casing",
            "casing_classes": N_CASING,
            "max_length": 128,
            "outside_weight": 4,
            "type_vote_below": 0.95,
            "window_margin": 4,
            "surname_reach": 0.05,
        },
    },
    "sentiment": {
        "loader": AutoModelForSequenceClassification,
        "config": {
            "name": "newslens-sentiment-minilm",
            "task": "sequence-classification",
            "token_type_ids": "segments",
            "max_length": 128,
            "target_markers": ["[", "]"],
            "targeted": True,
        },
        "cls_only": True,
    },
}
SPECS["joint"] = {
    "loader": None,
    "module": ("train_joint", "Joint"),
    "outputs": ["logits", "token_logits"],
    "config": {
        "name": "newslens-joint-minilm",
        "task": "sequence-classification",
        "token_type_ids": "segments",
        "max_length": 128,
        "entity_head": "tokens",
    },
}
# ner-tone 1.0 (fused, opt-in): NER 1.4 continued with a tone head over every token; a sentence's
# tone is the attention-pooled mean of its tokens' logits, read off the NER windows (train_fused.py).
# ner-tone 1.1: the average of 1.0 and 1.0 trained 2 more epochs with KL to near-uniform tone (its
# "teacher" was an untrained checkpoint: models/ner-tone/README.md; train_fused.py --teacher uniform).
SPECS["fused"] = {"loader": None, "module": ("train_fused", "Fused"), "dst": "ner-tone",
                  "outputs": ["logits", "token_logits"], "token_outputs": True,
                  "config": dict(SPECS["ner"]["config"], name="newslens-ner-tone-minilm", tone_head="sentences",
                                 tone_labels=["negative", "neutral", "positive"])}
SPECS["targeted"] = {"loader": AutoModelForSequenceClassification,
                     "config": dict(SPECS["sentiment"]["config"], name="newslens-targeted-minilm")}
# targeted 3.x: every mention of a sentence marked, each read at its opening marker (one pass).
SPECS["targets"] = {"loader": None, "module": ("train_targets", "Targets"), "dst": "targeted",
                    "token_outputs": True, "marks_only": True,
                    "config": dict(SPECS["targeted"]["config"], task="marked-mention-classification",
                                   target_head="marker", pronoun_reach=3)}
# Two targeted models, each trained without half of PerSenT's training articles
# (--persent-leave-out): not shipped, their features of the articles they did not see cross-fit
# the entity-tone layer (fit_entity_tone.py --crossfit). Export with --out work/crossfit. The two
# sentence models likewise (train_news.py --persent-leave-out) measured the article's tone as a
# cross-fitted feature: no gain over the targeted features (0.488 vs 0.485), so the layer skips it.
for _k in (0, 1):
    SPECS[f"targets-cf{_k}"] = dict(SPECS["targets"], dst=f"targets-cf{_k}")
    SPECS[f"sentiment-cf{_k}"] = dict(SPECS["sentiment"], dst=f"sentiment-cf{_k}")
# A sentence model distilled from an all-mpnet-base-v2 sentence teacher (train_news.py --teacher
# work/sentiment-mpnet --transfer-news ...), exported for comparison with --out (session 18: not
# kept, models/sentiment/README.md).
SPECS["sentiment-kd"] = dict(SPECS["sentiment"], dst="sentiment-kd")
# The sentence teacher of session 18 (train_news.py --encoder mpnet): an accurate sentence model,
# built on demand (build_sentiment_mpnet.sh), not shipped; exported whole (ClsOnly is for BERT).
SPECS["sentiment-mpnet"] = dict(SPECS["sentiment"], dst="sentiment-mpnet", root=MODELS.parent / "built",
                                cls_only=False,
                                config=dict(SPECS["sentiment"]["config"], name="newslens-sentiment-mpnet"))
SPECS["targets-mpnet"] = dict(SPECS["targets"], dst="targeted-mpnet", root=MODELS.parent / "built", marks_only=False,
                              config=dict(SPECS["targets"]["config"], name="newslens-targeted-mpnet"))


class WithoutTokenTypes(torch.nn.Module):
    """A Hugging Face sequence classifier whose encoder takes no token types (MPNet): the export's
    third input is accepted and unused (so it leaves the graph), never read as position ids."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.model(input_ids=input_ids, attention_mask=attention_mask).logits


def read_only_where_read(spec, model, src):
    """`model` with its last layer cut to the positions read (last_layer.py), as the spec asks."""
    if spec.get("cls_only"):
        return ClsOnly(model).eval()
    if spec.get("marks_only"):
        marker = Tokenizer.from_file(str(src / "tokenizer.json")).token_to_id(spec["config"]["target_markers"][0])
        return MarksOnly(model, marker).eval()
    return model


def module_class(spec):
    """The training module class of a spec without a Hugging Face loader."""
    import importlib
    module, cls = spec["module"]
    return getattr(importlib.import_module(module), cls)


def to_onnx(model, name, path):
    """`model` (SPECS[name]'s kind) as an fp32 ONNX graph with dynamic batch and sequence axes."""
    spec = SPECS[name]
    ids = torch.ones(2, 16, dtype=torch.long)
    torch.onnx.export(
        model, (ids, torch.ones_like(ids), torch.zeros_like(ids)), str(path),
        input_names=["input_ids", "attention_mask", "token_type_ids"], output_names=spec.get("outputs", ["logits"]),
        dynamic_axes={"input_ids": {0: "batch", 1: "sequence"}, "attention_mask": {0: "batch", 1: "sequence"},
                      "token_type_ids": {0: "batch", 1: "sequence"}, "logits": {0: "batch"} | (
                          {1: "sequence"} if name == "ner" or spec.get("token_outputs") else {}),
                      "token_logits": {0: "batch", 1: "sequence"}},
        opset_version=17, do_constant_folding=True)


def export(name, out_root=None, quantize=True):
    spec = SPECS[name]
    out_root = out_root or spec.get("root", MODELS)
    src = WORK / name
    if spec["loader"] is None:
        model = module_class(spec).load(src).eval()
        labels = ["negative", "neutral", "positive"]
        if hasattr(model, "ner"):  # fused: NER labels, tone from token_logits
            labels = [model.ner.config.id2label[i] for i in range(model.ner.config.num_labels)]
    else:
        model = spec["loader"].from_pretrained(src).eval()
        labels = [model.config.id2label[i] for i in range(model.config.num_labels)]
        if model.config.model_type != "bert":  # MPNet: no token types
            model = WithoutTokenTypes(model).eval()
    cut = read_only_where_read(spec, model, src)
    if cut is not model:
        worst = check_same(model, cut, src / "tokenizer.json", getattr(cut, "marker", None))
        print(f"{name}: the cut last layer moves the outputs read by at most {worst:.1e}")
    model = cut
    fp32_dir = src / "onnx-fp32"
    fp32_dir.mkdir(parents=True, exist_ok=True)
    fp32 = fp32_dir / "model.onnx"
    to_onnx(model, name, fp32)
    dst = out_root / spec.get("dst", name)
    dst.mkdir(parents=True, exist_ok=True)
    metrics = src / "train_metrics.json"
    trained = json.loads(metrics.read_text()) if metrics.exists() else {}
    temperature = trained.get("temperature")
    if quantize:
        dynamic = src / "onnx-fp32" / "dynamic.onnx"
        quantize_dynamic(str(fp32), str(dynamic), per_channel=True, weight_type=QuantType.QInt8,
                         op_types_to_quantize=["MatMul", "Gather"])
        onnx.save(make_rowwise(onnx.load(str(dynamic))), str(dst / "model.onnx"))
        dynamic.unlink()
    tok = Tokenizer.from_file(str(src / "tokenizer.json"))
    tok.no_truncation(); tok.no_padding()
    for d in (dst, fp32_dir):
        tok.save(str(d / "tokenizer.json"))
        cfg = dict(spec["config"], version=VERSIONS[name],
                   labels=labels,
                   precision="int8 (per-row activation scales, per-channel weights)" if d == dst else "fp32")
        if temperature:
            cfg["temperature"] = round(temperature, 4)
        if trained.get("target_temperature"):
            cfg["target_temperature"] = round(trained["target_temperature"], 4)
        write_json(d / "config.json", cfg)
    if metrics.exists():
        shutil.copy(metrics, dst / "train_metrics.json")
    print(f"{name}: fp32 {fp32.stat().st_size/1e6:.1f} MB, int8 {(dst/'model.onnx').stat().st_size/1e6:.1f} MB")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("names", nargs="+", choices=sorted(SPECS))
    ap.add_argument("--out", type=Path, help="where model folders go (default: models/; built/ for targets-mpnet)")
    args = ap.parse_args()
    for n in args.names:
        export(n, args.out)
