# BUG: a windowed read takes any ACK in the window as the ACK of the whole window: after an ACK
# of a block in the middle (the client lost the block after it), the next window starts after
# the old window's end, and the blocks the client is missing are never sent again.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Buggy(ref.WindowedReadTransfer):
    def on_packet(self, opcode, number, payload):
        if opcode == ref.OP_ACK and self.started and self.window:
            reach = (number - self.base) & 0xFFFF
            if reach < len(self.window):
                number = (self.base + len(self.window) - 1) & 0xFFFF  # "the window arrived"
        super().on_packet(opcode, number, payload)


ref.WindowedReadTransfer = Buggy
ref.main()
