# BUG: a windowed write takes whatever block comes next as the next one: when a block is lost,
# the blocks after it are written in its place (the file is shorter, its bytes shifted).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Buggy(ref.WindowedWriteTransfer):
    def on_packet(self, opcode, number, payload):
        ahead = (number - self.block - 1) & 0xFFFF
        if opcode == ref.OP_DATA and not self.finished and 0 < ahead < 0x8000:
            number = (self.block + 1) & 0xFFFF  # "the next block", whatever its number says
        super().on_packet(opcode, number, payload)


ref.WindowedWriteTransfer = Buggy
ref.main()
