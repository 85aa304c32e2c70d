"""Fine-tune all-MiniLM-L6-v2 for CoNLL-2003 NER with casing classes and document context.

Recipe: every token of a word is labelled (first piece B-/I-, later pieces I-), casing classes go
in through the token-type embeddings (resized to 6 rows), each training example is one sentence
centred in up to 126 tokens of its neighbouring sentences (context tokens are not labelled).
With `--windows sentence` each example is instead laid out as newslens's `--sentence-windows`
decodes: a core of whole sentences (up to 118 tokens, every core token labelled) with 4 unlabelled
tokens of context on each side; one example starts at each sentence of the document.
"""
import argparse
import itertools
import time

import torch
from torch import nn
from transformers import AutoTokenizer, BertForTokenClassification

from common import (DATA, N_CASING, WORK, base_model_dir, casing_class, linear_schedule,
                    sentence_window,
                    seed_everything, write_json)

LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
L2I = {l: i for i, l in enumerate(LABELS)}
MAX_LEN = 128


def read_conll(path):
    """Documents as lists of sentences, each a (words, tags) pair."""
    docs, doc, words, tags = [], [], [], []
    for line in open(path, encoding="utf-8"):
        line = line.rstrip("\n")
        if line.startswith("-DOCSTART-"):
            if words:
                doc.append((words, tags)); words, tags = [], []
            if doc:
                docs.append(doc); doc = []
            continue
        if not line.strip():
            if words:
                doc.append((words, tags)); words, tags = [], []
            continue
        parts = line.split(" ")
        words.append(parts[0]); tags.append(parts[-1])
    if words:
        doc.append((words, tags))
    if doc:
        docs.append(doc)
    return docs


def encode_sentence(tok, words, tags):
    """Token ids, casing classes, labels (every piece labelled) and first-piece flags."""
    enc = tok(words, is_split_into_words=True, add_special_tokens=False, return_offsets_mapping=True)
    ids, wids, offs = enc["input_ids"], enc.word_ids(), enc["offset_mapping"]
    pieces = tok.convert_ids_to_tokens(ids)
    casing, labels, first = [0] * len(ids), [0] * len(ids), [False] * len(ids)
    i = 0
    while i < len(ids):
        j = i + 1
        while j < len(ids) and pieces[j].startswith("##") and wids[j] == wids[i]:
            j += 1
        w = words[wids[i]]
        c = casing_class(w[offs[i][0]:offs[j - 1][1]])
        for k in range(i, j):
            casing[k] = c
        i = j
    prev = None
    for k, w in enumerate(wids):
        tag = tags[w]
        if w != prev:
            labels[k] = L2I[tag]; first[k] = True
        else:
            labels[k] = L2I["O"] if tag == "O" else L2I["I-" + tag[2:]]
        prev = w
    return ids, casing, labels, first


def build_examples(tok, docs, label_context=False):
    """One example per sentence, centred in its document's neighbouring sentences. Context tokens
    are unlabelled unless `label_context` (then every token of the window is labelled)."""
    out = []
    for doc in docs:
        enc = [encode_sentence(tok, w, t) for w, t in doc]
        for c in range(len(enc)):
            ids, cas, lab, first = (list(x) for x in enc[c])
            lab = lab[:MAX_LEN - 2]; ids = ids[:MAX_LEN - 2]; cas = cas[:MAX_LEN - 2]; first = first[:MAX_LEN - 2]
            left, right = c - 1, c + 1
            budget = MAX_LEN - 2 - len(ids)
            lctx, rctx = [], []
            while budget > 0 and (left >= 0 or right < len(enc)):
                if left >= 0:
                    take = enc[left][0][-budget:], enc[left][1][-budget:], enc[left][2][-budget:]
                    lctx = [list(zip(*take))] + lctx
                    budget -= len(take[0]); left -= 1
                if budget > 0 and right < len(enc):
                    take = enc[right][0][:budget], enc[right][1][:budget], enc[right][2][:budget]
                    rctx.append(list(zip(*take)))
                    budget -= len(take[0]); right += 1
            lt = [p for s in lctx for p in s]
            rt = [p for s in rctx for p in s]
            cls, sep = tok.cls_token_id, tok.sep_token_id
            input_ids = [cls] + [p[0] for p in lt] + ids + [p[0] for p in rt] + [sep]
            casing = [0] + [p[1] for p in lt] + cas + [p[1] for p in rt] + [0]
            if label_context:
                labels = [-100] + [p[2] for p in lt] + lab + [p[2] for p in rt] + [-100]
            else:
                labels = [-100] * (1 + len(lt)) + lab + [-100] * (len(rt) + 1)
            firsts = [False] * (1 + len(lt)) + first + [False] * (len(rt) + 1)
            out.append((input_ids, casing, labels, firsts))
    return out


