# A gossip peer that would pass values to the other peers through a file in its folder (every
# peer of a grade runs from the same copy of the submission): it tries to write one, says what
# happened, and then runs as the reference peer (peer.py, put next to it by the test).
import os, runpy, sys

me = sys.argv[sys.argv.index("--id") + 1]
try:
    with open(f"shared-{me}.txt", "w") as f:
        f.write("values for the others\n")
    print(f"WROTE shared-{me}.txt", file=sys.stderr, flush=True)
except OSError as e:
    print(f"could not write shared-{me}.txt: {e.strerror}", file=sys.stderr, flush=True)
sys.argv = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer.py")] + sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
