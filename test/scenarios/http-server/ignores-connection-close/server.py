# BUG: keeps every connection open: "Connection: close" and HTTP/1.0 requests are answered,
# but the connection is never closed by the server.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402


class NeverCloses(Server):
    def keep_alive(self, req):
        return True


main(NeverCloses)
