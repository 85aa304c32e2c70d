#!/usr/bin/env bash
# Retrain every shipped model from scratch (fixed seeds) and write models/. CPU only.
# Usage: bash training/train_all.sh      (logs in training/work/*.log; about five hours on 2 cores)
# The targeted model is distilled from the accurate one (not shipped), which build_targeted_mpnet.sh
# builds first when built/targeted-mpnet is not there (about 45 min).
set -euo pipefail
source "$(dirname "$0")/venv.sh"
"$VENV/bin/python" train_ner.py --with-valid --epochs 3 --lr 2e-4 --windows sentence 2>&1 | tee work/ner.log
"$VENV/bin/python" export.py ner 2>&1 | tee work/export.log
# NER with a tone head (opt-in, models/ner-tone): 1.4 continued on NER and sentence tone, one
# pass for both (train_fused.py; 54 min). 1.1 distils the sentence model into it (below).
"$VENV/bin/python" train_fused.py --epochs 3 --tone-batch 8 --out work/fused-base 2>&1 | tee work/fused-base.log
# The targeted model marks every entity of a sentence and reads each at its opening marker. It
# learns from the labelled sets and from the accurate model's probabilities (its teacher) on them,
# on CoNLL-2003 train sentences and on the sentences of BBC articles that name an entity, marked
# as newslens marks them (the first 300 articles, the benchmark's, left out).
[ -f ../built/targeted-mpnet/model.onnx ] || bash build_targeted_mpnet.sh
"$VENV/bin/python" -c 'import news_data; news_data.write_bbc_transfer_input("work/bbc_transfer_in.jsonl")'
(cd .. && make -s build && ./target/release/newslens annotate training/work/bbc_transfer_in.jsonl \
   --entity-sentiment sentence -o training/work/bbc_transfer.jsonl)
KD="--teachers ../built/targeted-mpnet --transfer-conll --transfer-news work/bbc_transfer.jsonl"
"$VENV/bin/python" train_targets.py --epochs 3 $KD 2>&1 | tee work/targets.log
# Two more, each without half of PerSenT's training articles: their features of the half they did
# not see cross-fit the entity-tone layer (not shipped; 25 min each).
for k in 0 1; do
  "$VENV/bin/python" train_targets.py --epochs 3 $KD --persent-leave-out $k --out work/targets-cf$k 2>&1 | tee work/targets-cf$k.log
done
"$VENV/bin/python" train_news.py --task sentence --epochs 3 2>&1 | tee work/sentiment.log
# The joint model (--entity-sentiment head) continues from the sentence model; its entity head
# learns from the same teacher, also on 12,000 of the BBC sentences.
"$VENV/bin/python" train_joint.py --init work/sentiment --epochs 3 --teacher ../built/targeted-mpnet \
  --transfer-news work/bbc_transfer.jsonl --transfer-limit 12000 2>&1 | tee work/joint.log
"$VENV/bin/python" export.py sentiment targets joint 2>&1 | tee -a work/export.log
# ner-tone 1.1: 2 more epochs with a confidence penalty (KL to uniform tone on its labelled sentences
# and every CoNLL sentence of the NER windows; 42 min), then the average of the two runs' weights.
# 1.1 was made with an untrained checkpoint as "teacher", which `--teacher uniform` stands for
# (close, not identical); the sentence model as teacher scored lower (models/ner-tone/README.md).
"$VENV/bin/python" train_fused.py --init work/fused-base --teacher uniform --epochs 2 --tone-batch 8 \
  --out work/fused-kd 2>&1 | tee work/fused-kd.log
"$VENV/bin/python" soup.py work/fused work/fused-base work/fused-kd
"$VENV/bin/python" train_fused.py --measure --out work/fused 2>&1 | tee -a work/fused-kd.log
"$VENV/bin/python" export.py fused 2>&1 | tee -a work/export.log
"$VENV/bin/python" export.py targets-cf0 targets-cf1 --out work/crossfit 2>&1 | tee -a work/export.log
# The entity-tone layer: features of PerSenT's held-out articles from the new models, then the fit.
(cd .. && make -s build && ./target/release/newslens eval document ../shared/data/persent/dev.jsonl \
   --split heldout --features training/work/persent_features.jsonl --json > /dev/null)
for k in 0 1; do
  (cd .. && ./target/release/newslens eval document ../shared/data/persent/dev.jsonl --split all \
     --targeted-model training/work/crossfit/targets-cf$k --features training/work/persent_features_cf$k.jsonl --json > /dev/null)
done
"$VENV/bin/python" fit_entity_tone.py work/persent_features.jsonl --write ../models/targeted/config.json \
  --crossfit work/persent_features_cf0.jsonl work/persent_features_cf1.jsonl
(cd .. && ./target/release/newslens eval document ../shared/data/persent/dev.jsonl --entity-sentiment head \
   --split heldout --features training/work/persent_features_head.jsonl --json > /dev/null)
"$VENV/bin/python" fit_entity_tone.py work/persent_features_head.jsonl --write ../models/joint/config.json
bash measure.sh
echo "models written to models/, measured in models/*/metrics.json"
