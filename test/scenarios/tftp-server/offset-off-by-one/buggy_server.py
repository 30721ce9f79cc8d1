# BUG: a read seeks to block * blksize for DATA block n, but blocks are numbered from 1: block n
# starts at (n - 1) * blksize, so the first block of every file is skipped.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Buggy(ref.ReadTransfer):
    sent = 0  # blocks sent so far (the block number is this modulo 65536)

    def send_next_block(self):
        self.sent += 1
        self.block = self.sent & 0xFFFF
        try:
            self.file.seek(self.sent * self.blksize)
            payload = self.file.read(self.blksize)
        except OSError as exc:
            refusal = ref.refusal_for(exc)
            self.fail(refusal.code, refusal.message)
            return
        self.last_block_sent = len(payload) < self.blksize
        self.send(ref.pack_data(self.block, payload))


ref.ReadTransfer = Buggy
ref.main()
