# BUG: the peer only downloads: it never unchokes anyone, so every request another peer sends
# it is ignored (it is choking them all) and nobody ever gets a block from it.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    def rebalance_unchoke(self):
        pass  # the bug: interested peers are never unchoked


ref.run(Buggy)
