#!/usr/bin/env bash
# PML reading speed behind BENCHMARKS.md: culprit against procmon-parser on the corpus
# capture and on a larger synthetic capture.
#   bash benches/compare_pml.sh [SIZE]     (default 128M)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-128M}
cargo build --release --quiet --bins --examples
big=/tmp/culprit-bench-$size.pml
[ -f "$big" ] || ./target/release/examples/gen-procmon "$size" "$big" --pml
bin=./target/release/culprit
for f in ../shared/corpus/procmon/procmon-parser__UTC64Process.pml "$big"; do
    [ -f "$f" ] || continue
    runs=5; [ "$f" = "$big" ] && runs=2
    hyperfine -i --warmup 1 --runs "$runs" --export-markdown "/tmp/culprit-pml-$(basename "$f").md" \
        -n "culprit -j1" "$bin scan $f -q -j1 --all-processes -f json -o /dev/null" \
        -n "culprit" "$bin scan $f -q --all-processes -f json -o /dev/null" \
        -n "procmon-parser (lean)" "python3 benches/procmon_parser_count.py $f --lean" \
        -n "procmon-parser" "python3 benches/procmon_parser_count.py $f"
    cat "/tmp/culprit-pml-$(basename "$f").md"
done
