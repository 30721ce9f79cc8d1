# BUG: a verified piece is written but never announced with "have": the peers already connected
# never learn we have it (only peers that connect later see it, in the bitfield).
import hashlib, os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    def finish_piece(self, c, pp):
        t = self.t
        i = pp.index
        blob = b"".join(d for d in pp.data if d is not None)
        del self.progress[i]
        c.owned.discard(i)
        if len(blob) != pp.size or hashlib.sha1(blob).digest() != t.hashes[i]:
            self.ban(c, f"piece {i} failed its SHA-1 check")
            self.fill_all()
            return
        os.pwrite(self.fd, blob, i * t.piece_length)
        self.have[i] = 1
        self.have_count += 1
        self.left -= pp.size
        self.downloaded += pp.size
        for o in list(self.conns):  # the bug: no "have" is sent to them
            if o.have[i]:
                o.wanted -= 1
                if o.wanted == 0:
                    self.update_interest(o)
        if self.have_count == t.num_pieces:
            self.on_complete()


ref.run(Buggy)
