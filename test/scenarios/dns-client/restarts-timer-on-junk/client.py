# BUG: an ignored datagram restarts the attempt's timer. Each wrong-ID, wrong-port, wrong-question,
# QR=0 or malformed datagram gives the attempt a fresh T ms, so junk arriving now and then delays
# the retransmission (and giving up) for as long as it keeps coming.
import os
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class RestartsTimerOnJunk(Client):
    def wait_for_answer(self, sock, deadline, sent_ids):
        while True:
            got = self.recv_until(sock, deadline)
            if got is None:
                return None
            response = self.acceptable(got[0], got[1], sent_ids)
            if response is not None:
                return response
            deadline = time.monotonic() + self.timeout_ms / 1000  # "start waiting again"


main(RestartsTimerOnJunk)
