# BUG: a netascii write converts each DATA block on its own: a CR LF or CR NUL split between two
# blocks (the CR ending one, the LF or NUL starting the next) is stored as it arrived.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Decoder(ref.NetasciiDecoder):
    def feed(self, chunk, final=False):
        return self._PAIR.sub(lambda m: b"\n" if m.group() == b"\r\n" else b"\r", chunk)


ref.NetasciiDecoder = Decoder
ref.main()
