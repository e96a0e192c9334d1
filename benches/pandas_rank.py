"""What a user would write in pandas instead of culprit: filter and count by path."""
import sys
import pandas as pd

PROCS = {"mstsc.exe", "dism.exe", "dismhost.exe", "tiworker.exe", "trustedinstaller.exe"}
df = pd.read_csv(sys.argv[1], usecols=["Process Name", "Path", "Result"], dtype=str, encoding="utf-8-sig")
df = df[df["Result"].isin(["ACCESS DENIED", "MEDIA WRITE PROTECTED"]) & df["Process Name"].str.lower().isin(PROCS)]
print(df["Path"].value_counts().head(10))
