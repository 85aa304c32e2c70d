"""Fine-tune all-MiniLM-L6-v2 for news tone, 3 classes (negative / neutral / positive).

    python train_news.py --task targeted   # work/targeted: sentiment towards a marked mention
    python train_news.py --task sentence   # work/sentiment: the tone of a sentence
    python train_news.py --task sentence --init work/sentiment --teacher work/sentiment --layers 3 \
        --out sentiment-l3                  # experiment (not kept): a distilled 3-layer student
    python train_news.py --task sentence --encoder mpnet --epochs 2 --lr 3e-5 --out sentiment-mpnet
                                            # a sentence teacher: all-mpnet-base-v2 (not shipped)
    python train_news.py --task sentence --teacher work/sentiment-mpnet --epochs 2 \
        --transfer-news work/bbc_transfer.jsonl --out sentiment-kd   # its MiniLM student (session 18:
                                            # not kept, models/sentiment/README.md)
    python teacher_gate.py work/sentiment-mpnet work/sentiment   # two teachers, alone and averaged, on dev
                                            # (session 22: the average failed its gate; --teacher A B)

Targeted data: NewsMTSC train, SEntFiN, FinEntity and SemEval-2017 headlines (their train splits,
see news_data.py), and PerSenT paragraphs towards the article's main person (train articles only).
Sentence data: SST-2 train, every targeted record whose targets agree (as a target-free sentence
label), and PerSenT paragraphs. The temperature that calibrates the probabilities is fitted on the
dev splits after training (written to train_metrics.json, then to the model's config.json).
With --teacher, every example's loss is half cross-entropy, half KL to the teacher's probabilities
at T = 2 (x4); --transfer-news sentences (unlabelled news) add the KL term only. The teacher reads
each text with its own tokenizer, once: its logits are cached in work/teacher_cache.
"""
import argparse
import hashlib
import json
import math
import time
from pathlib import Path

import torch
from transformers import AutoModelForSequenceClassification, AutoTokenizer

import news_data as nd
from common import (DATA, WORK, base_model_dir, length_groups, linear_schedule, padded, seed_everything,
                    teacher_model_dir, train_step, write_json)
from train_sentiment import read_sst

MAX_LEN = 128
KD_T = 2.0  # distillation temperature


def encode(tok, examples):
    out = []
    for a, b, y in examples:
        e = tok(a, b, truncation="only_first" if b else True, max_length=MAX_LEN)
        out.append((e["input_ids"], e.get("token_type_ids", [0] * len(e["input_ids"])), y))  # mpnet: none
    return out


def batches(enc, size, gen=None):
    """Batches of similar length (shuffled pools sorted by length), in shuffled order."""
    groups = length_groups([len(e[0]) for e in enc], size, gen)
    for g in groups:
        chunk = [enc[i] for i in g]
        ids, att = padded([e[0] for e in chunk])
        tt, _ = padded([e[1] for e in chunk])
        yield g, ids, tt, att, torch.tensor([e[2] for e in chunk])


def forward(model, ids, tt, att):
    """A sequence classifier's logits (a BERT encoder takes token types; MPNet has none)."""
    types = {"token_type_ids": tt} if model.config.model_type == "bert" else {}
    return model(input_ids=ids, attention_mask=att, **types).logits


def logits_of(model, enc, bf16=False):
    model.eval()
    out = torch.zeros(len(enc), 3)
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
        for g, ids, tt, att, _ in batches(enc, 64):
            out[g] = forward(model, ids, tt, att).float()
    model.train()
    return out


def teacher_logits(teacher, texts, prefix="sentence", bf16=False):
    """A fine-tuned sentence classifier's logits for `texts` (each read alone, with the teacher's
    own tokenizer), cached under work/teacher_cache by the teacher's weights and the texts."""
    weights = hashlib.md5((Path(teacher) / "model.safetensors").read_bytes()).hexdigest()
    key = hashlib.md5((weights + "\n" + "\n".join(texts)).encode()).hexdigest()[:12]
    cache = WORK / "teacher_cache" / f"{prefix}-{key}.pt"
    if cache.exists():
        return torch.load(cache)
    model = AutoModelForSequenceClassification.from_pretrained(teacher)
    out = logits_of(model, encode(AutoTokenizer.from_pretrained(teacher), [(t, None, 0) for t in texts]), bf16)
    cache.parent.mkdir(parents=True, exist_ok=True)
    torch.save(out, cache)
    return out


