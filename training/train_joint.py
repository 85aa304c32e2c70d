"""One encoder pass per sentence for sentence tone AND the tone towards every entity in it.

    python train_joint.py --init work/sentiment --epochs 3 --teacher ../built/targeted-mpnet \
        --transfer-news work/bbc_transfer.jsonl --transfer-limit 12000   # -> work/joint (3.1, train_all.sh)
    python train_joint.py --init work/sentiment --epochs 3   # 3.0: the labelled sets only

The graph has two heads over all-MiniLM-L6-v2 (fine-tuned):
- `logits` [batch, 3]: the sentence's tone (pooler + linear, as BertForSequenceClassification);
- `token_logits` [batch, tokens, 3] = W_t h_t + W_c pooled + b: the tone towards an entity is the
  MEAN of `token_logits` over the entity's word pieces (linear, so equal to a linear head over the
  mean-pooled mention). One pass serves every entity of the sentence, where the marked-mention
  targeted model 2.x needed one pass per (entity, sentence); 3.x (train_targets.py) needs one more
  pass per sentence.
Data and splits as train_news.py (news_data.py): the targeted sets give target labels and, where
their targets agree, a sentence label; PerSenT paragraphs (train articles) give both towards the
main person; SST-2 gives sentence labels. Temperatures for both heads are fitted on dev.
With --teacher (3.1), the entity head also learns the accurate targeted model's probabilities
(T=2; half of a labelled target's loss, as train_targets.py distils), and with --transfer-news
from BBC sentences that name entities (the teacher's probabilities only; the sentence head learns
nothing from them). The teacher's probabilities come from train_targets.py's cache.
"""
import argparse
import math
import time
from pathlib import Path

import torch
from torch import nn
from transformers import AutoTokenizer, BertModel

import news_data as nd
from common import (HeadedBert, DATA, WORK, base_model_dir, length_groups, linear_schedule, padded, seed_everything,
                    train_step, write_json)
from train_news import ece, fit_temperature, macro_f1
from train_sentiment import read_sst
from train_targets import KD_T, distillation_loss, mark_all, news_sentences, teacher_probs

MAX_LEN = 128


class Joint(HeadedBert):
    def __init__(self, bert: BertModel):
        super().__init__()
        self.bert = bert
        h = bert.config.hidden_size
        self.drop = nn.Dropout(0.1)
        self.sentence = nn.Linear(h, 3)
        self.token = nn.Linear(h, 3)
        self.context = nn.Linear(h, 3, bias=False)

    def forward(self, input_ids, attention_mask, token_type_ids):
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
        pooled = self.drop(out.pooler_output)
        hidden = self.drop(out.last_hidden_state)
        logits = self.sentence(pooled)
        token_logits = self.token(hidden) + self.context(pooled).unsqueeze(1)
        return logits, token_logits


def examples(split):
    """(text, sentence label or -1, [(start, end, label)]) per set."""
    sets = {}
    for name in nd.TARGETED_SETS:
        out = []
        for r in nd.targeted_records(name, split):
            labels = {t["label"] for t in r["targets"]}
            y = labels.pop() if len(labels) == 1 else -1
            out.append((r["text"], y, [(t["from"], t["to"], t["label"]) for t in r["targets"]]))
        sets[name] = out
    if split == "train":
        out = []
        for art in nd.persent_articles("train"):
            for p in art["paragraphs"]:
                text = p["text"].strip()
                if not text:
                    continue
                y = nd.LABEL_ID[p["label"]]
                span = nd.find_person(text, art["target_entity"])
                if span is None:
                    t, _, _ = nd.clip_around(text, 0, 0, before=0, after=600)
                    out.append((t, y, []))
                else:
                    t, s, e = nd.clip_around(text, *span)
                    out.append((t, y, [(s, e, y)]))
        sets["persent"] = out
        sets["sst2"] = [(t, y, []) for t, _, y in read_sst(DATA / "sst2" / "train.senteval.tsv", header=False)]
    return sets


