# BUGS: names are read as plain labels with no bounds check: a compression pointer byte (0xC0..)
# is taken for a label length, the read runs off the end of the datagram and the client crashes
# with an uncaught IndexError; and TC=1 is ignored (the truncated UDP answer is printed, no TCP).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "_base"))

from dnsbase import Client, main  # noqa: E402


class CrashesOnPointersNoTcp(Client):
    def decode_name(self, msg, offset):
        labels = []
        while True:
            length = msg[offset]  # IndexError past the end: not caught anywhere
            if length == 0:
                return labels, offset + 1
            if offset + 1 + length > len(msg):
                raise IndexError(f"label of {length} bytes at {offset} runs past the end")
            labels.append(msg[offset + 1:offset + 1 + length])
            offset += 1 + length

    def handle_truncation(self, response):
        return response


main(CrashesOnPointersNoTcp)
