# BUG: stop-and-wait downloading: one request is sent to a peer, and the next only when its
# block has arrived, so every 16 KiB block costs a whole round trip.
import time
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    def fill(self, c):
        if self.complete or c.closed or c.peer_choking or not c.am_interested:
            return
        if c.snubbed_until > time.monotonic():
            return
        if c.outstanding:
            return  # the bug: wait for the block before asking for the next one
        nxt = self.next_block(c)
        if nxt is None:
            return
        i, begin, length = nxt
        c.last_block = time.monotonic()
        c.outstanding[(i, begin)] = length
        c.send(ref.struct.pack(">IBIII", 13, ref.REQUEST, i, begin, length))


ref.run(Buggy)
