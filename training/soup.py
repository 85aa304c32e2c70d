"""Average the weights of fine-tuned models of one architecture and one start ("model soup").

    python soup.py OUT DIR [DIR ...]      # e.g. soup.py work/ner work/ner-s7 work/ner-e4s13

Runs fine-tuned from the same base with different seeds or lengths land in one basin; their
uniform average usually generalises a little better than either. Tokenizer and config are copied
from the first DIR; train_metrics.json records the ingredients.
"""
import argparse
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from common import write_json


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("dirs", type=Path, nargs="+")
    args = ap.parse_args()
    states = [load_file(str(d / "model.safetensors")) for d in args.dirs]
    keys = states[0].keys()
    for d, s in zip(args.dirs, states):
        if s.keys() != keys or any(s[k].shape != states[0][k].shape for k in keys):
            raise SystemExit(f"{d}: not the same architecture as {args.dirs[0]}")
    soup = {k: (sum(s[k].float() for s in states) / len(states)).to(states[0][k].dtype) for k in keys}
    args.out.mkdir(parents=True, exist_ok=True)
    for f in args.dirs[0].iterdir():
        if f.is_file() and f.name not in ("model.safetensors", "train_metrics.json"):
            shutil.copy(f, args.out / f.name)
    save_file(soup, str(args.out / "model.safetensors"), metadata={"format": "pt"})
    # Heads kept beside the encoder (train_joint.py, train_targets.py; train_fused.py's
    # tone_head.pt) are averaged the same way.
    for f in ("heads.pt", "tone_head.pt"):
        if all((d / f).exists() for d in args.dirs):
            heads = [torch.load(d / f) for d in args.dirs]
            torch.save({k: sum(h[k] for h in heads) / len(heads) for k in heads[0]}, args.out / f)
    write_json(args.out / "train_metrics.json", {"soup_of": [str(d) for d in args.dirs]})
    print(f"{args.out}: average of {len(states)} models, {len(keys)} tensors")


if __name__ == "__main__":
    torch.set_num_threads(1)
    main()
