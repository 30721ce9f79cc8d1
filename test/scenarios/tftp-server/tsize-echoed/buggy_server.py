# BUG: the tsize option is echoed as the client sent it: a read's OACK says tsize 0, not the
# file's size.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402
from server import *  # noqa: E402,F401,F403


class Buggy(ref.Server):
    def negotiate(self, opcode, options, size, netascii):
        accepted, blksize, timeout_s = super().negotiate(opcode, options, size, netascii)
        for opt, value in options:
            if opt == "tsize" and parse_int(value) is not None:
                accepted["tsize"] = str(parse_int(value))  # what the client sent, read or write
                break
        return accepted, blksize, timeout_s


ref.Server = Buggy
ref.main()
