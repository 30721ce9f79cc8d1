# BUG: the info_hash in the other side's handshake is read but never compared with ours, so a
# peer that answers for another torrent is talked to like any other.
import os, sys
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "..", "solutions", "bittorrent-peer", "python"))
import peer as ref  # noqa: E402


class Buggy(ref.Peer):
    async def handshake(self, c):
        pstr = ref.PSTR
        ours = bytes([len(pstr)]) + pstr + bytes(8) + self.t.info_hash + self.peer_id
        if c.outgoing:
            c.send(ours)
        first = await c.reader.readexactly(1)
        if first[0] != len(pstr):
            raise ref.ProtocolError("bad handshake: protocol string length")
        rest = await c.reader.readexactly(len(pstr) + 8 + 20)
        if rest[: len(pstr)] != pstr:
            raise ref.ProtocolError("bad handshake: protocol string")
        # the bug: the info_hash (rest[27:47]) is never checked
        if not c.outgoing:
            c.send(ours)
        c.peer_id = await c.reader.readexactly(20)


ref.run(Buggy)
