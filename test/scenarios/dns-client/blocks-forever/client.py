# BUGS: the socket has no timeout at all: one query, then a blocking recvfrom that waits forever
# when no answer comes (no retransmission, never gives up, never exits); and the response's ID is
# not checked, so the first datagram that parses and repeats the question is taken.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class BlocksForever(Client):
    def exchange_udp(self, sock):
        sent_ids = set()
        self.send_query(sock, sent_ids)
        sock.settimeout(None)
        while True:
            data, addr = sock.recvfrom(65535)  # blocks until something arrives, however long
            response = self.acceptable(data, addr, sent_ids)
            if response is not None:
                return response

    def id_ok(self, response, sent_ids):
        return True


main(BlocksForever)
