# BUG: skips the ID check. Any response from the server's address and port that repeats the
# question is accepted, whatever its transaction ID (an off-path attacker only has to guess the port).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class AcceptsAnyId(Client):
    def id_ok(self, response, sent_ids):
        return True


main(AcceptsAnyId)
