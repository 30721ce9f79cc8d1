# BUG: values kept in a list, not a set. A client broadcast is appended every time, so a value
# broadcast twice is listed twice in read_ok. (Values from neighbours are checked with `in`
# before appending, so gossip alone never duplicates.)
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from gossipbase import Peer, main  # noqa: E402


class ListPeer(Peer):
    def __init__(self, *args):
        super().__init__(*args)
        self.log = []

    def remember(self, value):
        new = super().remember(value)
        if new:
            self.log.append(value)
        return new

    def on_broadcast(self, conn, msg):
        value = msg.get('message')
        if value in self.values and isinstance(msg.get('msg_id'), int):
            self.log.append(value)  # the bug: appended again
        super().on_broadcast(conn, msg)

    def read_values(self):
        return list(self.log)


main(ListPeer)
