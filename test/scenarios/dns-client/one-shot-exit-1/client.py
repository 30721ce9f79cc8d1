# BUGS: the query is sent once and the client waits the whole (1+R)*T for it (no
# retransmission); and every failure exits 1: NXDOMAIN, any other RCODE, and no answer at all.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

import time  # noqa: E402

from dnsbase import Client, main  # noqa: E402


class OneShotExit1(Client):
    def exchange_udp(self, sock):
        sent_ids = set()
        self.send_query(sock, sent_ids)
        budget = (1 + self.retries) * self.timeout_ms / 1000
        return self.wait_for_answer(sock, time.monotonic() + budget, sent_ids)

    def exit_code(self, rcode):
        return 0 if rcode == 0 else 1

    def run(self, argv):
        code = super().run(argv)
        return 1 if code == 2 else code


main(OneShotExit1)
