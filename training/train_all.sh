#!/usr/bin/env bash
# Retrain every shipped model from scratch (fixed seeds) and write models/. CPU only.
# Usage: bash training/train_all.sh      (logs in training/work/*.log; about two hours on 2 cores)
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
"$VENV/bin/python" train_news.py --task targeted --epochs 3 2>&1 | tee work/targeted.log
"$VENV/bin/python" train_news.py --task sentence --epochs 3 2>&1 | tee work/sentiment.log
"$VENV/bin/python" export.py ner sentiment targeted 2>&1 | tee work/export.log
# The entity-tone layer: features of PerSenT's held-out articles from the new models, then the fit.
(cd .. && make -s build && ./target/release/newslens eval document ../shared/data/persent/dev.jsonl \
   --split heldout --features training/work/persent_features.jsonl --json > /dev/null)
"$VENV/bin/python" fit_entity_tone.py work/persent_features.jsonl --write ../models/targeted/config.json
bash measure.sh
echo "models written to models/, measured in models/*/metrics.json"
