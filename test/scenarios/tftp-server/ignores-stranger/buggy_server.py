# BUG: a transfer's socket never checks where a datagram comes from: a datagram from another
# port is taken as the client's, and the stranger gets no ERROR 5.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


def on_readable(self):
    while not self.closed:
        try:
            data, addr = self.sock.recvfrom(ref.RECV_SIZE)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            continue
        if len(data) < 4:
            continue
        opcode, number = ref.struct.unpack("!HH", data[:4])
        if opcode == ref.OP_ERROR:
            self.abort()
            return
        self.on_packet(opcode, number, data[4:])


ref.Transfer.on_readable = on_readable
ref.main()
