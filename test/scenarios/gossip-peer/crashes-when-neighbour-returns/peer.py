# BUGS (two):
# 1. Neighbours are registered by id when their hello arrives, asserting that each neighbour
#    connects only once, and an entry is never removed when its connection closes. Everything
#    works until a neighbour restarts: its new connection says hello with the same id, the
#    assertion fails, and the peer exits with status 1.
# 2. No buffer across reads: each recv() is split on "\n" and every piece is handled on its own
#    (a piece that is not a whole line gets an error reply), so a request that arrives over
#    several reads is never answered.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Peer, main  # noqa: E402


class CrashesWhenNeighbourReturns(Peer):
    def __init__(self, *args):
        super().__init__(*args)
        self.neighbour_conns = {}  # id -> incoming connection, never cleaned up (bug 1)

    def split_lines(self, conn, data):
        return [piece for piece in data.split(b'\n') if piece]  # bug 2: a fragment is a line

    def on_hello(self, conn, msg):
        nid = msg.get('id')
        if conn.nid is None and isinstance(nid, str):  # a hello repeated on the same connection is fine
            assert nid not in self.neighbour_conns, 'neighbour %s connected twice' % nid  # bug 1
            self.neighbour_conns[nid] = conn
        super().on_hello(conn, msg)


main(CrashesWhenNeighbourReturns)
