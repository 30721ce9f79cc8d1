# BUG: closes the connection after answering one read's worth of commands, as if every
# connection carried a single request (HTTP/1.0 style). Redis clients keep one connection open.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Connection, Server, main  # noqa: E402


class OneShot(Connection):
    def feed(self, data):
        replies, _keep_open = super().feed(data)
        if replies:
            return replies, False  # answered: hang up
        return replies, True


class OneShotServer(Server):
    connection_class = OneShot


main(OneShotServer)
