# BUGS, as a port of a Java or C client with signed types brings them: the TTL read as a signed
# int (negative from 2^31 up), an A record's bytes printed as signed bytes (192 -> -64), and a
# response accepted from any port of the server's address.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import TYPES, Client, main  # noqa: E402


class JavaStyleSigned(Client):
    def format_rdata(self, msg, off, rdlength, rtype):
        text = super().format_rdata(msg, off, rdlength, rtype)
        if rtype != TYPES["A"]:
            return text
        return ".".join(str(b - 256 if b > 127 else b) for b in msg[off:off + 4]).encode()

    def format_record(self, record):
        owner, rtype, rclass, ttl, rdata = record
        if ttl >= 2**31:
            ttl -= 2**32
        return super().format_record((owner, rtype, rclass, ttl, rdata))

    def from_server(self, addr):
        return addr[0] == self.server[0]


main(JavaStyleSigned)
