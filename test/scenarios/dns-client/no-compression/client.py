# BUG: no name compression. Names are read as plain labels only; a compression pointer (a length
# byte with the top two bits set, 0xC0..0xFF) is taken for an impossible label length, so any
# datagram with a compressed name is "malformed" and ignored. A compressed answer is never accepted:
# the client retransmits, then gives up (exit 2).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, FormatError, main  # noqa: E402


class NoCompression(Client):
    def decode_name(self, msg, offset):
        labels = []
        while True:
            if offset >= len(msg):
                raise FormatError("name runs past the end of the message")
            length = msg[offset]
            if length == 0:
                if sum(1 + len(x) for x in labels) + 1 > 255:
                    raise FormatError("name longer than 255 bytes")
                return labels, offset + 1
            if length > 63:
                raise FormatError(f"label length {length} is over 63")
            if offset + 1 + length > len(msg):
                raise FormatError("label runs past the end of the message")
            labels.append(msg[offset + 1:offset + 1 + length])
            offset += 1 + length


main(NoCompression)
