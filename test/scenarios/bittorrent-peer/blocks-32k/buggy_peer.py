# BUG: blocks are requested 32 KiB at a time (BLOCK = 32 * 1024) instead of 16 KiB: fewer
# messages, but past the 16 KiB that peers are required to serve.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402

ref.BLOCK = 32 * 1024  # the bug: the protocol's block size is 16 KiB
# Not a bug: 6 requests in flight (the handout says 5-10), about as many bytes outstanding as the
# solution's 10 x 16 KiB.
ref.PIPELINE = 6


class Buggy(ref.Peer):
    pass


ref.run(Buggy)
