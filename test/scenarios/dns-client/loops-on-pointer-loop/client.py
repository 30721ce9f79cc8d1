# BUG: follows compression pointers without any bound (no jump limit, not only backwards, no
# 255-byte limit). On a pointer loop it never finishes: the client hangs at 100% CPU until killed.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, FormatError, main  # noqa: E402


class LoopsOnPointerLoop(Client):
    def decode_name(self, msg, offset):
        labels = []
        end = None
        while True:
            if offset >= len(msg):
                raise FormatError("name runs past the end of the message")
            length = msg[offset]
            if length & 0xC0 == 0xC0:
                if offset + 1 >= len(msg):
                    raise FormatError("compression pointer cut off")
                if end is None:
                    end = offset + 2
                offset = ((length & 0x3F) << 8) | msg[offset + 1]  # jump, however often
                continue
            if length & 0xC0:
                raise FormatError(f"reserved label type 0x{length:02x}")
            if length == 0:
                if sum(1 + len(x) for x in labels) + 1 > 255:
                    raise FormatError("name longer than 255 bytes")
                return labels, (end if end is not None else offset + 1)
            if offset + 1 + length > len(msg):
                raise FormatError("label runs past the end of the message")
            labels.append(msg[offset + 1:offset + 1 + length])
            offset += 1 + length


main(LoopsOnPointerLoop)
