# BUG: a read answers a duplicate ACK (the ACK of the block before the current one) by sending
# the current DATA block again: the Sorcerer's Apprentice bug.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Buggy(ref.ReadTransfer):
    def on_packet(self, opcode, number, payload):
        if opcode != ref.OP_ACK:
            return
        if number == self.block:
            if self.last_block_sent:
                self.close()
            else:
                self.send_next_block()
        elif number == (self.block - 1) & 0xFFFF:
            # The client got the previous block but not this one: send it again.
            self.send(self.last_sent)


ref.ReadTransfer = Buggy
ref.main()
