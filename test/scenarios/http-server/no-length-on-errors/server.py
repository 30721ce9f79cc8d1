# BUG: error responses (404, 405, 400) have no Content-Length: only the 200 path sets it, so a
# client cannot tell where an error page ends.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import REASONS, Server, main  # noqa: E402


class NoLengthOnErrors(Server):
    def error(self, status, close, head_only=False, extra=()):
        headers = [("Content-Type", "text/plain"), *extra]
        if close:
            headers.append(("Connection", "close"))
        return self.response(status, headers, b"%d %s\n" % (status, REASONS[status].encode()), head_only, length=False)


main(NoLengthOnErrors)
