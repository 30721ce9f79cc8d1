# BUG: only new values are ever pushed. When a link to a neighbour is (re)established nothing is
# resent, so a neighbour that crashed and restarted empty only ever learns values broadcast after
# it came back.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Link, Peer, main  # noqa: E402


class NoCatchUpLink(Link):
    def on_connect(self, conn):
        self.conn = conn
        self.ready = True  # keeps unsent/inflight as they were: resends nothing


class NoCatchUp(Peer):
    link_class = NoCatchUpLink


main(NoCatchUp)
