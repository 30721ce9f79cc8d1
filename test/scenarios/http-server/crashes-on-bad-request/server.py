# BUG: unpacks the request line as "method, target, version = line.split()" without a check:
# a request line with one word or four raises ValueError, and the whole server exits.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

import traceback  # noqa: E402

from httpbase import Server, main  # noqa: E402


class Crashy(Server):
    def parse_head(self, head):
        try:
            method, target, version = head.split(b"\r\n")[0].split(b" ")
        except ValueError:
            traceback.print_exc()
            os._exit(1)  # nothing catches it: the process dies
        return super().parse_head(head)


main(Crashy)
