#!/usr/bin/env python3
"""Throughput benchmark: newslens against the peers, on the same machine, models and threads.

    python bench/bench.py                 # fixed subset (first 300 BBC articles) + bundled corpus
    python bench/bench.py --full          # also the whole BBC corpus (2,225 articles)

Systems (each run in its own process, so peak RSS is its own):
  newslens      target/release/newslens annotate --entity-sentiment sentence
  ort-python    the same ONNX models from Python onnxruntime, a straightforward loop
  transformers  Hugging Face pipelines (token-classification, aggregation "simple", stride;
                text-classification) on the PyTorch weights (training/work/, from train_all.sh)
Workload, the same for all: NER over every whole article, sentiment of every sentence.
Prints articles/s, characters/s, wall time, peak RSS, ratios newslens/peer, entity F1 between
outputs, and the raw ONNX Runtime ceiling (tokens/s, full batches of 32 x 128, int8).
"""
import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("NEWSLENS_DATA", ROOT.parent / "shared" / "data"))
sys.path.insert(0, str(ROOT / "training"))
SENT = re.compile(r"(?<=[.!?])[\"”’)]*\s+(?=[^a-z\s])")


def sentences(text):
    for line in text.split("\n"):
        if line.strip():
            yield from (s for s in SENT.split(line) if s.strip())


def timed(cmd):
    """Runs cmd; returns (wall seconds, peak RSS MB, stderr)."""
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    err = p.stderr.read()
    _, status, usage = os.wait4(p.pid, 0)
    wall = time.time() - t0
    if status != 0:
        sys.exit(f"{cmd[0]} failed:\n{err}")
    return wall, usage.ru_maxrss / 1024, err


# ---------------------------------------------------------------- peers (run in child processes)
def casing_types(text, tokens, offsets):
    from common import casing_class
    out, i = [0] * len(tokens), 0
    while i < len(tokens):
        j = i + 1
        while j < len(tokens) and tokens[j].startswith("##"):
            j += 1
        c = casing_class(text[offsets[i][0]:offsets[j - 1][1]])
        out[i:j] = [c] * (j - i)
        i = j
    return out


def peer_ort(inp, out, threads):
    import numpy as np
    import onnxruntime as ort
    from tokenizers import Tokenizer
    so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.inter_op_num_threads = 1
    ner = ort.InferenceSession(str(ROOT / "models/ner/model.onnx"), so, providers=["CPUExecutionProvider"])
    sen = ort.InferenceSession(str(ROOT / "models/sentiment/model.onnx"), so, providers=["CPUExecutionProvider"])
    ntok = Tokenizer.from_file(str(ROOT / "models/ner/tokenizer.json"))
    stok = Tokenizer.from_file(str(ROOT / "models/sentiment/tokenizer.json"))
    stok.enable_truncation(128)
    labels = json.load(open(ROOT / "models/ner/config.json"))["labels"]
    cls, sep = ntok.token_to_id("[CLS]"), ntok.token_to_id("[SEP]")
    with open(out, "w") as f:
        for line in open(inp):
            a = json.loads(line)
            text = a["text"]
            enc = ntok.encode(text, add_special_tokens=False)
            n = len(enc.ids)
            types = casing_types(text, enc.tokens, enc.offsets)
            wins, s = [], 0
            while n and True:
                e = min(s + 126, n); wins.append((s, e))
                if e == n: break
                s += 94
            best = [None] * n
            if wins:
                width = max(e - s for s, e in wins) + 2
                ids = np.zeros((len(wins), width), np.int64); tt = np.zeros_like(ids); am = np.zeros_like(ids)
                for r, (s, e) in enumerate(wins):
                    ids[r, :e - s + 2] = [cls] + enc.ids[s:e] + [sep]; tt[r, 1:e - s + 1] = types[s:e]; am[r, :e - s + 2] = 1
                logits = ner.run(None, {"input_ids": ids, "attention_mask": am, "token_type_ids": tt})[0]
                for r, (s, e) in enumerate(wins):
                    for t in range(s, e):
                        m = min(t - s, e - 1 - t)
                        if best[t] is None or m > best[t][0]:
                            best[t] = (m, int(logits[r, t - s + 1].argmax()))
            ents, cur = [], None
            for t in range(n):
                lab = labels[best[t][1]]
                if lab == "O" or lab.startswith("B-") or (cur and cur[2] != lab[2:]):
                    if cur: ents.append(cur); cur = None
                if lab != "O":
                    if cur is None: cur = [enc.offsets[t][0], enc.offsets[t][1], lab[2:]]
                    else: cur[1] = enc.offsets[t][1]
            if cur: ents.append(cur)
            sents = list(sentences(text))
            probs = []
            for b in range(0, len(sents), 32):
                encs = stok.encode_batch(sents[b:b + 32])
                w = max(len(x.ids) for x in encs)
                ids = np.zeros((len(encs), w), np.int64); am = np.zeros_like(ids)
                for r, x in enumerate(encs):
                    ids[r, :len(x.ids)] = x.ids; am[r, :len(x.ids)] = 1
                lg = sen.run(None, {"input_ids": ids, "attention_mask": am, "token_type_ids": np.zeros_like(ids)})[0]
                ex = np.exp(lg - lg.max(-1, keepdims=True)); probs += (ex / ex.sum(-1, keepdims=True)).tolist()
            f.write(json.dumps({"id": a["id"], "entities": ents, "sentences": len(probs)}) + "\n")


