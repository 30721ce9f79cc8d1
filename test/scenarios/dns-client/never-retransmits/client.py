# BUG: never retransmits. It sends the query once and waits the whole budget, (1+R)*T ms, for an
# answer to that one datagram; a lost query (or a lost answer) is never asked again.
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class NeverRetransmits(Client):
    def exchange_udp(self, sock):
        sent_ids = set()
        self.send_query(sock, sent_ids)
        budget = (1 + self.retries) * self.timeout_ms / 1000
        return self.wait_for_answer(sock, time.monotonic() + budget, sent_ids)


main(NeverRetransmits)
