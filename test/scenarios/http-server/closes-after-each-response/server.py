# BUG: closes the connection after every response (saying "Connection: close"), as if HTTP/1.1
# were HTTP/1.0: a connection never carries a second request.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402


class OnePerConnection(Server):
    def keep_alive(self, req):
        return False  # HTTP/1.1 keeps the connection unless the client asks to close


main(OnePerConnection)
