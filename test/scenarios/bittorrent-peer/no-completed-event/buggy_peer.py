# BUG: when the last piece is verified the peer starts seeding but never tells the tracker:
# no announce with event=completed (left=0) is ever sent.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    def on_complete(self):
        self.complete = True
        os.fsync(self.fd)
        ref.log("download complete; seeding")
        for c in list(self.conns):
            self.update_interest(c)
            self.release(c)
        self.progress.clear()
        # the bug: no self.events.append("completed") / announce


ref.run(Buggy)
