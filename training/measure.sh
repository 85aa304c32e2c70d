#!/usr/bin/env bash
# Measures the shipped models with the Rust evaluator (the annotate code path) and writes
# models/<name>/metrics.json; the fp32 graphs in training/work/ (if present) are measured too.
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${NEWSLENS_DATA:-../shared/data}
make -s build
NL=./target/release/newslens
ev() { "$NL" eval "$@" --json; }
fp32() { [ -f "training/work/$1/onnx-fp32/model.onnx" ] && echo "training/work/$1/onnx-fp32"; }
{
  echo "{\"conll2003_test\": $(ev ner "$DATA/conll2003/test.txt")"
  if d=$(fp32 ner); then echo ", \"conll2003_test_fp32\": $(ev ner "$DATA/conll2003/test.txt" --ner-model "$d")"; fi
  echo "}"
} > models/ner/metrics.json
{
  echo "{\"sst2_dev\": $(ev sentiment "$DATA/sst2/dev.tsv")"
  echo ", \"newsmtsc_devtest_rw\": $(ev sentiment "$DATA/newsmtsc/devtest_rw.jsonl" --targeted-model models/sentiment)"
  if d=$(fp32 sentiment); then
    echo ", \"sst2_dev_fp32\": $(ev sentiment "$DATA/sst2/dev.tsv" --sentiment-model "$d")"
    echo ", \"newsmtsc_devtest_rw_fp32\": $(ev sentiment "$DATA/newsmtsc/devtest_rw.jsonl" --targeted-model "$d")"
  fi
  echo "}"
} > models/sentiment/metrics.json
{
  echo "{\"newsmtsc_devtest_rw\": $(ev sentiment "$DATA/newsmtsc/devtest_rw.jsonl")"
  if d=$(fp32 targeted); then
    echo ", \"newsmtsc_devtest_rw_fp32\": $(ev sentiment "$DATA/newsmtsc/devtest_rw.jsonl" --targeted-model "$d")"
  fi
  echo "}"
} > models/targeted/metrics.json
python3 -m json.tool models/ner/metrics.json > /dev/null && python3 -m json.tool models/sentiment/metrics.json > /dev/null && python3 -m json.tool models/targeted/metrics.json > /dev/null
echo "wrote models/{ner,sentiment,targeted}/metrics.json"
