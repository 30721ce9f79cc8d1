# BUG: ignores TC=1. The truncated UDP answer is printed as if complete (here 1 record of 12) and
# the question is never asked again over TCP.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class IgnoresTc(Client):
    def handle_truncation(self, response):
        return response


main(IgnoresTc)
