# BUG: the blksize option is not implemented: it is left out of the OACK and every transfer
# uses blocks of 512 bytes (tsize and timeout are negotiated).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402
from server import *  # noqa: E402,F401,F403


class Buggy(ref.Server):
    def negotiate(self, opcode, options, size, netascii):
        return super().negotiate(opcode, [(o, v) for o, v in options if o != "blksize"], size, netascii)


ref.Server = Buggy
ref.main()
