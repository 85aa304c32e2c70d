"""Score fine-tuned news tone models (PyTorch, fp32) on the dev splits of their task.

    python score_news.py --task targeted work/targeted work/targeted-s7 work/targeted-soup

Prints macro-F1 per dev set; use it to choose between runs (never the test splits).
"""
import argparse
import json

import torch
from transformers import AutoTokenizer, BertForSequenceClassification

from common import DATA, base_model_dir
from train_news import data, encode, evaluate
from train_sentiment import read_sst


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--task", choices=["targeted", "sentence"], required=True)
    ap.add_argument("dirs", nargs="+")
    args = ap.parse_args()
    torch.set_num_threads(2)
    tok = AutoTokenizer.from_pretrained(base_model_dir())
    dev = {f"{k}_dev": encode(tok, v) for k, v in data(args.task, "dev").items()}
    dev["sst2_dev"] = encode(tok, read_sst(DATA / "sst2" / "dev.tsv", header=True))
    for d in args.dirs:
        model = BertForSequenceClassification.from_pretrained(d)
        res = evaluate(model, dev)
        print(d, json.dumps({k: round(v.get("macro_f1", v.get("accuracy_binary", 0)), 4) for k, v in res.items()}),
              flush=True)


if __name__ == "__main__":
    main()
