# BUG: "interested" is never sent: once a peer has a piece we lack, we simply start requesting
# blocks from it, as if asking were enough, without ever saying interested or waiting to be
# unchoked.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    def update_interest(self, c):
        want = c.wanted > 0 and not self.complete
        if want != c.am_interested:
            c.am_interested = want
            if want:
                c.peer_choking = False  # the bug: no "interested" message; assume they will serve us
                self.fill(c)


ref.run(Buggy)
