# BUG: every reply is written twice (a second write path added and the first one never removed),
# so each command's answer is followed by a stray copy.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Connection, Server, main  # noqa: E402


class Twice(Connection):
    def feed(self, data):
        replies, keep_open = super().feed(data)
        return replies * 2, keep_open


class TwiceServer(Server):
    connection_class = Twice


main(TwiceServer)
