# BUG: only NXDOMAIN is told apart; every other RCODE (SERVFAIL, REFUSED, ...) exits 0 as if the
# lookup had worked, so a script cannot tell a broken server from an empty answer.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class ServfailExit0(Client):
    def exit_code(self, rcode):
        return 3 if rcode == 3 else 0


main(ServfailExit0)
