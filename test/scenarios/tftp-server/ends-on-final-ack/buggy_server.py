# NOT A BUG: a write ends the moment its final ACK is sent, without dallying (RFC 1350 section 6
# allows it: "the host acknowledging the final DATA packet may terminate its side of the
# connection on sending the final ACK"). A correct server the grader must pass: its final ACK
# is never lost on the grader's network, so no test may depend on a re-sent last block.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class NoDally(ref.WriteTransfer):
    def on_packet(self, opcode, number, payload):
        super().on_packet(opcode, number, payload)
        if self.finished:
            self.close()  # the last block is written and acknowledged: done, at once


ref.WriteTransfer = NoDally
ref.main()
