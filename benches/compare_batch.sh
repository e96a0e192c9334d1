#!/usr/bin/env bash
# Ticket batches behind BENCHMARKS.md: a generated batch of small zipped tickets
# (examples/gen-tickets), scanned at one and two threads, beside the shell loop an
# analyst would write instead (unzip each ticket, count the denials); peak memory;
# and how long headless Chromium takes to open the batch's HTML report.
#   bash benches/compare_batch.sh [TICKETS] [DIR]   (default 1000 /tmp/culprit-batch)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
dir=${2:-/tmp/culprit-batch}
cargo build --release --quiet --bins --examples
if [ ! -d "$dir" ]; then
    ./target/release/examples/gen-tickets "$dir" "$n" zipped > /dev/null
fi
bin=./target/release/culprit
du -sb "$dir" | awk '{printf "batch: %d tickets, %.1f MB on disk\n", '"$n"', $1/1e6}'
hyperfine --warmup 1 --runs 5 --export-markdown /tmp/culprit-batch.md \
    -n "culprit scan --tickets -j1" "$bin scan --tickets $dir -q -j1 -f jsonl -o /dev/null" \
    -n "culprit scan --tickets -j2" "$bin scan --tickets $dir -q -j2 -f jsonl -o /dev/null" \
    -n "unzip -p each ticket | rg -c 'ACCESS DENIED'" \
       "for z in $dir/*.zip; do unzip -p \"\$z\" '*.csv' | rg -c 'ACCESS DENIED' || true; done > /dev/null"
for j in 1 2; do
    /usr/bin/time -f "-j$j: %M KB peak RSS, %e s" "$bin" scan --tickets "$dir" -q -j$j -f jsonl -o /dev/null
done
"$bin" scan --tickets "$dir" -q -o /tmp/culprit-batch.html || true
ls -l /tmp/culprit-batch.html | awk '{printf "HTML report: %.2f MB\n", $5/1e6}'
if [ -x /usr/bin/chromium ]; then
    printf '<!DOCTYPE html><html><body>x</body></html>' > /tmp/culprit-empty.html
    flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync"
    hyperfine --warmup 1 --runs 5 --export-markdown /tmp/culprit-html.md \
        -n "chromium --dump-dom (empty page)" "/usr/bin/chromium $flags --user-data-dir=/tmp/cp1 --dump-dom file:///tmp/culprit-empty.html > /dev/null 2>&1" \
        -n "chromium --dump-dom (the batch report)" "/usr/bin/chromium $flags --user-data-dir=/tmp/cp2 --dump-dom file:///tmp/culprit-batch.html > /dev/null 2>&1"
    # From navigation to the page parsed and its script run (the page records it).
    for i in 1 2 3 4 5; do
        /usr/bin/chromium $flags --user-data-dir=/tmp/cp3 --dump-dom file:///tmp/culprit-batch.html 2>/dev/null \
            | grep -o 'data-ready-ms="[0-9]*"'
    done
fi
