"""News sentiment data from ../shared/data: readers, fixed splits by id, and example builders.

Every set without an official split is split by a hash of its record id (never by position), so
the splits are the same on every machine and every run:
- SEntFiN, FinEntity, SemEval-2017 headlines: md5(id) % 10 == 0 -> test, == 1 -> dev, else train.
- PerSenT dev (564 articles): md5(id) % 5 in {0, 1} -> "heldout" (document-level evaluation and the
  cross-validated fit of the entity aggregation; never trained on), else train (its paragraphs
  become training examples towards the main person).
- NewsMTSC: train.jsonl is split the same way (md5(primary_gid) % 10 == 1 -> dev); devtest_rw is the
  test set, never tuned on.
An example is (text_a, text_b, label): text_b is None for sentence tone, the mention for targeted
sentiment (text_a then has the mention wrapped in the markers).
"""
import hashlib
import json
import re

from common import DATA

LABELS = ["negative", "neutral", "positive"]
LABEL_ID = {l: i for i, l in enumerate(LABELS)}
MTSC_POLARITY = {2.0: 0, 4.0: 1, 6.0: 2}
MARK_OPEN, MARK_CLOSE = "[", "]"
TARGETED_SETS = ["newsmtsc", "sentfin", "finentity", "semeval"]


def bucket(key: str, n: int) -> int:
    return int(hashlib.md5(key.encode("utf-8")).hexdigest(), 16) % n


def split_of(key: str) -> str:
    b = bucket(key, 10)
    return "test" if b == 0 else "dev" if b == 1 else "train"


def persent_split(key: str) -> str:
    return "heldout" if bucket(key, 5) in (0, 1) else "train"


def crossfit_half(key: str) -> int:
    """Which half (0 or 1) of PerSenT's training articles an article is in, for cross-fitting the
    entity-tone layer (models trained with --persent-leave-out K never see half K)."""
    return bucket(key + "#crossfit", 2)


BBC_BENCHMARK_ARTICLES = 300


def write_bbc_transfer_input(path):
    """The BBC articles (news_corpus) after the first 300 (bench/bench.py's subset) as newslens
    input JSONL {id, text}: unlabelled text for distilling the targeted model."""
    recs = read_jsonl(DATA / "news_corpus" / "bbc_news_2225.jsonl")[BBC_BENCHMARK_ARTICLES:]
    with open(path, "w", encoding="utf-8") as f:
        for r in recs:
            f.write(json.dumps({"id": r["id"], "text": r["text"]}) + "\n")
    print(f"{len(recs)} BBC articles -> {path}")


def mark(text, start, end):
    return text[:start] + MARK_OPEN + text[start:end] + MARK_CLOSE + text[end:]


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def targeted_records(name: str, split: str):
    """Records {text, targets: [{from, to, mention, label}]} of one targeted set and split."""
    if name == "newsmtsc":
        if split == "test":
            recs = read_jsonl(DATA / "newsmtsc" / "devtest_rw.jsonl")
        else:
            recs = [r for r in read_jsonl(DATA / "newsmtsc" / "train.jsonl")
                    if (split == "all") or ("dev" if bucket(r["primary_gid"], 10) == 1 else "train") == split]
        return [{"id": r["primary_gid"], "text": r["sentence_normalized"],
                 "targets": [dict(t, label=MTSC_POLARITY[t["polarity"]]) for t in r["targets"]]} for r in recs]
    path = {"sentfin": "sentfin/all.jsonl", "finentity": "finentity/all.jsonl",
            "semeval": "semeval2017_task5_headlines/train.jsonl"}[name]
    out = []
    for r in read_jsonl(DATA / path):
        if split != "all" and split_of(r["id"]) != split:
            continue
        if not r["targets"]:
            continue
        out.append({"id": r["id"], "text": r["text"],
                    "targets": [dict(t, label=LABEL_ID[t["polarity"]]) for t in r["targets"]]})
    return out


def targeted_examples(records):
    return [(mark(r["text"], t["from"], t["to"]), t["mention"], t["label"]) for r in records for t in r["targets"]]


def sentence_examples(records):
    """A record whose targets all share one polarity gives a sentence-tone example."""
    out = []
    for r in records:
        labels = {t["label"] for t in r["targets"]}
        if len(labels) == 1:
            out.append((r["text"], None, labels.pop()))
    return out


def persent_articles(split: str):
    return [r for r in read_jsonl(DATA / "persent" / "dev.jsonl") if split == "all" or persent_split(r["id"]) == split]


def find_person(text: str, name: str):
    """First occurrence of the full name, else of its last word, as (start, end) or None."""
    for cand in (name, name.split()[-1] if name.split() else name):
        if len(cand) < 2:
            continue
        m = re.search(r"(?<!\w)" + re.escape(cand) + r"(?!\w)", text)
        if m:
            return m.start(), m.end()
    return None


def clip_around(text: str, start: int, end: int, before=300, after=400):
    """A window of the paragraph around the mention, cut at spaces; returns (text, start, end)."""
    a = max(0, start - before)
    if a > 0:
        sp = text.find(" ", a)
        a = sp + 1 if 0 <= sp < start else a
    b = min(len(text), end + after)
    if b < len(text):
        sp = text.rfind(" ", end, b)
        b = sp if sp > end else b
    return text[a:b], start - a, end - a


def persent_paragraph_examples(articles, targeted: bool):
    """PerSenT paragraph labels: towards the main person (targeted) or as the paragraph's tone."""
    out = []
    for art in articles:
        for p in art["paragraphs"]:
            y = LABEL_ID[p["label"]]
            text = p["text"].strip()
            if not text:
                continue
            span = find_person(text, art["target_entity"])
            if targeted:
                if span is None:
                    continue
                t, s, e = clip_around(text, *span)
                out.append((mark(t, s, e), t[s:e], y))
            else:
                t, _, _ = clip_around(text, 0, 0, before=0, after=600)
                out.append((t, None, y))
    return out
