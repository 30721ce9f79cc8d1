# BUG: "choke" is ignored: the peer goes on as if it were still unchoked, keeps its requests
# outstanding and sends new ones, though a choking peer has dropped them and answers nothing.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    def handle(self, c, mid, p):
        if mid == ref.CHOKE:
            return  # the bug: choke changes nothing
        super().handle(c, mid, p)


ref.run(Buggy)
