# BUG: AAAA printed as eight full groups, "%04x" each and no "::" (2001:0db8:0000:...:0001),
# not in RFC 5952 form.
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class AaaaUncompressed(Client):
    def format_aaaa(self, raw):
        return ":".join("%04x" % g for g in struct.unpack("!8H", raw)).encode()


main(AaaaUncompressed)
