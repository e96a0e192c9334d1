#!/usr/bin/env bash
# Issue 8, item 15: memory per distinct denied path. Writes a SYNTHETIC Procmon CSV of
# N distinct denied paths of mstsc.exe (none recovers), and its twin with every result
# SUCCESS (same bytes, nothing kept: the baseline of the mapped file and the process),
# and reports peak RSS from `/usr/bin/time -v` for both and the difference per path.
#   bash benches/many_paths.sh [N...]   (default 300000 2000000)
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -eq 0 ] && set -- 300000 2000000
cargo build --release --quiet
bin=./target/release/culprit
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# (exit 1, nothing found, is the baseline's expected status)
peak() { { /usr/bin/time -v "$bin" scan "$1" -q -f json -o /dev/null 2>&1 >/dev/null || true; } |
    awk '/Maximum resident/ {print $6}'; }
for n in "$@"; do
    python3 - "$n" "$dir/denied.csv" <<'PY'
import sys
n, out = int(sys.argv[1]), sys.argv[2]
with open(out, "w", newline="") as f:
    f.write('"Time of Day","Process Name","PID","Operation","Path","Result","Detail"\r\n')
    for i in range(n):
        f.write(f'"7:19:37.{i % 10000000:07d} AM","mstsc.exe","4242","CreateFile",'
                f'"C:\\Users\\alice\\AppData\\Local\\Microsoft\\Terminal Server Client\\Cache\\bcache{i:08d}.bmc",'
                '"ACCESS DENIED","Desired Access: Generic Write, Disposition: OverwriteIf, Options: , '
                'Attributes: N, ShareMode: None, AllocationSize: 0"\r\n')
PY
    sed 's/"ACCESS DENIED"/"SUCCESS"/' "$dir/denied.csv" > "$dir/ok.csv"
    size=$(stat -c %s "$dir/denied.csv")
    kept=$(peak "$dir/denied.csv")
    base=$(peak "$dir/ok.csv")
    echo "$n paths, $((size / 1000000)) MB: peak RSS ${kept} KB, baseline ${base} KB," \
        "$(( (kept - base) * 1024 / n )) bytes a path"
done
