# BUG: no buffer across reads. Each recv() is split on "\n" and every piece is parsed on its
# own, as if a read always ended at the end of a line: a request that arrives over several reads
# becomes broken pieces (each answered with an error) and is never answered.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Peer, main  # noqa: E402


class NoLineBuffer(Peer):
    def split_lines(self, conn, data):
        return [piece for piece in data.split(b'\n') if piece]  # a trailing fragment too


main(NoLineBuffer)