def teacher_soft(teacher, texts, prefix="sentence"):
    """A teacher's probabilities at T = KD_T, as its student learns them (read through bf16 autocast)."""
    return (teacher_logits(teacher, texts, prefix, bf16=True) / KD_T).softmax(-1)


def teacher_probabilities(teachers, texts):
    """The mean over `teachers` of their probabilities at T = KD_T."""
    return torch.stack([teacher_soft(t, texts) for t in teachers]).mean(0)


def transfer_sentences(path, min_chars=30):
    """Unlabelled transfer examples: every sentence of at least `min_chars` characters of a
    newslens annotations JSONL (e.g. work/bbc_transfer.jsonl, BBC articles), as (text, None, -1)."""
    out = []
    for line in open(path, encoding="utf-8"):
        rec = json.loads(line)
        out += [(s["text"], None, -1) for s in rec.get("sentences", []) if len(s["text"]) >= min_chars]
    return out


def macro_f1(pred, gold):
    f1s = []
    for c in range(3):
        tp = ((pred == c) & (gold == c)).sum().item()
        fp = ((pred == c) & (gold != c)).sum().item()
        fn = ((pred != c) & (gold == c)).sum().item()
        f1s.append(2 * tp / max(1, 2 * tp + fp + fn))
    return sum(f1s) / 3


def ece(probs, gold, bins=10):
    conf, pred = probs.max(-1)
    total = 0.0
    for b in range(bins):
        m = (conf > b / bins) & (conf <= (b + 1) / bins)
        if m.any():
            total += m.float().mean().item() * abs((pred[m] == gold[m]).float().mean().item() - conf[m].mean().item())
    return total


def fit_temperature(logits, gold):
    """The temperature minimising the negative log-likelihood (a 1-D search on log T)."""
    best = (math.inf, 1.0)
    for i in range(-30, 61):
        t = math.exp(i / 30)
        nll = torch.nn.functional.cross_entropy(logits / t, gold).item()
        best = min(best, (nll, t))
    return best[1]


def evaluate(model, sets, temperature=1.0):
    res = {}
    for name, enc in sets.items():
        if not enc:
            continue
        lg = logits_of(model, enc)
        gold = torch.tensor([e[2] for e in enc])
        if name == "sst2_dev":
            p = lg.softmax(-1)
            res[name] = {"accuracy_binary": ((p[:, 2] > p[:, 0]).long() * 2 == gold).float().mean().item()}
            continue
        pred = lg.argmax(-1)
        res[name] = {"macro_f1": macro_f1(pred, gold), "accuracy": (pred == gold).float().mean().item(),
                     "ece": ece((lg / temperature).softmax(-1), gold), "n": len(enc)}
    return res


