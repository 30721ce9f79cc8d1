# BUG: the timeout option is acknowledged in the OACK but never used: the transfer keeps
# retransmitting after --timeout-ms.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402
from server import *  # noqa: E402,F401,F403


class Buggy(ref.Server):
    def accept(self, opcode: int, data: bytes, addr: tuple[str, int]):
        filename, mode, options = parse_request(data)
        if mode not in ("octet", "netascii"):
            # "mail" is obsolete and anything else is not TFTP: the request as
            # a whole is illegal, so 4 rather than the catch-all 0.
            raise Refused(ERR_ILLEGAL_OP, "Illegal mode")
        netascii = mode == "netascii"
        path = resolve(self.root, filename)
        name = os.fsdecode(filename)

        if opcode == OP_RRQ:
            try:
                # O_NONBLOCK so that a FIFO cannot hang the whole server in open().
                fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
            except OSError as exc:
                raise refusal_for(exc) from None
            st = os.fstat(fd)
            if not stat.S_ISREG(st.st_mode):
                os.close(fd)  # a directory, device or FIFO is not a file to send
                raise Refused(ERR_ACCESS, "Access violation")
            size = st.st_size
        else:
            try:
                # O_EXCL: an existing file (or symlink) is never overwritten, and
                # two WRQs for the same new name cannot both win.
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
            except OSError as exc:
                raise refusal_for(exc) from None
            size = None

        # --- option negotiation (RFC 2347): accept what we understand, with
        # the value we will use; ignore the rest. The first of a name wins.
        accepted: dict[str, str] = {}
        blksize, timeout_s = DEFAULT_BLKSIZE, self.timeout_s
        for opt, value in options:
            if opt in accepted:
                continue
            number = parse_int(value)
            if number is None:
                continue
            if opt == "blksize" and number >= MIN_BLKSIZE:
                # RFC 2348 lets the server answer a larger request with less.
                blksize = min(number, MAX_BLKSIZE)
                accepted[opt] = str(blksize)
            elif opt == "timeout" and MIN_TIMEOUT_S <= number <= MAX_TIMEOUT_S:
                accepted[opt] = str(number)
            elif opt == "tsize":
                if opcode == OP_WRQ:
                    accepted[opt] = str(number)  # the client tells us the size
                elif not netascii:
                    # (The netascii size would need a pass over the file to
                    # count line ends; like tftpd-hpa we offer tsize for octet only.)
                    accepted[opt] = str(size)

        cls = ReadTransfer if opcode == OP_RRQ else WriteTransfer
        try:
            transfer = cls(self, addr, data, timeout_s, name, path, fd, netascii)
        except OSError:
            os.close(fd)
            if opcode == OP_WRQ:
                os.unlink(path)
            raise
        transfer.blksize = blksize
        # Options sent but none accepted: plain RFC 1350, no OACK.
        transfer.start(accepted or None)
        return transfer


ref.Server = Buggy
ref.main()
