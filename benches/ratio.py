#!/usr/bin/env python3
"""culprit against `rg -c 'ACCESS DENIED'` on one file, the two commands alternated so
that both meet the same state of a noisy machine; prints the medians and their ratio.

    python3 benches/ratio.py FILE [CULPRIT_FLAGS...]    (N=20 rounds by default)
"""
import os
import statistics
import subprocess
import sys
import time

n = int(os.environ.get("N", "20"))
path, extra = sys.argv[1], sys.argv[2:]
here = os.path.dirname(os.path.abspath(__file__))
culprit = os.path.join(here, "..", "target", "release", "culprit")
cmds = {
    "culprit": [culprit, "scan", path, "-q", "-f", "csv", "-o", os.devnull] + extra,
    "rg": ["rg", "-c", "ACCESS DENIED", path],
}
times = {k: [] for k in cmds}
for i in range(n + 1):  # round 0 warms up
    for k, c in cmds.items():
        t = time.perf_counter()
        subprocess.run(c, stdout=subprocess.DEVNULL, check=False)
        if i > 0:
            times[k].append((time.perf_counter() - t) * 1000)
m = {k: statistics.median(v) for k, v in times.items()}
print(
    f"{os.path.basename(path)} {' '.join(extra)}: culprit {m['culprit']:.1f} ms, "
    f"rg {m['rg']:.1f} ms, ratio {m['culprit'] / m['rg']:.2f}x (medians of {n} alternating rounds)"
)