def data(task, split, leave_out=None):
    """Examples per set; `leave_out` (0 or 1) drops that half of PerSenT's training articles."""
    persent = [a for a in nd.persent_articles("train")
               if leave_out is None or nd.crossfit_half(a["id"]) != leave_out]
    if task == "targeted":
        sets = {n: nd.targeted_examples(nd.targeted_records(n, split)) for n in nd.TARGETED_SETS}
        if split == "train":
            sets["persent"] = nd.persent_paragraph_examples(persent, targeted=True)
    else:
        sets = {n: nd.sentence_examples(nd.targeted_records(n, split)) for n in nd.TARGETED_SETS}
        if split == "train":
            sets["persent"] = nd.persent_paragraph_examples(persent, targeted=False)
            sets["sst2"] = read_sst(DATA / "sst2" / "train.senteval.tsv", header=False)
    return sets


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", choices=["targeted", "sentence"], required=True)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit", type=int, default=0, help="use only N training examples (smoke test)")
    ap.add_argument("--init", help="start from this fine-tuned model (default: the base encoder)")
    ap.add_argument("--out", help="folder under work/ (default: targeted or sentiment)")
    ap.add_argument("--layers", type=int, default=0,
                    help="keep this many encoder layers, evenly spaced (a smaller, faster student)")
    ap.add_argument("--persent-leave-out", type=int, choices=[0, 1],
                    help="train without this half of PerSenT's training articles (cross-fits the entity-tone layer)")
    ap.add_argument("--teacher", nargs="+", help="distil from this fine-tuned sentence classifier too (a folder; "
                    "several: the mean of their probabilities at T=2; labelled examples: --kd-weight of the loss KL at T=2; "
                    "transfer sentences: KL only)")
    ap.add_argument("--kd-weight", type=float, default=0.5,
                    help="with --teacher, the KL share of a labelled example's loss (the rest is cross-entropy)")
    ap.add_argument("--encoder", help="fine-tune this encoder instead of MiniLM: a folder, or 'mpnet' for "
                    "all-mpnet-base-v2 from PyPI (a teacher, not shipped)")
    ap.add_argument("--transfer-news", type=Path, help="unlabelled sentences for --teacher: a newslens "
                    "annotations JSONL (e.g. work/bbc_transfer.jsonl)")
    args = ap.parse_args()
    seed_everything(args.seed)
    torch.set_num_threads(2)
    base = teacher_model_dir() if args.encoder == "mpnet" else Path(args.encoder) if args.encoder else base_model_dir()
    tok = AutoTokenizer.from_pretrained(base)
    train_sets = data(args.task, "train", args.persent_leave_out)
    train = [e for v in train_sets.values() for e in v]
    gen = torch.Generator().manual_seed(args.seed)
    if args.limit:
        train = [train[i] for i in torch.randperm(len(train), generator=gen)[:args.limit].tolist()]
    if args.transfer_news:
        if not args.teacher:
            raise SystemExit("--transfer-news needs --teacher (transfer sentences carry no labels)")
        train_sets["news_transfer"] = transfer_sentences(args.transfer_news)
        train = train + train_sets["news_transfer"]
    print("train examples", {k: len(v) for k, v in train_sets.items()}, "total", len(train),
          "neg/neu/pos", [sum(1 for e in train if e[2] == c) for c in range(3)], flush=True)
    soft = None
    if args.teacher:
        soft = teacher_probabilities(args.teacher, [e[0] for e in train])
        agree = [(s.argmax().item() == e[2]) for s, e in zip(soft, train) if e[2] >= 0]
        print(f"teacher {args.teacher}: agrees with {sum(agree) / max(1, len(agree)):.3f} of the labels", flush=True)
    train = encode(tok, train)
    dev = {f"{k}_dev": encode(tok, v) for k, v in data(args.task, "dev").items()}
    test = {f"{k}_test": encode(tok, v) for k, v in data(args.task, "test").items()}
    dev["sst2_dev"] = encode(tok, read_sst(DATA / "sst2" / "dev.tsv", header=True))

    model = AutoModelForSequenceClassification.from_pretrained(
        args.init or base, num_labels=3, id2label=dict(enumerate(nd.LABELS)), label2id=nd.LABEL_ID)
    if args.layers:
        layers = model.bert.encoder.layer
        keep = [round(i * len(layers) / args.layers) for i in range(args.layers)]
        model.bert.encoder.layer = torch.nn.ModuleList([layers[i] for i in keep])
        model.config.num_hidden_layers = args.layers
        print("kept encoder layers", keep, flush=True)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(train) + args.batch - 1) // args.batch)
    sched = linear_schedule(opt, int(0.1 * steps), steps)
    model.train()
    step = 0
    t0 = time.time()
    for ep in range(args.epochs):
        for g, ids, tt, att, y in batches(train, args.batch, gen):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                lg = forward(model, ids, tt, att).float()
            labelled = (y >= 0).float()
            ce = torch.nn.functional.cross_entropy(lg, y.clamp(min=0), reduction="none") * labelled
            if soft is None:  # no transfer sentences without a teacher: every example is labelled
                loss = ce.mean()
            else:
                # Labelled: (1 - kd_weight) cross-entropy, kd_weight KL to the teacher; transfer sentences: KL only.
                kd = torch.nn.functional.kl_div((lg / KD_T).log_softmax(-1), soft[g], reduction="none").sum(-1)
                w = args.kd_weight * labelled + (1 - labelled)
                loss = ((1 - args.kd_weight) * ce + w * kd * KD_T * KD_T).mean()
            step += 1
            train_step(model, opt, sched, loss, step, steps, ep + 1, t0)
        print(f"epoch {ep+1} dev {evaluate(model, dev)}", flush=True)
    minutes = (time.time() - t0) / 60
    dev_all = [e for k, v in dev.items() if k != "sst2_dev" for e in v]
    temperature = fit_temperature(logits_of(model, dev_all), torch.tensor([e[2] for e in dev_all]))
    res = {"task": args.task, "temperature": temperature, "dev": evaluate(model, dev, temperature),
           "test": evaluate(model, test, temperature), "train_minutes": minutes,
           "args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()},
           "train_examples": {k: len(v) for k, v in train_sets.items()}}
    print("final (PyTorch fp32):", res, flush=True)
    out = WORK / (args.out or ("targeted" if args.task == "targeted" else "sentiment"))
    model.save_pretrained(out)
    tok.save_pretrained(out)
    write_json(out / "train_metrics.json", res)


if __name__ == "__main__":
    main()
