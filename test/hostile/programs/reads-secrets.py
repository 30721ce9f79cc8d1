# Tries to read what a program must never see: the reference solutions, the hidden tests,
# another submission, the grader's own files, the home folder. Prints what it could read.
import glob, os, sys
import hostile_lib

t = hostile_lib.targets()
for pattern in t.get("read", []) + ["/root/*", "/home/*/*", "/etc/shadow"]:
    for path in glob.glob(pattern) or [pattern]:
        try:
            with open(path, "rb") as f:
                data = f.read(64)
            print(f"LEAKED {path}: {data[:20]!r}", flush=True)
        except OSError as e:
            print(f"denied {path}: {e.strerror}", file=sys.stderr, flush=True)
hostile_lib.serve()
