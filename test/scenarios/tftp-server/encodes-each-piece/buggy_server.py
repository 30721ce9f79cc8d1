# BUG: a netascii read converts each 512-byte piece of the file into one DATA block; converting
# makes a piece with line ends longer than 512 bytes, so blocks exceed the block size.
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "tftp-server", "python"))
import server as ref  # noqa: E402


class Read(ref.ReadTransfer):
    def next_payload(self):
        chunk = self.file.read(self.blksize)
        return ref.netascii_encode(chunk) if self.netascii else chunk


ref.ReadTransfer = Read
ref.main()