def encode(tok, exs, soft=None):
    """Token ids, and each target as (token indices, label, teacher probabilities or None);
    targets cut off by truncation drop. `soft`: per example, per target, probabilities or None."""
    out = []
    for n, (text, y, targets) in enumerate(exs):
        e = tok(text, truncation=True, max_length=MAX_LEN, return_offsets_mapping=True)
        spans = []
        for k, (s, t_end, label) in enumerate(targets):
            idx = [i for i, (a, b) in enumerate(e["offset_mapping"]) if b > a and a < t_end and b > s]
            p = soft[n][k] if soft else None
            if idx and (label >= 0 or p is not None):
                spans.append((idx, label, p))
        if y >= 0 or spans:
            out.append((e["input_ids"], y, spans))
    return out


def teacher_soft(teacher, exs, t=KD_T):
    """Per example, per target, the targeted teacher's probabilities at temperature t (the
    example's targets all marked, as train_targets.py marks them), or None where it lost them."""
    marked = [mark_all(text, [(s, e, k) for k, (s, e, _) in enumerate(targets)]) for text, _, targets in exs]
    probs = teacher_probs(teacher, [m for ms in marked for m in ms], t)
    out = []
    for (_, _, targets), ms in zip(exs, marked):
        row = [None] * len(targets)
        for text, marks in ms:
            for pos, k in marks:
                row[k] = probs.get((text, pos))
        out.append(row)
    return out


def batches(enc, size, gen=None):
    groups = length_groups([len(e[0]) for e in enc], size, gen)
    for g in groups:
        chunk = [enc[i] for i in g]
        ids, att = padded([e[0] for e in chunk])
        n = ids.shape[1]
        # Target pooling matrix: one row per target, averaging its tokens of its row.
        rows, cols, vals, tgt_y, tgt_p = [], [], [], [], []
        for r, (_, _, spans) in enumerate(chunk):
            for idx, label, p in spans:
                k = len(tgt_y)
                for i in idx:
                    rows.append(k)
                    cols.append(r * n + i)
                    vals.append(1.0 / len(idx))
                tgt_y.append(label)
                tgt_p.append(p if p is not None else torch.full((3,), float("nan")))
        pool = torch.sparse_coo_tensor([rows, cols], vals, (len(tgt_y), len(chunk) * n)).to_dense() \
            if tgt_y else torch.zeros(0, len(chunk) * n)
        soft = torch.stack(tgt_p) if tgt_p else torch.zeros(0, 3)
        yield g, ids, att, torch.tensor([e[1] for e in chunk]), pool, torch.tensor(tgt_y, dtype=torch.long), soft


def outputs(model, enc):
    """Sentence logits (rows with a sentence label) and target logits, with their gold labels."""
    model.eval()
    s_lg, s_y, t_lg, t_y = [], [], [], []
    with torch.no_grad():
        for _, ids, att, y, pool, ty, _ in batches(enc, 64):
            lg, tok = model(ids, att, torch.zeros_like(ids))
            keep = y >= 0
            s_lg.append(lg[keep].float())
            s_y.append(y[keep])
            t_lg.append(pool @ tok.reshape(-1, 3).float())
            t_y.append(ty)
    model.train()
    return torch.cat(s_lg), torch.cat(s_y), torch.cat(t_lg), torch.cat(t_y)


def scores(lg, y, temperature):
    if len(y) == 0:
        return None
    pred = lg.argmax(-1)
    return {"macro_f1": macro_f1(pred, y), "accuracy": (pred == y).float().mean().item(),
            "ece": ece((lg / temperature).softmax(-1), y), "n": len(y)}


