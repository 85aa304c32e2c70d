#!/usr/bin/env bash
# Report at scale: 100,000 synthetic annotation records made from the BBC corpus's annotations
# (each record repeated with a new id), through `newslens report --by category`; prints wall
# time and peak RSS. Goal (report issue): < 60 s and < 2 GB on the project's 2-core machine.
#   bash bench/report_scale.sh [ANNOTATIONS.jsonl]   (default: annotate the BBC corpus first, ~5 min)
set -euo pipefail
cd "$(dirname "$0")/.."
DATA=${NEWSLENS_DATA:-../shared/data}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
make -s build
NL=./target/release/newslens
ANN=${1:-$WORK/bbc.jsonl}
if [ ! -s "$ANN" ]; then
  "$NL" annotate "$DATA/news_corpus/bbc_news_2225.jsonl" -o "$ANN" --quiet
fi
n=$(wc -l < "$ANN")
copies=$(( (100000 + n - 1) / n ))
for k in $(seq 0 $((copies - 1))); do
  sed "s/^{\"id\":\"\([^\"]*\)\"/{\"id\":\"\1-r$k\"/" "$ANN"
done > "$WORK/big.jsonl"
echo "records: $(wc -l < "$WORK/big.jsonl") ($(du -h "$WORK/big.jsonl" | cut -f1))"
/usr/bin/time -f "newslens report: %e s wall, peak RSS %M KB" \
  "$NL" report "$WORK/big.jsonl" -o "$WORK/report" --by category 2>&1 | grep -v "^newslens: wrote"
