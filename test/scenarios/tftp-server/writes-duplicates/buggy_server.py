# BUG: a write takes a DATA block that comes again (the client missed its ACK) the same way as
# the next one: it is acknowledged again, and appended to the file again.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Buggy(ref.WriteTransfer):
    def on_packet(self, opcode, number, payload):
        if opcode != ref.OP_DATA:
            return
        if self.finished:
            # Only the last block can come again now: ACK it again.
            self._sendto(ref.pack_ack(self.block), self.peer)
            return
        # The next block, or the last one again (our ACK was lost): write it and ACK it.
        if number != (self.block + 1) & 0xFFFF and number != self.block:
            return
        if len(payload) > self.blksize:
            self.fail(ref.ERR_ILLEGAL_OP, "Block larger than block size")
            return
        last = len(payload) < self.blksize
        if self.decoder is not None:
            payload = self.decoder.feed(payload, final=last)
        try:
            view = memoryview(payload)
            while view:
                view = view[os.write(self.fd, view) :]
            if last:
                fd, self.fd = self.fd, -1
                os.close(fd)
        except OSError as exc:
            refusal = ref.refusal_for(exc)
            self.fail(refusal.code, refusal.message)
            return
        self.block = number
        self.send(ref.pack_ack(number))
        if last:
            self.finished = True
            self.deadline = ref.time.monotonic() + ref.DALLY_TIMEOUTS * self.timeout_s


ref.WriteTransfer = Buggy
ref.main()
