# BUG: accepts SET ... EX/PX (and records the deadline) but never checks it: keys never expire.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from kvbase import Executor, Server, main  # noqa: E402


class NoExpiry(Executor):
    def expired(self, key):
        return False  # the deadline is never compared with the clock


class NoExpiryServer(Server):
    executor_class = NoExpiry


main(NoExpiryServer)
