# BUG: the announce says port=6881 (the "usual" BitTorrent port) instead of the --port the peer
# really listens on.
import os, sys
import urllib.parse
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402

PORT = 6881


class Buggy(ref.Peer):
    def announce_url(self, event):
        u = urllib.parse.urlsplit(self.t.announce)
        q = (
            f"info_hash={urllib.parse.quote_from_bytes(self.t.info_hash, safe='')}"
            f"&peer_id={urllib.parse.quote_from_bytes(self.peer_id, safe='')}"
            f"&port={PORT}&uploaded={self.uploaded}&downloaded={self.downloaded}&left={self.left}&compact=1"
        )
        if event:
            q += f"&event={event}"
        return u.hostname or "127.0.0.1", u.port or 80, (u.path or "/") + "?" + q


ref.run(Buggy)
