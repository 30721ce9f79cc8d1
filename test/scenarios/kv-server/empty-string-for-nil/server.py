# BUG: sends an empty string ($0\r\n\r\n) where Redis sends nil ($-1\r\n): for GET of a missing
# (or expired) key, and for a SET NX/XX that did nothing. A client cannot tell "no such key" from
# "the value is empty".
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Executor, Server, main  # noqa: E402


class EmptyForNil(Executor):
    def nil(self):
        return self.bulk(b"")  # should be b"$-1\r\n"


class EmptyForNilServer(Server):
    executor_class = EmptyForNil


main(EmptyForNilServer)
