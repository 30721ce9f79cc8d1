# BUG: NXDOMAIN is taken as "no records" and exits 0; the caller cannot tell a name that does not
# exist from one that has no records of the type asked.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class NxdomainExit0(Client):
    def exit_code(self, rcode):
        if rcode in (0, 3):  # "no answers either way"
            return 0
        return 4


main(NxdomainExit0)
