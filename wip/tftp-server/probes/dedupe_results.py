#!/usr/bin/env python3
"""Keep only the last result of each probe in results/*.jsonl (probes append on every run)."""
import glob
import json

for path in glob.glob("results/*.jsonl"):
    last = {}
    for line in open(path):
        d = json.loads(line)
        last[d["probe"]] = line
    with open(path, "w") as f:
        f.writelines(last.values())
    print(path, len(last), "probes")
