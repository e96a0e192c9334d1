"""What a user would write in polars instead of culprit: filter and count by path."""
import sys
import polars as pl

PROCS = ["mstsc.exe", "dism.exe", "dismhost.exe", "tiworker.exe", "trustedinstaller.exe"]
df = (
    pl.scan_csv(sys.argv[1], infer_schema=False)
    .filter(pl.col("Result").is_in(["ACCESS DENIED", "MEDIA WRITE PROTECTED"]))
    .filter(pl.col("Process Name").str.to_lowercase().is_in(PROCS))
    .group_by("Path")
    .agg(pl.len().alias("count"))
    .sort("count", descending=True)
    .collect()
)
print(df.head(10))
