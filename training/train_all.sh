#!/usr/bin/env bash
# Retrain every shipped model from scratch (fixed seeds) and write models/. CPU only.
# Usage: bash training/train_all.sh      (logs in training/work/*.log; about an hour on 2 cores)
set -euo pipefail
cd "$(dirname "$0")"
VENV=${NEWSLENS_TRAIN_VENV:-work/venv}
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q -r requirements.txt
fi
export HF_HUB_OFFLINE=1
mkdir -p work
"$VENV/bin/python" train_ner.py --with-valid --epochs 3 --lr 2e-4 2>&1 | tee work/ner.log
"$VENV/bin/python" train_sentiment.py --epochs 3 --lr 5e-5 2>&1 | tee work/sentiment.log
"$VENV/bin/python" train_sentiment.py --targeted-only --epochs 4 --lr 5e-5 --name targeted 2>&1 | tee work/targeted.log
"$VENV/bin/python" export.py ner sentiment targeted 2>&1 | tee work/export.log
bash measure.sh
echo "models written to models/, measured in models/*/metrics.json"
