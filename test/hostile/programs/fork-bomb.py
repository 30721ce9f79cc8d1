# Forks until the system refuses (every child keeps trying too, every few seconds: a gentle bomb,
# so that the project's other tests running beside this one keep their CPU), and only then
# answers PING, from its one thread: a new thread would be refused as well.
import os, sys, time
import hostile_lib


def keep_forking():
    while True:
        try:
            os.fork()
        except OSError:
            time.sleep(5)


while True:
    try:
        pid = os.fork()
    except OSError as e:
        print(f"fork refused: {e}", file=sys.stderr, flush=True)
        break
    if pid == 0:
        keep_forking()
hostile_lib.serve(threads=False)
