# BUG: skips the source port check. Only the address is compared, so any process on the server's
# host (or anyone spoofing its address) can answer from any port.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class AcceptsFromAnyPort(Client):
    def from_server(self, addr):
        return addr[0] == self.server[0]


main(AcceptsFromAnyPort)
