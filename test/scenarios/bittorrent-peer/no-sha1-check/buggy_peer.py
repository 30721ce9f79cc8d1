# BUG: a piece is written and announced with "have" as soon as its last block arrives; its SHA-1
# is never compared with the torrent's, so a corrupted piece is kept (and served to others).
import struct
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    def finish_piece(self, c, pp):
        t = self.t
        i = pp.index
        blob = b"".join(d for d in pp.data if d is not None)
        del self.progress[i]
        c.owned.discard(i)
        # the bug: no hashlib.sha1(blob).digest() == t.hashes[i] check here
        os.pwrite(self.fd, blob, i * t.piece_length)
        self.have[i] = 1
        self.have_count += 1
        self.left -= pp.size
        self.downloaded += pp.size
        for o in list(self.conns):
            o.send(ref.msg(ref.HAVE, struct.pack(">I", i)))
            if o.have[i]:
                o.wanted -= 1
                if o.wanted == 0:
                    self.update_interest(o)
        if self.have_count == t.num_pieces:
            self.on_complete()


ref.run(Buggy)
