# BUGS: compression pointers are followed with no bound, so a pointer loop spins forever at 100%
# CPU (the client never exits); and names given on the command line are never checked against
# the 63-byte label and 255-byte name limits: the client sends them as they are.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, FormatError, UsageError, main  # noqa: E402


class LoopsAndNoLimits(Client):
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
                offset = ((length & 0x3F) << 8) | msg[offset + 1]
                continue
            if length & 0xC0:
                raise FormatError("reserved label type")
            if length == 0:
                if sum(1 + len(x) for x in labels) + 1 > 255:
                    raise FormatError("name longer than 255 bytes")
                return labels, (end if end is not None else offset + 1)
            if offset + 1 + length > len(msg):
                raise FormatError("label runs past the end of the message")
            labels.append(msg[offset + 1:offset + 1 + length])
            offset += 1 + length

    def name_labels(self, name):
        if name in (".", ""):
            return []
        labels = [label.encode("utf-8") for label in name.rstrip(".").split(".")]
        if any(not label for label in labels):
            raise UsageError(f"empty label in {name!r}")
        return labels

    def encode_name(self, labels):
        return b"".join(bytes([len(label) & 0xFF]) + label for label in labels) + b"\x00"


main(LoopsAndNoLimits)
