"""Check an exported graph: does a row's output depend on its batch-mates? How far from a reference?

    python check_graph.py MODEL_DIR [--reference OTHER_DIR] [--rows 32] [--speed]

Inputs are real sentences from the bundled corpus (and BBC articles when ../shared is there),
tokenised with the model's tokenizer. Prints the largest change of a row's logits between the row
alone and the row among 31 others of other lengths, and (with --reference) the cosine and label
agreement of the logits against the reference graph (e.g. fp32).
"""
import argparse
import json
import time
from pathlib import Path

import numpy as np
import onnxruntime as ort
from tokenizers import Tokenizer

ROOT = Path(__file__).resolve().parent.parent


def texts(n):
    out = []
    for p in sorted((ROOT / "corpus").glob("*.txt")):
        out += [line.strip() for line in p.read_text().splitlines() if len(line.strip()) > 40]
    bbc = ROOT.parent / "shared" / "data" / "news_corpus" / "bbc_news_2225.jsonl"
    if bbc.exists():
        for line in bbc.open():
            out += [s.strip() + "." for s in json.loads(line)["text"].split(". ") if len(s) > 40]
            if len(out) > 4 * n:
                break
    return out[:n]


def session(d, threads=1):
    so = ort.SessionOptions()
    so.intra_op_num_threads = threads
    so.inter_op_num_threads = 1
    return ort.InferenceSession(str(Path(d) / "model.onnx"), so, providers=["CPUExecutionProvider"])


def encode(tok, batch, max_len=128):
    enc = [tok.encode(t) for t in batch]
    width = min(max_len, max(len(e.ids) for e in enc))
    ids = np.zeros((len(enc), width), np.int64)
    mask = np.zeros_like(ids)
    for r, e in enumerate(enc):
        k = min(width, len(e.ids))
        ids[r, :k] = e.ids[:k]
        mask[r, :k] = 1
    return ids, mask


def run(sess, ids, mask):
    feeds = {"input_ids": ids, "attention_mask": mask}
    if any(i.name == "token_type_ids" for i in sess.get_inputs()):
        feeds["token_type_ids"] = np.zeros_like(ids)
    return sess.run(None, feeds)[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--reference")
    ap.add_argument("--rows", type=int, default=32)
    ap.add_argument("--speed", action="store_true")
    args = ap.parse_args()
    tok = Tokenizer.from_file(str(Path(args.model) / "tokenizer.json"))
    tok.no_truncation()
    tok.no_padding()
    sess = session(args.model)
    sample = texts(4 * args.rows)
    worst = 0.0
    for b in range(0, len(sample), args.rows):
        batch = sample[b:b + args.rows]
        ids, mask = encode(tok, batch)
        together = run(sess, ids, mask)
        for r in range(len(batch)):
            n = int(mask[r].sum())
            alone = run(sess, ids[r:r + 1, :n], mask[r:r + 1, :n])
            worst = max(worst, float(np.abs(alone[0] - together[r][:n] if together.ndim == 3 else alone[0] - together[r]).max()))
    print(f"{args.model}: largest change of a row's logits with its batch-mates: {worst:.3g}")
    if args.reference:
        ref = session(args.reference)
        cos, agree, total = [], 0, 0
        for b in range(0, len(sample), args.rows):
            ids, mask = encode(tok, sample[b:b + args.rows])
            a, r = run(sess, ids, mask), run(ref, ids, mask)
            if a.ndim == 3:
                keep = mask.astype(bool)
                a, r = a[keep], r[keep]
            for x, y in zip(a, r):
                cos.append(float(np.dot(x, y) / (np.linalg.norm(x) * np.linalg.norm(y) + 1e-12)))
            agree += int((a.argmax(-1) == r.argmax(-1)).sum())
            total += len(a)
        print(f"vs {args.reference}: mean cosine {np.mean(cos):.6f}, min {np.min(cos):.6f}, "
              f"label agreement {agree / total:.4f} over {total} rows")
    if args.speed:
        ids, mask = encode(tok, sample[:args.rows])
        ids = np.ascontiguousarray(np.resize(ids, (args.rows, 128)))
        mask = np.ones_like(ids)
        run(sess, ids, mask)
        t0 = time.perf_counter()
        for _ in range(3):
            run(sess, ids, mask)
        dt = (time.perf_counter() - t0) / 3
        print(f"speed: {ids.size / dt:,.0f} tokens/s (one thread, {args.rows} x 128)")


if __name__ == "__main__":
    main()
