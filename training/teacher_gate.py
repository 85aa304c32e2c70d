"""Score sentence teachers, alone and averaged (their probabilities at T = 2, as a student of them
learns), on the news dev splits: macro-F1 per set and the unweighted mean of the four.

    python teacher_gate.py work/sentiment-mpnet work/sentiment
"""
import sys

import torch

import news_data as nd
from train_news import data, macro_f1, teacher_soft


def main():
    teachers = sys.argv[1:]
    dev = data("sentence", "dev")
    rows = {}
    for name in nd.TARGETED_SETS:
        texts = [e[0] for e in dev[name]]
        gold = torch.tensor([e[2] for e in dev[name]])
        probs = [teacher_soft(t, texts, prefix="dev") for t in teachers]
        rows[name] = [macro_f1(p.argmax(-1), gold) for p in probs] + [macro_f1(torch.stack(probs).mean(0).argmax(-1), gold)]
        print(name, len(texts), " ".join(f"{v:.4f}" for v in rows[name]), flush=True)
    means = [sum(r[i] for r in rows.values()) / len(rows) for i in range(len(teachers) + 1)]
    print("news dev mean", " ".join(f"{v:.4f}" for v in means), "(each teacher, then their average)")


if __name__ == "__main__":
    main()
