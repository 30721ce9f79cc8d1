# BUG: an A record's bytes are printed as signed numbers (Java's byte, C's char), so
# 192.0.2.1 comes out as -64.0.2.1: every byte over 127 is printed less 256.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import TYPES, Client, main  # noqa: E402


class SignedBytes(Client):
    def format_rdata(self, msg, off, rdlength, rtype):
        text = super().format_rdata(msg, off, rdlength, rtype)
        if rtype != TYPES["A"]:
            return text
        return ".".join(str(b - 256 if b > 127 else b) for b in msg[off:off + 4]).encode()


main(SignedBytes)
