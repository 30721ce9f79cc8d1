# BUG: every transfer runs on the listening socket (the server answers from the port the
# request went to); datagrams are sorted by the client's address, and one from an address with
# no transfer is taken as a request.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


def transfer_init(self, server, peer, request, timeout_s):
    self.server = server
    self.peer = peer
    self.request = request
    self.timeout_s = timeout_s
    self.blksize = ref.DEFAULT_BLKSIZE
    self.sock = server.listener  # answer from the port the client already knows
    self.last_sent = b""
    self.retransmits = 0
    self.deadline = float("inf")
    self.closed = False


def transfer_close(self):
    if not self.closed:
        self.closed = True
        self.server.forget(self)


def transfer_receive(self, data):
    if len(data) < 4:
        return
    opcode, number = ref.struct.unpack("!HH", data[:4])
    if opcode == ref.OP_ERROR:
        self.abort()
        return
    self.on_packet(opcode, number, data[4:])


class Buggy(ref.Server):
    def forget(self, transfer):
        self.transfers.discard(transfer)

    def on_listener_readable(self):
        while True:
            try:
                data, addr = self.listener.recvfrom(ref.RECV_SIZE)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                continue
            transfer = next((t for t in self.transfers if t.peer == addr), None)
            if transfer is not None:
                transfer.receive(data)
            else:
                self.on_request(data, addr)

    def on_request(self, data, addr):
        if len(data) < 2:
            self.reply_error(addr, ref.ERR_ILLEGAL_OP, "Illegal TFTP operation")
            return
        opcode = ref.struct.unpack("!H", data[:2])[0]
        if opcode == ref.OP_ERROR:
            return
        if opcode not in (ref.OP_RRQ, ref.OP_WRQ):
            self.reply_error(addr, ref.ERR_ILLEGAL_OP, "Illegal TFTP operation")
            return
        try:
            transfer = self.accept(opcode, data, addr)
        except ref.BadRequest:
            self.reply_error(addr, ref.ERR_ILLEGAL_OP, "Illegal TFTP operation")
            return
        except ref.Refused as exc:
            self.reply_error(addr, exc.code, exc.message)
            return
        except OSError:
            self.reply_error(addr, ref.ERR_UNDEFINED, "Server error")
            return
        self.transfers.add(transfer)


ref.Transfer.__init__ = transfer_init
ref.Transfer.close = transfer_close
ref.Transfer.receive = transfer_receive
ref.Server = Buggy
ref.main()
