# BUG: builds the header with flags 0x0000, so RD (recursion desired) is 0: a resolver would only
# answer from its cache, and the query is not the standard query the contract asks for.
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import CLASS_IN, Client, main  # noqa: E402


class NoRd(Client):
    def encode_query(self, qid):
        header = struct.pack("!HHHHHH", qid, 0x0000, 1, 0, 0, 0)  # RD forgotten
        return header + self.encode_name(self.labels) + struct.pack("!HH", self.qtype, CLASS_IN)


main(NoRd)
