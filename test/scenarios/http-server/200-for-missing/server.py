# BUG: a missing file gets a friendly "not found" page with status 200 instead of 404.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402


class OkForMissing(Server):
    def error(self, status, close, head_only=False, extra=()):
        if status == 404:
            status = 200  # the page says "not found"; the status says all is well
        return super().error(status, close, head_only, extra)


main(OkForMissing)
