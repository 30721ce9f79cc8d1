# BUG: a constant transaction ID (0x1234) for every query, in every run. Nothing breaks on a
# friendly network, but anyone who can send a UDP datagram to the client's port can forge answers.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class SameIdAlways(Client):
    def new_id(self):
        return 0x1234


main(SameIdAlways)
