#!/usr/bin/env bash
# EVTX side by side behind BENCHMARKS.md: culprit against evtx_dump (`cargo install
# evtx`), on a generated 1 GB Security log and on the real corpus folder, at one and two
# threads. Needs hyperfine and evtx_dump.
#   bash benches/compare_evtx.sh [RECORDS] [FILE]   (default 3400000 /tmp/culprit-bench.evtx)
set -euo pipefail
cd "$(dirname "$0")/.."
records=${1:-3400000}
file=${2:-/tmp/culprit-bench.evtx}
corpus=../shared/corpus/evtx
cargo build --release --quiet --bins --examples
[ -f "$file" ] || ./target/release/examples/gen-evtx big "$records" "$file"
bin=./target/release/culprit
hyperfine --warmup 1 --runs 3 --export-markdown /tmp/culprit-evtx.md \
    -n "culprit scan" "$bin scan $file -q -f json -o /dev/null" \
    -n "culprit scan -j1" "$bin scan $file -q -j1 -f json -o /dev/null" \
    -n "evtx_dump -o jsonl" "evtx_dump -o jsonl $file > /dev/null" \
    -n "evtx_dump -t 1 -o jsonl" "evtx_dump -t 1 -o jsonl $file > /dev/null"
if [ -d "$corpus" ]; then
    # -i: with the default filter the corpus holds no finding (exit 1).
    hyperfine -i --warmup 2 --runs 10 --export-markdown /tmp/culprit-evtx-corpus.md \
        -n "culprit scan corpus/evtx" "$bin scan $corpus -q -f json -o /dev/null" \
        -n "culprit scan -j1" "$bin scan $corpus -q -j1 -f json -o /dev/null" \
        -n "evtx_dump each file" "for f in $corpus/*.evtx; do evtx_dump -o jsonl \"\$f\"; done > /dev/null 2>&1" \
        -n "evtx_dump -t 1 each file" "for f in $corpus/*.evtx; do evtx_dump -t 1 -o jsonl \"\$f\"; done > /dev/null 2>&1"
fi
echo "memory (anonymous vs mapped file):"
python3 benches/rss.py "$bin" scan "$file" -q -f json -o /dev/null
python3 benches/rss.py "$bin" scan "$file" -q -j1 -f json -o /dev/null
/usr/bin/time -f "%M KB peak (evtx_dump)" evtx_dump -o jsonl "$file" > /dev/null
