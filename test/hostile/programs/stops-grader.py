# Freezes the grader: SIGSTOP to every process it can see that runs node. Without a PID
# namespace of its own, and with its user mapped to the grader's (an unprivileged grader), that
# is the grader itself, and the grade would never end.
import os, signal, sys
import hostile_lib

seen = 0
for pid in [int(p) for p in os.listdir("/proc") if p.isdigit()]:
    if pid == os.getpid():
        continue
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            cmd = f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        continue
    if os.path.basename(cmd.split(" ")[0]) != "node":
        continue
    seen += 1
    try:
        os.kill(pid, signal.SIGSTOP)
        print(f"STOPPED {pid} {cmd[:80]}", flush=True)
    except OSError as e:
        print(f"could not stop {pid}: {e.strerror}", file=sys.stderr, flush=True)
print(f"saw {seen} grader processes", file=sys.stderr, flush=True)
hostile_lib.serve()
