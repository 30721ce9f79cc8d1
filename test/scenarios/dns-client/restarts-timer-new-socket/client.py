# BUGS: every ignored datagram restarts the attempt's T ms timer; and each attempt opens a new
# socket (a new source port) and closes the old one, so an answer to an earlier attempt that
# arrives late goes to a closed port and is lost.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

import socket  # noqa: E402
import time  # noqa: E402

from dnsbase import Client, main  # noqa: E402


class RestartsTimerNewSocket(Client):
    def wait_for_answer(self, sock, deadline, sent_ids):
        while True:
            got = self.recv_until(sock, deadline)
            if got is None:
                return None
            response = self.acceptable(got[0], got[1], sent_ids)
            if response is not None:
                return response
            deadline = time.monotonic() + self.timeout_ms / 1000  # "wait T again"

    def exchange_udp(self, sock):
        for _attempt in range(1 + self.retries):
            with socket.socket(self.family, socket.SOCK_DGRAM) as s:
                sent_ids = set()
                self.send_query(s, sent_ids)
                response = self.wait_for_answer(s, time.monotonic() + self.timeout_ms / 1000, sent_ids)
            if response is not None:
                return response
        return None


main(RestartsTimerNewSocket)
