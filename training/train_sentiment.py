"""Fine-tune all-MiniLM-L6-v2 as one 3-class sentiment model (negative / neutral / positive).

It serves two input forms, told apart by the token-type ids:
- sentence tone: one segment, the sentence;
- targeted sentiment: a pair, (sentence with the mention wrapped in "[" "]", mention).
Data: SST-2 train (binary, movie reviews), NewsMTSC train as targeted pairs, and NewsMTSC
sentences whose targets all share one polarity as sentence examples (the only source of
neutral sentences).
"""
import argparse
import json
import re
import time

import torch
from transformers import AutoTokenizer, BertForSequenceClassification

from common import DATA, WORK, base_model_dir, linear_schedule, seed_everything, write_json

LABELS = ["negative", "neutral", "positive"]
POLARITY = {2.0: 0, 4.0: 1, 6.0: 2}
MAX_LEN = 128
MARK_OPEN, MARK_CLOSE = "[", "]"


def detok_ptb(s):
    s = s.replace("-lrb-", "(").replace("-rrb-", ")")
    return re.sub(r" (n't|'s|'re|'ve|'ll|'d|'m)\b", r"\1", s).strip()


def read_sst(path, header):
    out = []
    with open(path, encoding="utf-8") as f:
        if header:
            next(f)
        for line in f:
            a, b = line.rstrip("\n").split("\t")
            label, text = (int(b), a) if header else (int(a), b)
            out.append((detok_ptb(text), None, 2 if label else 0))
    return out


def mark(sentence, start, end):
    return sentence[:start] + MARK_OPEN + sentence[start:end] + MARK_CLOSE + sentence[end:]


def read_newsmtsc(path, sentences=True):
    out = []
    for line in open(path, encoding="utf-8"):
        rec = json.loads(line)
        s = rec["sentence_normalized"]
        pols = set()
        for t in rec["targets"]:
            y = POLARITY[t["polarity"]]
            pols.add(y)
            out.append((mark(s, t["from"], t["to"]), t["mention"], y))
        if sentences and len(pols) == 1:
            out.append((s, None, pols.pop()))
    return out


def encode(tok, examples):
    enc = []
    for a, b, y in examples:
        e = tok(a, b, truncation=True, max_length=MAX_LEN)
        enc.append((e["input_ids"], e["token_type_ids"], y))
    return enc


def batches(enc, size, shuffle, gen):
    order = torch.randperm(len(enc), generator=gen).tolist() if shuffle else list(range(len(enc)))
    for s in range(0, len(order), size):
        chunk = [enc[i] for i in order[s:s + size]]
        n = max(len(e[0]) for e in chunk)
        ids = torch.zeros(len(chunk), n, dtype=torch.long)
        tt = torch.zeros_like(ids); att = torch.zeros_like(ids)
        for r, (a, b, _) in enumerate(chunk):
            ids[r, :len(a)] = torch.tensor(a); tt[r, :len(a)] = torch.tensor(b); att[r, :len(a)] = 1
        yield ids, tt, att, torch.tensor([e[2] for e in chunk])


def predict(model, enc):
    model.eval(); probs = []
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        for ids, tt, att, _ in batches(enc, 64, False, None):
            probs.append(model(input_ids=ids, token_type_ids=tt, attention_mask=att).logits.float().softmax(-1))
    model.train()
    return torch.cat(probs)


def metrics(model, sst_dev, rw):
    p = predict(model, sst_dev)
    gold = torch.tensor([e[2] for e in sst_dev])
    sst_acc = ((p[:, 2] > p[:, 0]).long() * 2 == gold).float().mean().item()
    p = predict(model, rw).argmax(-1)
    gold = torch.tensor([e[2] for e in rw])
    f1s = []
    for c in range(3):
        tp = ((p == c) & (gold == c)).sum().item(); fp = ((p == c) & (gold != c)).sum().item()
        fn = ((p != c) & (gold == c)).sum().item()
        f1s.append(2 * tp / max(1, 2 * tp + fp + fn))
    return {"sst2_dev_accuracy": sst_acc, "newsmtsc_rw_macro_f1": sum(f1s) / 3,
            "newsmtsc_rw_accuracy": (p == gold).float().mean().item()}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=4)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit", type=int, default=0, help="use only N training examples (smoke test)")
    ap.add_argument("--targeted-only", action="store_true", help="train on NewsMTSC targets only")
    ap.add_argument("--name", default="sentiment", help="output folder under training/work/")
    args = ap.parse_args()
    seed_everything(args.seed); torch.set_num_threads(2)
    base = base_model_dir()
    tok = AutoTokenizer.from_pretrained(base)
    if args.targeted_only:
        train = read_newsmtsc(DATA / "newsmtsc" / "train.jsonl", sentences=False)
    else:
        train = read_sst(DATA / "sst2" / "train.senteval.tsv", header=False)
        train += read_newsmtsc(DATA / "newsmtsc" / "train.jsonl")
    gen = torch.Generator().manual_seed(args.seed)
    if args.limit:
        train = [train[i] for i in torch.randperm(len(train), generator=gen)[:args.limit].tolist()]
    counts = [sum(1 for e in train if e[2] == c) for c in range(3)]
    print(f"train examples {len(train)} (neg/neu/pos {counts})", flush=True)
    train = encode(tok, train)
    sst_dev = encode(tok, read_sst(DATA / "sst2" / "dev.tsv", header=True))
    rw = encode(tok, read_newsmtsc(DATA / "newsmtsc" / "devtest_rw.jsonl", sentences=False))

    model = BertForSequenceClassification.from_pretrained(
        base, num_labels=3, id2label=dict(enumerate(LABELS)), label2id={l: i for i, l in enumerate(LABELS)})
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(train) + args.batch - 1) // args.batch)
    sched = linear_schedule(opt, int(0.1 * steps), steps)
    model.train(); step = 0; t0 = time.time()
    for ep in range(args.epochs):
        for ids, tt, att, y in batches(train, args.batch, True, gen):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = model(input_ids=ids, token_type_ids=tt, attention_mask=att, labels=y).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sched.step(); opt.zero_grad(); step += 1
            if step % 50 == 0:
                print(f"epoch {ep+1} step {step}/{steps} loss {loss.item():.4f} "
                      f"elapsed {(time.time()-t0)/60:.1f} min", flush=True)
        print(f"epoch {ep+1} dev {metrics(model, sst_dev, rw)}", flush=True)
    res = {"dev": metrics(model, sst_dev, rw), "train_minutes": (time.time() - t0) / 60, "args": vars(args)}
    print("final (PyTorch, bf16):", res, flush=True)
    out = WORK / args.name
    model.save_pretrained(out); tok.save_pretrained(out)
    write_json(out / "train_metrics.json", res)


if __name__ == "__main__":
    main()
