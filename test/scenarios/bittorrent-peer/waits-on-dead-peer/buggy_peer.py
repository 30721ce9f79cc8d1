# BUG: when a peer disconnects, the blocks we had requested from it are never put back: its
# pieces stay "taken" by a connection that no longer exists, so nobody else is ever asked for
# them and the download stalls short of the end.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    def unregister(self, c):
        # forget the connection and what it had (but not what we had asked it for)
        self.conns.discard(c)
        c.closed = True
        for i, b in enumerate(c.have):
            if b:
                self.avail[i] -= 1
        c.have = bytearray(len(c.have))
        self.rebalance_unchoke()
        self.fill_all()


ref.run(Buggy)
