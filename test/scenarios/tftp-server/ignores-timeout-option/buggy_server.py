# BUG: the timeout option is acknowledged in the OACK but never used: the transfer keeps
# retransmitting after --timeout-ms.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402
from server import *  # noqa: E402,F401,F403


class Buggy(ref.Server):
    def negotiate(self, opcode, options, size, netascii):
        accepted, blksize, _timeout = super().negotiate(opcode, options, size, netascii)
        return accepted, blksize, self.timeout_s  # "timeout" stays in the OACK, unused


ref.Server = Buggy
ref.main()