SENTENCE_MARGIN = 4


def build_sentence_window_examples(tok, docs, every_start=True, margin=SENTENCE_MARGIN, sentences=False):
    """Examples laid out as sentence windows: a core of whole sentences, all of it labelled, with
    `margin` unlabelled context tokens on each side. `every_start`: one core beginning at each
    sentence (and at each cut of a sentence longer than a core), for training; otherwise the
    cores newslens itself decodes (greedy from the document's start), for evaluation. `sentences`:
    each example also lists the sentences wholly inside it as (row start, row end, index of the
    sentence among all the documents' sentences)."""
    size = MAX_LEN - 2
    cls, sep = tok.cls_token_id, tok.sep_token_id
    out, first_sentence = [], 0
    for doc in docs:
        enc = [encode_sentence(tok, w, t) for w, t in doc]
        flat = [p for e in enc for p in zip(*e)]
        n = len(flat)
        bounds = list(itertools.accumulate([0] + [len(e[0]) for e in enc]))
        base, first_sentence = first_sentence, first_sentence + len(doc)
        if n == 0:
            continue
        starts = sorted(set(itertools.accumulate(len(e[0]) for e in enc[:-1])) - {0, n})
        if n <= size:
            spans_ = [(0, n, 0, n)] * (len(enc) if every_start else 1)
        else:
            spans_, todo, seen = [], ([0] + starts if every_start else [0]), set()
            while todo:
                s = todo.pop(0)
                if s in seen or s >= n:
                    continue
                seen.add(s)
                a, b, e = sentence_window(starts, n, s, size, margin)
                spans_.append((a, b, s, e))
                if not every_start or e not in starts:
                    todo.append(e)
        for a, b, s, e in spans_:
            w = flat[a:b]
            input_ids = [cls] + [p[0] for p in w] + [sep]
            casing = [0] + [p[1] for p in w] + [0]
            labels = [-100] + [p[2] if s <= a + k < e else -100 for k, p in enumerate(w)] + [-100]
            firsts = [False] + [p[3] if s <= a + k < e else False for k, p in enumerate(w)] + [False]
            ex = (input_ids, casing, labels, firsts)
            if sentences:
                ex += ([(1 + lo - a, 1 + hi - a, base + k) for k, (lo, hi) in enumerate(zip(bounds, bounds[1:]))
                        if a <= lo < hi <= b],)
            out.append(ex)
    return out


def batches(examples, size, shuffle, gen):
    order = torch.randperm(len(examples), generator=gen).tolist() if shuffle else list(range(len(examples)))
    for s in range(0, len(order), size):
        chunk = [examples[i] for i in order[s:s + size]]
        n = max(len(e[0]) for e in chunk)
        ids = torch.zeros(len(chunk), n, dtype=torch.long)
        cas = torch.zeros_like(ids); att = torch.zeros_like(ids)
        lab = torch.full_like(ids, -100)
        first = torch.zeros(len(chunk), n, dtype=torch.bool)
        for r, (a, b, c, d) in enumerate(chunk):
            ids[r, :len(a)] = torch.tensor(a); cas[r, :len(a)] = torch.tensor(b)
            att[r, :len(a)] = 1; lab[r, :len(a)] = torch.tensor(c); first[r, :len(a)] = torch.tensor(d)
        yield ids, cas, att, lab, first


def spans(tags):
    out, start, kind = set(), None, None
    for i, t in enumerate(tags + ["O"]):
        if start is not None and (t == "O" or t.startswith("B-") or t[2:] != kind):
            out.add((start, i, kind)); start = None
        if t != "O" and start is None:
            start, kind = i, t[2:]
    return out


