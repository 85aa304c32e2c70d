#!/usr/bin/env bash
# Measures the shipped models with the Rust evaluator (the annotate code path) and writes
# models/<name>/metrics.json; the fp32 graphs in training/work/ (if present) are measured too.
# Usage: bash training/measure.sh [ner] [sentiment] [targeted] [joint] [ner-tone] [targeted-mpnet] [sentiment-mpnet]
# (default: the five shipped models; the -mpnet ones once build_*_mpnet.sh has built them)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${NEWSLENS_DATA:-../shared/data}
make -s build
NL=./target/release/newslens
ev() { "$NL" eval "$@" --json; }
fp32() { [ -f "training/work/$1/onnx-fp32/model.onnx" ] && echo "training/work/$1/onnx-fp32"; }
want() { [ $# -eq 0 ] || [[ " $ALL " == *" $1 "* ]]; }
ALL="${*:-ner sentiment targeted joint ner-tone}"
# The accurate *-mpnet models are built by build_*_mpnet.sh into built/, not shipped.
dir_of() { case "$1" in *-mpnet) echo "built/$1" ;; *) echo "models/$1" ;; esac; }
ACCURATE=$(dir_of targeted-mpnet)
ACCURATE_SENTENCE=$(dir_of sentiment-mpnet)
# Targeted sets: their fixed test splits (NewsMTSC: devtest_rw), as in training/news_data.py.
sets() {
  echo "\"newsmtsc_devtest_rw\": $(ev targeted "$DATA/newsmtsc/devtest_rw.jsonl" "$@")"
  echo ", \"sentfin_test\": $(ev targeted "$DATA/sentfin/all.jsonl" --split test "$@")"
  echo ", \"finentity_test\": $(ev targeted "$DATA/finentity/all.jsonl" --split test "$@")"
  echo ", \"semeval2017_test\": $(ev targeted "$DATA/semeval2017_task5_headlines/train.jsonl" --split test "$@")"
}
if want ner; then {
  echo "{\"conll2003_test\": $(ev ner "$DATA/conll2003/test.txt")"
  if d=$(fp32 ner); then echo ", \"conll2003_test_fp32\": $(ev ner "$DATA/conll2003/test.txt" --ner-model "$d")"; fi
  echo "}"
} > models/ner/metrics.json; fi
if want sentiment; then {
  echo "{\"sst2_dev\": $(ev sentiment "$DATA/sst2/dev.tsv")"
  if d=$(fp32 sentiment); then echo ", \"sst2_dev_fp32\": $(ev sentiment "$DATA/sst2/dev.tsv" --sentiment-model "$d")"; fi
  echo "}"
} > models/sentiment/metrics.json; fi
if want targeted; then {
  echo "{"; sets
  echo ", \"persent_heldout_document\": $(ev document "$DATA/persent/dev.jsonl" --split heldout)"
  if d=$(fp32 targets); then echo ", \"fp32\": {"; sets --targeted-model "$d"; echo "}"; fi
  echo "}"
} > models/targeted/metrics.json; fi
# NER with a tone head (opt-in, --ner-model models/ner-tone): CoNLL, and its sentence tone on SST-2.
if want ner-tone; then {
  echo "{\"conll2003_test\": $(ev ner "$DATA/conll2003/test.txt" --ner-model models/ner-tone)"
  if d=$(fp32 fused); then echo ", \"conll2003_test_fp32\": $(ev ner "$DATA/conll2003/test.txt" --ner-model "$d")"; fi
  echo ", \"sst2_dev\": $(ev sentiment "$DATA/sst2/dev.tsv" --ner-model models/ner-tone)"
  if d=$(fp32 fused); then echo ", \"sst2_dev_fp32\": $(ev sentiment "$DATA/sst2/dev.tsv" --ner-model "$d")"; fi
  echo "}"
} > models/ner-tone/metrics.json; fi
# The joint model: its entity head (--entity-sentiment head) on the same sets, its sentence head on SST-2.
if want joint; then {
  echo "{\"sst2_dev\": $(ev sentiment "$DATA/sst2/dev.tsv" --sentiment-model models/joint)"
  echo ", \"entity_head\": {"; sets --entity-sentiment head
  echo ", \"persent_heldout_document\": $(ev document "$DATA/persent/dev.jsonl" --split heldout --entity-sentiment head)"
  echo "}"
  if d=$(fp32 joint); then echo ", \"fp32\": {"; sets --entity-sentiment head --sentiment-model "$d"; echo "}"; fi
  echo "}"
} > models/joint/metrics.json; fi
# The accurate targeted model (not shipped; --targeted-model built/targeted-mpnet), on the same sets.
if want targeted-mpnet; then {
  echo "{"; sets --targeted-model "$ACCURATE"
  echo ", \"persent_heldout_document\": $(ev document "$DATA/persent/dev.jsonl" --split heldout --targeted-model "$ACCURATE")"
  if d=$(fp32 targets-mpnet); then echo ", \"fp32\": {"; sets --targeted-model "$d"; echo "}"; fi
  echo "}"
} > "$ACCURATE/metrics.json"; fi
# The accurate sentence model (not shipped; --sentiment-model built/sentiment-mpnet): SST-2 dev.
if want sentiment-mpnet; then {
  echo "{\"sst2_dev\": $(ev sentiment "$DATA/sst2/dev.tsv" --sentiment-model "$ACCURATE_SENTENCE")"
  if d=$(fp32 sentiment-mpnet); then echo ", \"sst2_dev_fp32\": $(ev sentiment "$DATA/sst2/dev.tsv" --sentiment-model "$d")"; fi
  echo "}"
} > "$ACCURATE_SENTENCE/metrics.json"; fi
for m in $ALL; do python3 -m json.tool "$(dir_of "$m")/metrics.json" > /dev/null; done
echo "wrote metrics.json of: $ALL"
