# BUG: the peer quits as soon as the last piece is verified and written ("done, exit 0", with
# os._exit as a threaded program would), instead of running on to seed until SIGTERM.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    def on_complete(self):
        super().on_complete()  # the file is complete and flushed
        ref.log("download complete: exiting")
        os._exit(0)  # the bug: nobody is ever seeded, and the tracker never hears event=completed


ref.run(Buggy)
