# BUG: windowsize is acknowledged in the OACK, but a read still sends one block per ACK: the
# window is never filled past its first block.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Buggy(ref.WindowedReadTransfer):
    def send_window(self):
        size, self.windowsize = self.windowsize, 1
        try:
            super().send_window()
        finally:
            self.windowsize = size


ref.WindowedReadTransfer = Buggy
ref.main()
