# Tries to write the grader's results and reports, another submission and its own original
# folder (outside its scratch copy), then answers PING.
import os, sys
import hostile_lib

t = hostile_lib.targets()
forged = '{"score": {"earned": 100, "possible": 100, "percent": 100}}'
for path in t.get("write", []):
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(forged)
        print(f"WROTE {path}", flush=True)
    except OSError as e:
        print(f"denied {path}: {e.strerror}", file=sys.stderr, flush=True)
hostile_lib.serve()
