# BUG: the TTL is read as a signed 32-bit integer (struct "!i", Java's int), so a TTL with
# the top bit set (2147483648 and up) comes out negative.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class SignedTtl(Client):
    def format_record(self, record):
        owner, rtype, rclass, ttl, rdata = record
        if ttl >= 2**31:
            ttl -= 2**32  # what struct.unpack("!i") gives
        return super().format_record((owner, rtype, rclass, ttl, rdata))


main(SignedTtl)
