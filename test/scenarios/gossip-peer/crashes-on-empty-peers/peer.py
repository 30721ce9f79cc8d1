# BUG: --peers "" (no neighbours) is split into [""], and parsing "" as host:port raises, so a
# peer without neighbours exits with status 1 at once.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Peer, main, parse_args  # noqa: E402

nid, port, _ = parse_args()
addrs = sys.argv[sys.argv.index('--peers') + 1].split(',')
for a in addrs:
    host, port_text = a.split(':')  # ValueError for "": not enough values to unpack
    int(port_text)
main()
