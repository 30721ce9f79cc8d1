# BUG: one transfer at a time: the server keeps a single current transfer, and a new request
# takes its place; the transfer it replaces is dropped (its socket closed, its client left
# waiting).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402
from server import *  # noqa: E402,F401,F403


class Buggy(ref.Server):
    current = None  # the transfer being served

    def accept(self, opcode: int, data: bytes, addr: tuple[str, int]):
        transfer = super().accept(opcode, data, addr)
        # One client at a time: the new one takes over from the one before.
        if self.current is not None:
            self.current.close()
        self.current = transfer
        return transfer


ref.Server = Buggy
ref.main()
