# BUG: a windowed write restarts its timeout on every datagram it receives, duplicates included:
# when a window's ACK is lost the client keeps sending that window again, the timer never runs
# out, and the ACK is never sent again.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Buggy(ref.WindowedWriteTransfer):
    def on_packet(self, opcode, number, payload):
        super().on_packet(opcode, number, payload)
        if not self.finished:
            self.deadline = ref.time.monotonic() + self.timeout_s  # "it is alive: wait more"


ref.WindowedWriteTransfer = Buggy
ref.main()
