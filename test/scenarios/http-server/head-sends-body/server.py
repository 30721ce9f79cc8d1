# BUG: answers HEAD exactly like GET, body included.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from httpbase import Server, main  # noqa: E402


class HeadBody(Server):
    def response(self, status, headers, body=b"", head_only=False, length=True):
        return super().response(status, headers, body, False, length)  # ignores head_only


main(HeadBody)
