# BUG: ends every reply line with "\n" instead of "\r\n" ("+PONG\n", "$5\nhello\n"), as if
# writing text lines to a terminal. RESP lines end with "\r\n"; Redis clients reject these replies.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Executor, Server, main  # noqa: E402


class LfOnly(Executor):
    EOL = b"\n"  # should be b"\r\n"


class LfOnlyServer(Server):
    executor_class = LfOnly


main(LfOnlyServer)
