# BUG: a write goes through a buffered file object that is closed only when the transfer ends
# (after dallying): the last block is acknowledged while the file's bytes are still in the
# buffer, so a client that looks at once finds the file empty or short.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Buggy(ref.WriteTransfer):
    def __init__(self, *args):
        super().__init__(*args)
        self.file = os.fdopen(self.fd, "wb")

    def on_packet(self, opcode, number, payload):
        if opcode != ref.OP_DATA:
            return
        if number == self.block:
            self._sendto(ref.pack_ack(self.block), self.peer)
            return
        if self.finished or number != (self.block + 1) & 0xFFFF:
            return
        if len(payload) > self.blksize:
            self.fail(ref.ERR_ILLEGAL_OP, "Block larger than block size")
            return
        last = len(payload) < self.blksize
        if self.decoder is not None:
            payload = self.decoder.feed(payload, final=last)
        try:
            self.file.write(payload)
        except OSError as exc:
            refusal = ref.refusal_for(exc)
            self.fail(refusal.code, refusal.message)
            return
        self.block = number
        self.send(ref.pack_ack(number))
        if last:
            self.finished = True
            self.deadline = ref.time.monotonic() + ref.DALLY_TIMEOUTS * self.timeout_s

    def abort(self):
        if not self.finished:
            try:
                self.file.close()
                os.unlink(self.path)
            except OSError:
                pass
        ref.Transfer.abort(self)

    def close(self):
        if not self.closed:
            self.file.close()  # the file is complete when the transfer is over
        super().close()


ref.WriteTransfer = Buggy
ref.main()
