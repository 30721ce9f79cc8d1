# BUG: a read's block number goes from 65535 back to 1 (block numbers "start at 1"), not to 0.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Buggy(ref.ReadTransfer):
    def send_next_block(self):
        try:
            payload = self.next_payload()
        except OSError as exc:
            refusal = ref.refusal_for(exc)
            self.fail(refusal.code, refusal.message)
            return
        # Block numbers are 1 to 65535.
        self.block = self.block + 1 if self.block < 65535 else 1
        self.last_block_sent = len(payload) < self.blksize
        self.send(ref.pack_data(self.block, payload))


ref.ReadTransfer = Buggy
ref.main()
