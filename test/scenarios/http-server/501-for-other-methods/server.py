# BUG: answers methods other than GET and HEAD with "501 Not Implemented" and closes the
# connection, instead of "405 Method Not Allowed" with an Allow header.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402


class NotImplemented501(Server):
    def method_not_allowed(self, req, close):
        return self.error(501, True)

    def keep_alive(self, req):
        return req.method in ("GET", "HEAD") and super().keep_alive(req)


main(NotImplemented501)
