# BUG: only the first peer in the tracker's list is ever connected to (as if the list held one
# peer); the others are ignored. Peers that connect to us are still served.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    first = None

    def maybe_connect(self, ip, port, pid):
        if self.first is None:
            self.first = (ip, port)
        if (ip, port) != self.first:
            return  # the bug: only peers[0] is used
        super().maybe_connect(ip, port, pid)


ref.run(Buggy)
