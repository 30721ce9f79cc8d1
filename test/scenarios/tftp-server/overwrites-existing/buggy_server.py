# BUG: a WRQ opens its file with O_TRUNC instead of O_EXCL: a file that exists is overwritten
# (and its bytes replaced) instead of refused with ERROR 6.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402
from server import *  # noqa: E402,F401,F403


class Buggy(ref.Server):
    def open_file(self, opcode: int, path: str):
        if opcode == OP_RRQ:
            return super().open_file(opcode, path)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        except OSError as exc:
            raise refusal_for(exc) from None
        return fd, None


ref.Server = Buggy
ref.main()