def evaluate(model, sets, ts=1.0, tt=1.0):
    res = {}
    for name, enc in sets.items():
        s_lg, s_y, t_lg, t_y = outputs(model, enc)
        if name == "sst2_dev":
            p = s_lg.softmax(-1)
            res[name] = {"accuracy_binary": ((p[:, 2] > p[:, 0]).long() * 2 == s_y).float().mean().item()}
            continue
        res[name] = {"sentence": scores(s_lg, s_y, ts), "target": scores(t_lg, t_y, tt)}
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--init", type=Path, default=None, help="start from this fine-tuned sentence model")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit", type=int, default=0, help="use only N training examples (smoke test)")
    ap.add_argument("--out", type=Path, default=WORK / "joint")
    ap.add_argument("--teacher", type=Path,
                    help="a targeted teacher (e.g. ../built/targeted-mpnet): its probabilities (T=2) are half "
                         "the entity head's loss on labelled targets (distillation)")
    ap.add_argument("--transfer-news", type=Path,
                    help="with --teacher: also the sentences of this newslens annotations JSONL that name "
                         "entities (no labels: the teacher's probabilities only), as train_targets.py")
    ap.add_argument("--transfer-limit", type=int, default=0, help="use only the first N transfer sentences")
    args = ap.parse_args()
    seed_everything(args.seed)
    torch.set_num_threads(2)
    base = base_model_dir()
    tok = AutoTokenizer.from_pretrained(base)
    train_sets = examples("train")
    train = [e for v in train_sets.values() for e in v]
    gen = torch.Generator().manual_seed(args.seed)
    if args.limit:
        train = [train[i] for i in torch.randperm(len(train), generator=gen)[:args.limit].tolist()]
    if args.transfer_news:
        transfer = news_sentences(args.transfer_news)
        transfer = transfer[:args.transfer_limit] if args.transfer_limit else transfer
        train_sets["news_transfer"] = transfer
        train = train + transfer
    train = encode(tok, train, teacher_soft(args.teacher, train) if args.teacher else None)
    print("train", {k: len(v) for k, v in train_sets.items()}, "encoded", len(train),
          "targets", sum(len(e[2]) for e in train), flush=True)
    dev = {f"{k}_dev": encode(tok, v) for k, v in examples("dev").items()}
    test = {f"{k}_test": encode(tok, v) for k, v in examples("test").items()}
    dev["sst2_dev"] = encode(tok, [(t, y, []) for t, _, y in read_sst(DATA / "sst2" / "dev.tsv", header=True)])

    model = Joint(BertModel.from_pretrained(args.init or base))
    if args.init and (args.init / "model.safetensors").exists():
        from safetensors.torch import load_file
        w = load_file(str(args.init / "model.safetensors"))
        model.sentence.weight.data.copy_(w["classifier.weight"])
        model.sentence.bias.data.copy_(w["classifier.bias"])
        print("sentence head from", args.init, flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * math.ceil(len(train) / args.batch)
    sched = linear_schedule(opt, int(0.1 * steps), steps)
    model.train()
    ce = nn.CrossEntropyLoss()
    step, t0 = 0, time.time()
    for ep in range(args.epochs):
        for _, ids, att, y, pool, ty, soft in batches(train, args.batch, gen):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                lg, tok_lg = model(ids, att, torch.zeros_like(ids))
            keep = y >= 0
            loss = torch.zeros(())
            if keep.any():
                loss = loss + ce(lg[keep].float(), y[keep])
            if len(ty):
                t_lg = pool @ tok_lg.reshape(-1, 3).float()
                labelled, taught = ty >= 0, ~soft.isnan().any(-1)
                if not args.teacher:
                    loss = loss + ce(t_lg, ty)
                else:
                    # Labelled targets: half CE, half KD (T=2, x4); teacher-only targets: KD only.
                    kd = distillation_loss(t_lg, soft.nan_to_num(1 / 3))
                    ce_t = nn.functional.cross_entropy(t_lg, ty.clamp(min=0), reduction="none")
                    per = torch.where(labelled & taught, 0.5 * ce_t + 0.5 * kd, torch.where(labelled, ce_t, kd))
                    loss = loss + per.mean()
            step += 1
            train_step(model, opt, sched, loss, step, steps, ep + 1, t0)
        print(f"epoch {ep+1} dev {evaluate(model, dev)}", flush=True)
    minutes = (time.time() - t0) / 60
    dev_all = [e for k, v in dev.items() if k != "sst2_dev" for e in v]
    s_lg, s_y, t_lg, t_y = outputs(model, dev_all)
    ts, tt = fit_temperature(s_lg, s_y), fit_temperature(t_lg, t_y)
    res = {"task": "joint", "temperature": ts, "target_temperature": tt,
           "dev": evaluate(model, dev, ts, tt), "test": evaluate(model, test, ts, tt),
           "train_minutes": minutes, "args": {k: str(v) for k, v in vars(args).items()},
           "train_examples": {k: len(v) for k, v in train_sets.items()}}
    print("final (PyTorch fp32):", res, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    tok.save_pretrained(args.out)
    write_json(args.out / "train_metrics.json", res)


if __name__ == "__main__":
    main()
