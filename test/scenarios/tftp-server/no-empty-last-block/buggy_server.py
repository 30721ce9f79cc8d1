# BUG: a read ends with the block that reaches the end of the file: when the size is a multiple
# of the block size, that block is full and no empty DATA block follows, so the client (which
# waits for a block shorter than the block size) never learns the file is complete.
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
        self.block = (self.block + 1) & 0xFFFF
        # Done when the whole file has been sent.
        self.last_block_sent = self.file.tell() >= os.fstat(self.file.fileno()).st_size
        self.send(ref.pack_data(self.block, payload))


ref.ReadTransfer = Buggy
ref.main()
