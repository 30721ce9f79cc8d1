# BUG: no error handling around parsing. A line that is not JSON (or not an object, or of an
# unknown type) raises an exception nobody catches, and the whole peer exits with status 1.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

import json  # noqa: E402

from gossipbase import Peer, main  # noqa: E402


class DiesOnMalformed(Peer):
    def handle_line(self, conn, line):
        if not line.strip():
            return
        msg = json.loads(line)  # ValueError on a bad line: uncaught, the process exits
        getattr(self, 'on_' + msg['type'])  # AttributeError / TypeError / KeyError likewise
        super().handle_line(conn, line)


main(DiesOnMalformed)
