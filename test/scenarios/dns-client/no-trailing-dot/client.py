# BUG: names are printed without the trailing dot ("www.example.test" instead of "www.example.test."),
# owners and names in rdata alike: the labels are just joined with dots (the root comes out empty).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class NoTrailingDot(Client):
    def format_name(self, labels):
        return b".".join(labels)


main(NoTrailingDot)
