#!/usr/bin/env bash
# Issue 9's measurement behind BENCHMARKS.md: culprit on the generator's easy shape and
# on its hard shape (`--hard`: hundreds of refused keys on long shared prefixes, most
# never recovered, refused from the first rows to the end), at 300 MB and 1 GB, with and
# without --all-processes, side by side with `rg -c` and polars in one hyperfine run per
# file; peak anonymous memory; and PML events/s on both shapes. Needs hyperfine,
# ripgrep and python3 with polars.
#   bash benches/compare_shapes.sh [SIZES...]   (default 300M 1G)
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("${@:-300M 1G}")
[ $# -eq 0 ] && sizes=(300M 1G)
cargo build --release --quiet --bins --examples
bin=./target/release/culprit
gen=./target/release/examples/gen-procmon
for size in "${sizes[@]}"; do
    for shape in easy hard; do
        f=/tmp/culprit-$shape-$size.csv
        flag=""; [ $shape = hard ] && flag=--hard
        [ -f "$f" ] || $gen "$size" "$f" $flag > /dev/null
        hyperfine --warmup 1 --runs 5 --export-markdown "/tmp/culprit-$shape-$size.md" \
            -n "culprit scan ($shape, $size)" "$bin scan $f -q -f csv -o /dev/null" \
            -n "culprit scan --all-processes" "$bin scan $f -q --all-processes -f csv -o /dev/null" \
            -n "rg -c 'ACCESS DENIED'" "rg -c 'ACCESS DENIED' $f" \
            -n "polars" "python3 benches/polars_rank.py $f"
        echo "memory ($shape, $size):"
        python3 benches/rss.py "$bin" scan "$f" -q -f csv -o /dev/null
        python3 benches/rss.py "$bin" scan "$f" -q --all-processes -f csv -o /dev/null
    done
done
for shape in easy hard; do
    p=/tmp/culprit-$shape-300M.pml
    flag=""; [ $shape = hard ] && flag=--hard
    [ -f "$p" ] || $gen 300M "$p" --pml $flag > /dev/null
    hyperfine --warmup 1 --runs 5 --export-markdown "/tmp/culprit-pml-$shape.md" \
        -n "culprit scan ($shape PML, 300M of CSV rows)" "$bin scan $p -q -f csv -o /dev/null"
done
cat /tmp/culprit-*-300M.md /tmp/culprit-*-1G.md /tmp/culprit-pml-*.md 2>/dev/null
