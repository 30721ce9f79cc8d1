# BUGS (two):
# 1. Only the first address in --peers is used: the peer answers its clients and takes what any
#    neighbour sends it, but connects to (and so passes values on to) peers[0] alone.
# 2. No error handling around parsing: a line that is not JSON (or not an object, or of an
#    unknown type) raises, and the whole peer exits with status 1.
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Peer, main  # noqa: E402


class OneNeighbourDiesOnJunk(Peer):
    def __init__(self, *args):
        super().__init__(*args)
        self.links = self.links[:1]  # bug 1: the other neighbours are never contacted

    def handle_line(self, conn, line):
        if not line.strip():
            return
        msg = json.loads(line)  # bug 2: ValueError escapes and ends the process
        getattr(self, 'on_' + msg['type'])  # AttributeError / TypeError / KeyError likewise
        super().handle_line(conn, line)


main(OneNeighbourDiesOnJunk)
