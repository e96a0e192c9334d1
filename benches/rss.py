"""Peak resident memory of a command, split into anonymous and file-backed pages
(GNU time reports their sum, which counts the mapped input file).
    python3 benches/rss.py CMD ARGS..."""
import subprocess, sys, time
p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
peak = {"VmRSS": 0, "RssAnon": 0, "RssFile": 0}
while p.poll() is None:
    try:
        for line in open(f"/proc/{p.pid}/status"):
            k = line.split(":")[0]
            if k in peak:
                peak[k] = max(peak[k], int(line.split()[1]))
    except OSError:
        pass
    time.sleep(0.002)
print({k: f"{v/1024:.1f} MiB" for k, v in peak.items()})
