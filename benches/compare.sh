#!/usr/bin/env bash
# End-to-end comparison behind BENCHMARKS.md: culprit against the tools an analyst would
# use instead, on the same generated export. Needs hyperfine, ripgrep, xsv, python3 with
# polars and pandas, and GNU time.
#   bash benches/compare.sh [SIZE] [FILE]      (default 1G /tmp/culprit-bench.csv)
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1G}
file=${2:-/tmp/culprit-bench.csv}
cargo build --release --quiet --bins --examples
[ -f "$file" ] || ./target/release/examples/gen-procmon "$size" "$file"
bin=./target/release/culprit
procs='"(mstsc|dism|dismhost|tiworker|trustedinstaller)\.exe"'
pipeline="rg -F -e 'ACCESS DENIED' -e 'MEDIA WRITE PROTECTED' $file | rg -i '$procs' | cut -d'\"' -f10 | sort | uniq -c | sort -rn | head"
xsvpipe="xsv search -s Result '^(ACCESS DENIED|MEDIA WRITE PROTECTED)\$' $file | xsv search -i -s 'Process Name' '^(mstsc|dism|dismhost|tiworker|trustedinstaller)\.exe\$' | xsv frequency -s Path -l 10"
hyperfine --warmup 1 --runs 5 --export-markdown /tmp/culprit-hyperfine.md \
    -n "culprit scan" "$bin scan $file -q -f json -o /dev/null" \
    -n "culprit scan --no-mmap" "$bin scan $file -q --no-mmap -f json -o /dev/null" \
    -n "culprit scan -j1" "$bin scan $file -q -j1 -f json -o /dev/null" \
    -n "rg -c 'ACCESS DENIED'" "rg -c 'ACCESS DENIED' $file" \
    -n "rg pipeline (count by path)" "$pipeline" \
    -n "xsv pipeline" "$xsvpipe" \
    -n "polars" "python3 benches/polars_rank.py $file"
hyperfine --warmup 0 --runs 2 --export-markdown /tmp/culprit-hyperfine-pandas.md \
    -n "pandas" "python3 benches/pandas_rank.py $file"
echo "peak RSS (GNU time, includes mapped file pages):"
for c in "$bin scan $file -q -f json -o /dev/null" "$bin scan $file -q --no-mmap -f json -o /dev/null" "rg -c 'ACCESS DENIED' $file" "python3 benches/polars_rank.py $file" "python3 benches/pandas_rank.py $file"; do
    /usr/bin/time -f "%M KB  $c" bash -c "$c" >/dev/null
done
cat /tmp/culprit-hyperfine.md /tmp/culprit-hyperfine-pandas.md