def peer_transformers(inp, out, threads):
    import torch
    from transformers import (AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer,
                              TokenClassificationPipeline, pipeline)
    torch.set_num_threads(threads)
    work = ROOT / "training" / "work"
    tok = AutoTokenizer.from_pretrained(work / "ner"); tok.model_max_length = 128

    class CasedNER(TokenClassificationPipeline):
        """The stock pipeline, with the casing classes our NER model reads as token types."""
        def preprocess(self, sentence, offset_mapping=None, **kw):
            for inputs in super().preprocess(sentence, offset_mapping=offset_mapping, **kw):
                toks = self.tokenizer.convert_ids_to_tokens(inputs["input_ids"][0])
                offs = inputs["offset_mapping"][0].tolist()
                special = inputs["special_tokens_mask"][0].tolist()
                tt = casing_types(sentence, toks, offs)
                inputs["token_type_ids"] = torch.tensor([[0 if sp else c for c, sp in zip(tt, special)]])
                yield inputs

    ner = CasedNER(model=AutoModelForTokenClassification.from_pretrained(work / "ner"), tokenizer=tok,
                   aggregation_strategy="simple", stride=32, device=-1)
    sen = pipeline("text-classification", model=str(work / "sentiment"), top_k=None, device=-1)
    with open(out, "w") as f, torch.inference_mode():
        for line in open(inp):
            a = json.loads(line)
            ents = [[e["start"], e["end"], e["entity_group"]] for e in ner(a["text"], batch_size=8)]
            sents = list(sentences(a["text"]))
            res = sen(sents, batch_size=32, truncation=True, max_length=128) if sents else []
            f.write(json.dumps({"id": a["id"], "entities": ents, "sentences": len(res)}) + "\n")


# ---------------------------------------------------------------- driver
def spans_newslens(path):
    out = {}
    for line in open(path):
        a = json.loads(line)
        out[a["id"]] = {(m["start"], m["end"], m["label"]) for e in a["entities"] for m in e["mentions"]}
    return out


def spans_peer(path):
    return {a["id"]: {tuple(e) for e in a["entities"]} for a in map(json.loads, open(path))}


def f1(a, b):
    tp = sum(len(a[k] & b.get(k, set())) for k in a)
    na, nb = sum(map(len, a.values())), sum(map(len, b.values()))
    return 2 * tp / max(1, na + nb)


