# BUG: one transfer at a time: the server keeps a single current transfer, and a new request
# takes its place; the transfer it replaces is dropped (its socket closed, its client left
# waiting).
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402
from server import *  # noqa: E402,F401,F403


class Buggy(ref.Server):
    current = None  # the transfer being served

    def on_request(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) < 2:
            self.reply_error(addr, ERR_ILLEGAL_OP, "Illegal TFTP operation")
            return
        opcode = struct.unpack("!H", data[:2])[0]
        if opcode == OP_ERROR:
            return  # never answer an ERROR with an ERROR
        if opcode not in (OP_RRQ, OP_WRQ):
            # DATA, ACK, OACK or an unknown opcode belong to no transfer here.
            self.reply_error(addr, ERR_ILLEGAL_OP, "Illegal TFTP operation")
            return
        # A client that got no answer re-sends its request from the same port.
        # Its transfer already exists and has its own timer: a second transfer
        # would be a second TID talking to the same client (and, for a WRQ, an
        # ERROR 6 for the file the first one just created).
        if any(t.peer == addr and t.request == data for t in self.transfers):
            return
        try:
            transfer = self.accept(opcode, data, addr)
        except BadRequest as exc:
            log(f"{addr[0]}:{addr[1]}: malformed request: {exc}")
            self.reply_error(addr, ERR_ILLEGAL_OP, "Illegal TFTP operation")
            return
        except Refused as exc:
            log(f"{addr[0]}:{addr[1]}: refused: {exc.message}")
            self.reply_error(addr, exc.code, exc.message)
            return
        except OSError as exc:  # e.g. out of sockets or file descriptors
            log(f"{addr[0]}:{addr[1]}: cannot start a transfer: {exc}")
            self.reply_error(addr, ERR_UNDEFINED, "Server error")
            return
        # One client at a time: the new one takes over from the one before.
        if self.current is not None:
            self.current.close()
        self.current = transfer
        self.transfers.add(transfer)
        self.selector.register(transfer.sock, selectors.EVENT_READ, transfer)
        log(f"{transfer.describe()} ({transfer.blksize}-byte blocks)")


ref.Server = Buggy
ref.main()
