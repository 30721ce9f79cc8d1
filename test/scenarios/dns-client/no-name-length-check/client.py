# BUG: never checks label and name lengths: a 64-byte label is sent anyway (its length byte
# then reads as a compression pointer flag), and a name over 255 bytes goes out too.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, UsageError, main  # noqa: E402


class NoLengthCheck(Client):
    def name_labels(self, name):
        if name in (".", ""):
            return []
        labels = [label.encode("utf-8") for label in name.rstrip(".").split(".")]
        if any(not label for label in labels):
            raise UsageError(f"empty label in {name!r}")
        return labels  # no 63 / 255 byte limits

    def encode_name(self, labels):
        # A length byte can only hold 0..255: longer labels are cut to fit the byte, as a
        # careless bytes([len & 0xff]) would.
        return b"".join(bytes([len(label) & 0xFF]) + label for label in labels) + b"\x00"


main(NoLengthCheck)
