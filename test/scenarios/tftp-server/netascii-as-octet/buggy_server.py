# BUG: netascii is accepted as a mode name, but every transfer is sent and stored as octet: a
# read's LFs are not sent as CR LF, a write's CR LF is stored as it arrived.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Read(ref.ReadTransfer):
    def __init__(self, server, peer, request, timeout_s, name, path, fd, netascii):
        super().__init__(server, peer, request, timeout_s, name, path, fd, False)


class Write(ref.WriteTransfer):
    def __init__(self, server, peer, request, timeout_s, name, path, fd, netascii):
        super().__init__(server, peer, request, timeout_s, name, path, fd, False)


ref.ReadTransfer = Read
ref.WriteTransfer = Write
ref.main()