def evaluate(model, examples):
    """Entity-level micro F1 over first pieces (the CoNLL metric), on the PyTorch model."""
    model.eval(); tp = fp = fn = 0
    with torch.no_grad(), torch.autocast("cpu", dtype=torch.bfloat16):
        for ids, cas, att, lab, first in batches(examples, 64, False, None):
            pred = model(input_ids=ids, attention_mask=att, token_type_ids=cas).logits.argmax(-1)
            for r in range(ids.shape[0]):
                m = first[r] & (lab[r] >= 0)
                g = [LABELS[x] for x in lab[r][m].tolist()]
                p = [LABELS[x] for x in pred[r][m].tolist()]
                gs, ps = spans(g), spans(p)
                tp += len(gs & ps); fp += len(ps - gs); fn += len(gs - ps)
    model.train()
    prec = tp / max(1, tp + fp); rec = tp / max(1, tp + fn)
    return {"precision": prec, "recall": rec, "f1": 2 * prec * rec / max(1e-9, prec + rec)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--lr", type=float, default=2e-4)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--with-valid", action="store_true", help="train on train+valid (final model)")
    ap.add_argument("--limit", type=int, default=0, help="use only N documents (smoke test)")
    ap.add_argument("--label-context", action="store_true",
                    help="label the context tokens of each example too (not only its centre sentence)")
    ap.add_argument("--windows", choices=["centred", "sentence"], default="centred",
                    help="training example layout: one sentence centred in context, or sentence windows "
                         "as `--sentence-windows` decodes (also used then for the valid/test figures)")
    args = ap.parse_args()
    seed_everything(args.seed); torch.set_num_threads(2)
    base = base_model_dir()
    tok = AutoTokenizer.from_pretrained(base)
    conll = DATA / "conll2003"
    train_docs = read_conll(conll / "train.txt")
    if args.with_valid:
        train_docs += read_conll(conll / "valid.txt")
    if args.limit:
        train_docs = train_docs[:args.limit]
    t0 = time.time()
    if args.windows == "sentence":
        train = build_sentence_window_examples(tok, train_docs)
        held = lambda docs: build_sentence_window_examples(tok, docs, every_start=False)  # noqa: E731
    else:
        train = build_examples(tok, train_docs, args.label_context)
        held = lambda docs: build_examples(tok, docs)  # noqa: E731
    valid = held(read_conll(conll / "valid.txt")[: args.limit or None])
    test = held(read_conll(conll / "test.txt")[: args.limit or None])
    print(f"examples: train {len(train)} valid {len(valid)} test {len(test)} ({time.time()-t0:.0f}s)", flush=True)

    model = BertForTokenClassification.from_pretrained(
        base, num_labels=len(LABELS), id2label=dict(enumerate(LABELS)), label2id=L2I)
    old = model.bert.embeddings.token_type_embeddings.weight.data
    emb = nn.Embedding(N_CASING, old.shape[1])
    emb.weight.data[:] = old[0]
    model.bert.embeddings.token_type_embeddings = emb
    model.config.type_vocab_size = N_CASING

    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=0.01)
    steps = args.epochs * ((len(train) + args.batch - 1) // args.batch)
    sched = linear_schedule(opt, int(0.1 * steps), steps)
    gen = torch.Generator().manual_seed(args.seed)
    model.train(); step = 0; t0 = time.time(); ntok = 0
    for ep in range(args.epochs):
        for ids, cas, att, lab, _ in batches(train, args.batch, True, gen):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                loss = model(input_ids=ids, attention_mask=att, token_type_ids=cas, labels=lab).loss
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step(); sched.step(); opt.zero_grad(); step += 1; ntok += int(att.sum())
            if step % 50 == 0:
                el = time.time() - t0
                print(f"epoch {ep+1} step {step}/{steps} loss {loss.item():.4f} "
                      f"{ntok/el:.0f} tok/s elapsed {el/60:.1f} min", flush=True)
        dev = evaluate(model, valid)
        print(f"epoch {ep+1} valid {dev}" + (" (valid is in training data)" if args.with_valid else ""), flush=True)
    res = {"valid": evaluate(model, valid), "test": evaluate(model, test),
           "train_minutes": (time.time() - t0) / 60, "args": vars(args)}
    print("final (PyTorch, bf16, first-piece argmax):", res, flush=True)
    out = WORK / "ner"
    model.save_pretrained(out); tok.save_pretrained(out)
    write_json(out / "train_metrics.json", res)


if __name__ == "__main__":
    main()
