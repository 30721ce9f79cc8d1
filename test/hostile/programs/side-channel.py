# A gossip peer with ways to the other peers that are not TCP: a UDP socket, and a unix socket
# with an abstract name (shared by every process of the network namespace). It opens both, then
# runs as the reference peer (peer.py, put next to it by the test).
import os, runpy, socket, sys

me = sys.argv[sys.argv.index("--id") + 1]
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind(("127.0.0.1", 0))
unix = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
unix.bind("\0gossip-side-" + me)
sys.argv = [os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer.py")] + sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