def ceiling(threads):
    import numpy as np
    import onnxruntime as ort
    so = ort.SessionOptions(); so.intra_op_num_threads = threads
    out = {}
    for name in ("ner", "sentiment"):
        s = ort.InferenceSession(str(ROOT / f"models/{name}/model.onnx"), so, providers=["CPUExecutionProvider"])
        ids = np.random.default_rng(0).integers(1000, 20000, (32, 128)).astype(np.int64)
        feed = {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.ones_like(ids)}
        s.run(None, feed); t0 = time.time(); k = 0
        while time.time() - t0 < 5:
            s.run(None, feed); k += 1
        out[name] = k * ids.size / (time.time() - t0)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", choices=["ort", "transformers"])
    ap.add_argument("--input"); ap.add_argument("--output")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--subset", type=int, default=300)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--skip-transformers", action="store_true")
    args = ap.parse_args()
    if args.peer:
        return (peer_ort if args.peer == "ort" else peer_transformers)(args.input, args.output, args.threads)

    bbc = DATA / "news_corpus" / "bbc_news_2225.jsonl"
    if not bbc.exists():
        sys.exit(f"SKIPPED: {bbc} is absent (set NEWSLENS_DATA)")
    exe = ROOT / "target" / "release" / "newslens"
    tmp = Path(tempfile.mkdtemp(prefix="newslens-bench-"))
    records = [json.loads(l) for l in open(bbc)]
    seeds = [{"id": p.name, "text": p.read_text()} for p in sorted((ROOT / "corpus").glob("*.txt"))]
    corpora = [("bundled (5)", seeds), (f"BBC subset ({args.subset})", records[:args.subset])]
    if args.full:
        corpora.append(("BBC full (2225)", records))
    have_pt = (ROOT / "training/work/ner/config.json").exists() and (ROOT / "training/work/sentiment/config.json").exists()
    print(f"machine: {os.cpu_count()} cores; threads {args.threads}; date {time.strftime('%Y-%m-%d')}")
    ceil = ceiling(args.threads)
    print(f"ceiling (raw ONNX Runtime, int8, batch 32 x 128, {args.threads} threads): "
          f"ner {ceil['ner']:.0f} tokens/s, sentiment {ceil['sentiment']:.0f} tokens/s")
    for name, recs in corpora:
        inp = tmp / "in.jsonl"
        inp.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in recs))
        (tmp / "one.jsonl").write_text(json.dumps({"id": recs[0]["id"], "text": recs[0]["text"]}) + "\n")
        chars = sum(len(r["text"]) for r in recs)
        rows = {}
        wall, rss, err = timed([str(exe), "annotate", str(inp), "-o", str(tmp / "nl.jsonl"),
                                "--threads", str(args.threads), "--entity-sentiment", "sentence"])
        m = re.search(r"\((\d+) model tokens", err)
        tokens = int(m.group(1)) if m else 0
        rows["newslens"] = (wall, rss)
        wall_t, _, _ = timed([str(exe), "annotate", str(inp), "-o", str(tmp / "nlt.jsonl"), "--quiet", "--threads", str(args.threads)])
        rows["newslens (targeted)"] = (wall_t, None)
        start_wall, _, _ = timed([str(exe), "annotate", str(tmp / "one.jsonl"), "-o", str(tmp / "one.out"), "--quiet"])
        rows["ort-python"] = timed([sys.executable, __file__, "--peer", "ort", "--input", str(inp), "--output", str(tmp / "ort.jsonl"), "--threads", str(args.threads)])[:2]
        if have_pt and not args.skip_transformers:
            rows["transformers"] = timed([sys.executable, __file__, "--peer", "transformers", "--input", str(inp), "--output", str(tmp / "tf.jsonl"), "--threads", str(args.threads)])[:2]
        tps = tokens / rows["newslens"][0]
        print(f"\n## {name}: {len(recs)} articles, {chars} chars; newslens fed {tokens} model tokens: "
              f"{tps:.0f} tokens/s end to end, {100 * tps / min(ceil.values()):.0f}% of the raw ceiling")
        print(f"| system | wall s | articles/s | chars/s | peak RSS MB | newslens speed-up |")
        print("|---|---|---|---|---|---|")
        base = rows["newslens"][0]
        for sys_name, (w, r) in rows.items():
            rss_s = f"{r:.0f}" if r else "-"
            print(f"| {sys_name} | {w:.2f} | {len(recs) / w:.1f} | {chars / w:.0f} | {rss_s} | {w / base:.2f}x |")
        nl = spans_newslens(tmp / "nl.jsonl")
        print(f"start-up (models loaded, one article annotated, process exit): {start_wall:.2f} s")
        print(f"entity F1 newslens vs ort-python: {f1(nl, spans_peer(tmp / 'ort.jsonl')):.3f}", end="")
        if "transformers" in rows:
            print(f"; vs transformers: {f1(nl, spans_peer(tmp / 'tf.jsonl')):.3f}", end="")
        print()


if __name__ == "__main__":
    main()
