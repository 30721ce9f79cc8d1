# BUGS (three, as in many first clients): the transaction ID is always 1; a response's ID is
# never checked; nor is the port it came from (only the address). Anything from 127.0.0.1 that
# parses and repeats the question is the answer.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class FixedIdTrustsReplies(Client):
    def new_id(self):
        return 1

    def id_ok(self, response, sent_ids):
        return True

    def from_server(self, addr):
        return addr[0] == self.server[0]


main(FixedIdTrustsReplies)
